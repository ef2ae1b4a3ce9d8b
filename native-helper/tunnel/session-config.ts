/**
 * Turns a validated Profile into what the sans-I/O session needs: the server's address, our
 * local address, identities, parsed proposals and the secret. Everything that can be wrong here
 * becomes a `config-invalid` error naming the profile field.
 */
import { createPrivateKey } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { isIP } from 'node:net';
import { DEFAULT_FRAGMENT_SIZE, DEFAULT_DPD_DELAY_MS, IKE_PORT } from '../constants.js';
import { certificatesFromPemOrDer, parseCertificate } from '../ike/crypto/certificate.js';
import { formatDn, parseIdentity } from '../ike/crypto/identity.js';
import type { IkeAuthConfig } from '../ike/ike-session-config.js';
import { parseProposals, ProposalSyntaxError } from '../ike/crypto/proposal-syntax.js';
import type { IkeError } from '../ike/ike-error.js';
import type { IkeIdentity, IkeSessionConfig } from '../ike/ike-session-config.js';
import type { ConfiguredProposal } from '../ike/sa-negotiation.js';
import { ANY_IPV4, ANY_IPV6, cidrToRange } from '../ike/traffic-selectors.js';
import {
  nodeEcdhProvider,
  nodeModpProvider,
  nodeRandom,
} from '../platform/crypto/node-crypto-provider.js';
import { NodeCryptoProvider } from '../platform/crypto/node-signature-provider.js';
import { localAddressFor } from '../platform/udp/udp-transport.js';
import type { Profile } from '../profile/profile.js';
import type { ProfileFiles } from '../profile/profile-files.js';

/** strongSwan-compatible modern defaults (the gateway picks the first it accepts). */
export const DEFAULT_IKE =
  'aes256gcm16-prfsha256-x25519-ecp256-modp2048,aes256-sha256-x25519-ecp256-modp2048';
export const DEFAULT_ESP = 'aes256gcm16,chacha20poly1305,aes256-sha256';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly error: Extract<IkeError, { code: 'config-invalid' }>) {
    super(`the profile's ${error.field} is invalid: ${error.detail}`);
  }
}

function invalid(field: string, detail: string): ConfigError {
  return new ConfigError({ code: 'config-invalid', field, detail });
}

function identity(text: string, field: string): IkeIdentity {
  const r = parseIdentity(text);
  if (!r.ok) throw invalid(field, r.reason);
  return { idType: r.identity.type, data: r.identity.data, text };
}

function proposals(text: string, protocol: 'ike' | 'esp'): ConfiguredProposal[] {
  try {
    return parseProposals(text, protocol).map((p) => ({
      encr: p.encr.map((e) => ({ id: e.id, keyBits: e.keyBits })),
      prf: [...p.prf],
      integ: [...p.integ],
      ke: [...p.ke],
      esn: [...p.esn],
    }));
  } catch (e) {
    if (e instanceof ProposalSyntaxError) throw invalid(protocol, e.message);
    throw e;
  }
}

export interface ResolvedSession {
  config: IkeSessionConfig;
  serverAddress: string;
}

async function readProfileFile(files: ProfileFiles, path: string, field: string): Promise<string> {
  if (files.kind === 'sent') {
    // The helper runs as root: it uses what the client read with its own rights, never the path.
    if (!Object.prototype.hasOwnProperty.call(files.contents, path))
      throw invalid(
        field,
        `the contents of ${path} were not sent with the connect request: the client must read the file and send it (the helper never opens files named in a profile)`,
      );
    return files.contents[path]!;
  }
  try {
    return await readFile(resolvePath(files.baseDir, path), 'utf8');
  } catch (e) {
    throw invalid(
      field,
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

function secretText(value: string | { keychain: string }, field: string): string {
  if (typeof value !== 'string')
    throw invalid(
      field,
      'keychain references are resolved by the Tsunagi app; the CLI needs the secret in the profile',
    );
  return value;
}

/**
 * The private key as unencrypted PKCS#8 PEM, in memory only: an encrypted key (PKCS#8
 * `ENCRYPTED PRIVATE KEY` or a traditional `Proc-Type: 4,ENCRYPTED` PEM) is opened with the
 * profile's passphrase; a wrong or missing passphrase is named as such.
 */
function unlockPrivateKey(pem: string, passphrase: string | undefined): string {
  const encrypted = /ENCRYPTED PRIVATE KEY|Proc-Type:\s*4,ENCRYPTED/.test(pem);
  if (!encrypted) return pem;
  if (passphrase === undefined)
    throw invalid(
      'auth.passphrase',
      'the private key is encrypted: give its passphrase (the app keeps it in your keychain)',
    );
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase })
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
  } catch {
    throw invalid(
      'auth.passphrase',
      'the private key could not be opened with this passphrase: check the passphrase',
    );
  }
}

export interface ResolveOptions {
  /**
   * The gateway address already resolved by the caller (the helper's firewall allows exactly
   * this one): used as is instead of resolving the server name again.
   */
  gatewayAddress?: string;
}

/**
 * Resolves a profile: gets its certificate, key and CA contents (from the profile's folder, or
 * as sent by the client), resolves the server name (unless the caller did) and our local
 * address, and parses identities and proposals. Secrets must already be in the profile (the app
 * resolves keychain references first).
 */
