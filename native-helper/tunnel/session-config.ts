/**
 * Turns a validated Profile into what the sans-I/O session needs: the server's address, our
 * local address, identities, parsed proposals and the secret. Everything that can be wrong here
 * becomes a `config-invalid` error naming the profile field.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DEFAULT_FRAGMENT_SIZE, DEFAULT_DPD_DELAY_MS, IKE_PORT } from '../constants.js';
import { parseIdentity } from '../ike/crypto/identity.js';
import { parseProposals, ProposalSyntaxError } from '../ike/crypto/proposal-syntax.js';
import type { IkeError } from '../ike/ike-error.js';
import type { IkeIdentity, IkeSessionConfig } from '../ike/ike-session-config.js';
import type { ConfiguredProposal } from '../ike/sa-negotiation.js';
import { ANY_IPV4, cidrToRange } from '../ike/traffic-selectors.js';
import { nodeModpProvider, nodeRandom } from '../platform/crypto/node-crypto-provider.js';
import { localAddressFor } from '../platform/udp/udp-transport.js';
import type { Profile } from '../profile/profile.js';

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

/**
 * Resolves a profile. `secret` is the PSK already fetched (from the profile or the keychain).
 * Only PSK authentication is available in this build; certificates and EAP-MSCHAPv2 are refused
 * with an honest message until the engine wires them in.
 */
export async function resolveSessionConfig(profile: Profile): Promise<ResolvedSession> {
  if (profile.auth.method !== 'psk')
    throw invalid(
      'auth.method',
      `"${profile.auth.method}" authentication is not supported by this build yet (only "psk")`,
    );
  if (typeof profile.auth.secret !== 'string')
    throw invalid(
      'auth.secret',
      'keychain references are resolved by the Tsunagi app; the CLI needs the secret in the profile',
    );

  let serverAddress = profile.server;
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
      localId: identity(profile.localId ?? localAddress, 'localId'),
      remoteId: identity(profile.remoteId ?? profile.server, 'remoteId'),
      auth: { method: 'psk', secret: new TextEncoder().encode(profile.auth.secret) },
      ikeProposals: proposals(ikeText, 'ike'),
      espProposals: proposals(espText, 'esp'),
      ikeProposalText: ikeText.split(','),
      espProposalText: espText.split(','),
      remoteTs:
        profile.routes === 'all'
          ? [ANY_IPV4]
          : profile.routes.filter((r) => !r.includes(':')).map(cidrToRange),
      requestVirtualIp: true,
      mobike: profile.mobike,
      fragmentation: profile.fragmentation,
      fragmentSize: DEFAULT_FRAGMENT_SIZE,
      dpdDelayMs:
        profile.dpdDelay > 0
          ? profile.dpdDelay * 1000
          : profile.dpdDelay === 0
            ? 0
            : DEFAULT_DPD_DELAY_MS,
      retransmit: {
        timeoutMs: profile.retransmit.timeout * 1000,
        base: profile.retransmit.base,
        tries: profile.retransmit.tries,
      },
      random: nodeRandom,
      modp: nodeModpProvider,
    },
  };
}
