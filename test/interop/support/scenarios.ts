/**
 * What a client needs to connect to the bed's gateway in each scenario: addresses, identities,
 * secrets and certificate files. Our own client's interop tests build their profile from this,
 * so they use exactly what the reference client uses.
 */
import { CERT_CLIENT_ID, GATEWAY_ID } from './pki.js';
import type { Credential, LabPki } from './pki.js';
import { EAP_PASSWORD, EAP_USER, PSK, PSK_CLIENT_ID } from './strongswan.js';
import { ADDR } from './testbed.js';
import type { ClientScenario } from './reference-client.js';

export interface ScenarioProfile {
  scenario: ClientScenario;
  /** Gateway's outer address (IKE on UDP 500, then 4500). */
  gatewayAddress: string;
  /** IDr the client should expect (and may send): FQDN vpn.lab.test. */
  gatewayId: string;
  /** IDi: client1@psk.lab.test (RFC822), carol@cert.lab.test (RFC822) or eve (FQDN). */
  localId: string;
  localAuth: 'psk' | 'pubkey' | 'eap-mschapv2';
  /** How the gateway authenticates itself. */
  remoteAuth: 'psk' | 'pubkey';
  psk: string | undefined;
  eap: { user: string; password: string } | undefined;
  /** Client certificate and key (cert scenarios). */
  clientCredential: Credential | undefined;
  /** Trust anchor for the gateway's certificate. */
  ca: Credential;
  /** Split-tunnel network behind the gateway; the full-tunnel child offers 0.0.0.0/0. */
  protectedNet: string;
  /** The host to reach through the tunnel. */
  protectedHost: string;
  expectedDns: string;
  pool: string;
}

export function clientProfile(pki: LabPki, scenario: ClientScenario): ScenarioProfile {
  const base = {
    scenario,
    gatewayAddress: ADDR.gateway.outer,
    gatewayId: GATEWAY_ID,
    ca: pki.ca,
    protectedNet: ADDR.protectedNet,
    protectedHost: ADDR.host,
    expectedDns: ADDR.dns,
    pool: ADDR.pool,
  };
  switch (scenario) {
    case 'psk':
      return {
        ...base,
        localId: PSK_CLIENT_ID,
        localAuth: 'psk',
        remoteAuth: 'psk',
        psk: PSK,
        eap: undefined,
        clientCredential: undefined,
      };
    case 'cert-ecdsa':
    case 'cert-rsa':
      return {
        ...base,
        localId: CERT_CLIENT_ID,
        localAuth: 'pubkey',
        remoteAuth: 'pubkey',
        psk: undefined,
        eap: undefined,
        clientCredential: scenario === 'cert-ecdsa' ? pki.clientEcdsa : pki.clientRsa,
      };
    case 'eap':
      return {
        ...base,
        localId: EAP_USER,
        localAuth: 'eap-mschapv2',
        remoteAuth: 'pubkey',
        psk: undefined,
        eap: { user: EAP_USER, password: EAP_PASSWORD },
        clientCredential: undefined,
      };
  }
}