export async function resolveSessionConfig(
  profile: Profile,
  filesOrBaseDir: ProfileFiles | string = process.cwd(),
  options: ResolveOptions = {},
): Promise<ResolvedSession> {
  const files: ProfileFiles =
    typeof filesOrBaseDir === 'string'
      ? { kind: 'directory', baseDir: filesOrBaseDir }
      : filesOrBaseDir;
  let auth: IkeAuthConfig;
  let defaultLocalId: string | undefined;
  switch (profile.auth.method) {
    case 'psk':
      auth = {
        method: 'psk',
        secret: new TextEncoder().encode(secretText(profile.auth.secret, 'auth.secret')),
      };
      break;
    case 'cert': {
      const certificates = certificatesFromPemOrDer(
        await readProfileFile(files, profile.auth.certificate, 'auth.certificate'),
      );
      if (!certificates.length)
        throw invalid('auth.certificate', 'no certificate found in the file');
      const privateKeyPem = unlockPrivateKey(
        await readProfileFile(files, profile.auth.privateKey, 'auth.privateKey'),
        profile.auth.passphrase === undefined
          ? undefined
          : secretText(profile.auth.passphrase, 'auth.passphrase'),
      );
      try {
        defaultLocalId = formatDn(parseCertificate(certificates[0]!).subject);
      } catch (e) {
        throw invalid(
          'auth.certificate',
          `not a usable X.509 certificate (${(e as Error).message})`,
        );
      }
      auth = { method: 'cert', certificates, privateKeyPem };
      break;
    }
    case 'eap-mschapv2':
      auth = {
        method: 'eap-mschapv2',
        username: profile.auth.username,
        password: secretText(profile.auth.password, 'auth.password'),
      };
      defaultLocalId = profile.auth.username;
      break;
  }
  const trustedCas: string[] = [];
  // A PSK gateway authenticates with the PSK too (the engine accepts only AUTH method 2 then):
  // its CAs are never used, so they are neither read nor required.
  if (auth.method !== 'psk')
    for (const [i, ca] of profile.ca.entries())
      trustedCas.push(await readProfileFile(files, ca, `ca[${i}]`));
  if (auth.method !== 'psk' && trustedCas.length === 0)
    throw invalid(
      'ca',
      'certificate and EAP profiles need the CA that issued the gateway certificate ("ca": ["ca.pem"])',
    );

  let serverAddress = options.gatewayAddress ?? profile.server;
  if (options.gatewayAddress !== undefined && !isIP(options.gatewayAddress))
    throw invalid(
      'server',
      `the resolved gateway address ${options.gatewayAddress} is not an IP address`,
    );
  if (!isIP(serverAddress)) {
    try {
      serverAddress = (await lookup(profile.server, { family: 4 })).address;
    } catch (e) {
      throw invalid(
        'server',
        `cannot resolve ${profile.server}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  const server = { address: serverAddress, port: profile.port ?? IKE_PORT };
  let localAddress: string;
  try {
    localAddress = await localAddressFor(server);
  } catch (e) {
    throw invalid('server', `no route to ${serverAddress} (${(e as Error).message})`);
  }
  const ikeText = profile.ike ?? DEFAULT_IKE;
  const espText = profile.esp ?? DEFAULT_ESP;
  return {
    serverAddress,
    config: {
      server,
      local: { address: localAddress, port: IKE_PORT },
      serverName: profile.server,
      localId: identity(profile.localId ?? defaultLocalId ?? localAddress, 'localId'),
      remoteId: identity(profile.remoteId ?? profile.server, 'remoteId'),
      sendRemoteId: profile.sendRemoteId,
      auth,
      trustedCas,
      pki: auth.method === 'psk' ? undefined : new NodeCryptoProvider(),
      ikeProposals: proposals(ikeText, 'ike'),
      espProposals: proposals(espText, 'esp'),
      ikeProposalText: ikeText.split(','),
      espProposalText: espText.split(','),
      // Dual stack inside the tunnel (as strongSwan and Android do): a full tunnel asks for
      // 0.0.0.0/0 and ::/0 and an IPv6 address too; split routes ask for IPv6 when they name
      // IPv6 networks. A gateway without IPv6 simply narrows it away.
      remoteTs: profile.routes === 'all' ? [ANY_IPV4, ANY_IPV6] : profile.routes.map(cidrToRange),
      requestVirtualIp: true,
      requestVirtualIp6: profile.routes === 'all' || profile.routes.some((r) => r.includes(':')),
      mobike: profile.mobike,
      fragmentation: profile.fragmentation,
      fragmentSize: DEFAULT_FRAGMENT_SIZE,
      dpdDelayMs:
        profile.dpdDelay > 0
          ? profile.dpdDelay * 1000
          : profile.dpdDelay === 0
            ? 0
            : DEFAULT_DPD_DELAY_MS,
      ikeLifetimeMs: profile.ikeLifetime * 1000,
      childLifetimeMs: profile.childLifetime * 1000,
      ...(profile.ikeRekeyTime !== undefined ? { ikeRekeyMs: profile.ikeRekeyTime * 1000 } : {}),
      ...(profile.childRekeyTime !== undefined
        ? { childRekeyMs: profile.childRekeyTime * 1000 }
        : {}),
      ...(profile.rekeyJitter !== undefined ? { rekeyJitterMs: profile.rekeyJitter * 1000 } : {}),
      retransmit: {
        timeoutMs: profile.retransmit.timeout * 1000,
        base: profile.retransmit.base,
        tries: profile.retransmit.tries,
      },
      random: nodeRandom,
      modp: nodeModpProvider,
      ecdh: nodeEcdhProvider,
    },
  };
}
