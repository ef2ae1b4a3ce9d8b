/**
 * Every way an IKE SA can fail, as one closed union. These are the product's diagnostics: the
 * CLI prints `describeIkeError(e)`, the app shows `message` and `fix`, scripts read `code`.
 */

export type IkeError =
  | {
      code: 'no-proposal-chosen';
      /** 'ike' for IKE_SA_INIT, 'esp' for a Child SA. */
      stage: 'ike' | 'esp';
      /** Our proposals in strongSwan syntax. */
      offered: string[];
      /**
       * The gateway's answer in strongSwan syntax, when it chose something we did not offer
       * (a plain NO_PROPOSAL_CHOSEN says nothing about what it accepts).
       */
      peer?: string[];
    }
  | { code: 'authentication-failed'; by: 'peer' | 'us'; detail: string }
  | { code: 'identity-mismatch'; expected: string; received: string; where: 'IDr' | 'certificate' }
  | { code: 'certificate-expired'; subject: string; notAfter: string }
  | { code: 'certificate-not-yet-valid'; subject: string; notBefore: string }
  | { code: 'certificate-untrusted'; subject: string; detail: string }
  | { code: 'certificate-invalid'; detail: string }
  | { code: 'ts-unacceptable'; detail: string }
  | { code: 'internal-address-failure' }
  | {
      code: 'peer-unreachable';
      server: string;
      afterMs: number;
      stage: string;
      fragmentationHint: boolean;
    }
  | { code: 'invalid-syntax'; detail: string }
  | { code: 'invalid-ke'; detail: string }
  | { code: 'too-many-retries'; detail: string }
  | { code: 'redirect-loop'; detail: string }
  | { code: 'eap-failed'; detail: string }
  | { code: 'peer-deleted'; detail: string }
  /** Its hard lifetime ran out before a rekey completed (RFC 7296 §2.8): re-establish. */
  | { code: 'sa-expired'; detail: string }
  | { code: 'config-invalid'; field: string; detail: string }
  /** This computer could not set up the tunnel (TUN device, routes, DNS, sockets). */
  | { code: 'local-setup-failed'; detail: string };

export type IkeErrorCode = IkeError['code'];

/** One line: what happened, in plain words. */
export function ikeErrorMessage(e: IkeError): string {
  switch (e.code) {
    case 'no-proposal-chosen':
      return `the gateway accepted none of our ${e.stage === 'ike' ? 'IKE' : 'ESP'} proposals (${e.offered.join(', ')})${e.peer ? `; it answered with ${e.peer.join(', ')}, which we did not offer` : ''}`;
    case 'authentication-failed':
      return e.by === 'peer'
        ? `the gateway rejected our credentials (${e.detail})`
        : `the gateway failed to prove its identity (${e.detail})`;
    case 'identity-mismatch':
      return e.where === 'IDr'
        ? `the gateway identified itself as ${e.received}, not ${e.expected}`
        : `the server certificate does not name ${e.expected}, the identity you configured (it has: ${e.received})`;
    case 'certificate-expired':
      return `the server certificate ${e.subject} expired on ${e.notAfter}`;
    case 'certificate-not-yet-valid':
      return `the server certificate ${e.subject} is not valid before ${e.notBefore}`;
    case 'certificate-untrusted':
      return `the server certificate ${e.subject} is not signed by a CA you trust (${e.detail})`;
    case 'certificate-invalid':
      return `the server certificate chain is invalid (${e.detail})`;
    case 'ts-unacceptable':
      return `the gateway refused the networks we asked to tunnel (${e.detail})`;
    case 'internal-address-failure':
      return 'the gateway could not give us a virtual IP address (its address pool may be exhausted)';
    case 'peer-unreachable':
      return e.fragmentationHint
        ? `${e.stage} got no answer from ${e.server} after ${Math.round(e.afterMs / 1000)} s: large messages are likely being dropped`
        : `no answer from ${e.server} during ${e.stage} after ${Math.round(e.afterMs / 1000)} s`;
    case 'invalid-syntax':
      return `the gateway sent a message we cannot accept (${e.detail})`;
    case 'invalid-ke':
      return `key exchange failed (${e.detail})`;
    case 'too-many-retries':
      return `the connection attempt was restarted too often (${e.detail})`;
    case 'redirect-loop':
      return `the gateway redirected us in a loop (${e.detail})`;
    case 'eap-failed':
      return `EAP authentication failed (${e.detail})`;
    case 'peer-deleted':
      return `the gateway closed the connection (${e.detail})`;
    case 'sa-expired':
      return `the IKE SA reached its lifetime before a rekey completed (${e.detail})`;
    case 'config-invalid':
      return `the profile's ${e.field} is invalid: ${e.detail}`;
    case 'local-setup-failed':
      return `this computer could not set up the tunnel: ${e.detail}`;
  }
}

/** The likely fix, for the user. */
export function ikeErrorFix(e: IkeError): string {
  switch (e.code) {
    case 'no-proposal-chosen':
      return `set "${e.stage === 'ike' ? 'ike' : 'esp'}" in the profile to a proposal the gateway is configured for (ask its administrator)`;
    case 'authentication-failed':
      return e.by === 'peer'
        ? 'check the pre-shared key, username/password or client certificate, and the local identity'
        : 'check the gateway identity and the CA in the profile; the gateway may be misconfigured or impersonated';
    case 'identity-mismatch':
      return 'set "remoteId" to the identity the gateway really uses, or fix the gateway certificate';
    case 'certificate-expired':
    case 'certificate-not-yet-valid':
      return "check this computer's clock, or ask the gateway's administrator to renew its certificate";
    case 'certificate-untrusted':
      return 'add the CA that issued the gateway certificate to "ca" in the profile';
    case 'certificate-invalid':
      return "ask the gateway's administrator to fix its certificate chain";
    case 'ts-unacceptable':
      return 'set "routes" to networks the gateway allows, or "all" if it provides a full tunnel';
    case 'internal-address-failure':
      return "ask the gateway's administrator to enlarge the address pool";
    case 'peer-unreachable':
      return e.fragmentationHint
        ? 'enable fragmentation ("fragmentation": true) in the profile'
        : 'check the server address and that UDP ports 500 and 4500 are not blocked on this network';
    case 'invalid-syntax':
    case 'invalid-ke':
    case 'redirect-loop':
      return "this is a gateway or network problem: report it to the gateway's administrator with the log";
    case 'too-many-retries':
      return 'the gateway may be overloaded; try again later';
    case 'eap-failed':
      return 'check the username and password';
    case 'peer-deleted':
      return 'reconnect; if it keeps happening, ask the administrator why the gateway closes the session';
    case 'sa-expired':
      return 'a running tunnel reconnects by itself; if it keeps happening, check that the gateway accepts our rekeys (the "ike" proposals) and the lifetimes in the profile';
    case 'config-invalid':
      return `correct "${e.field}" in the profile`;
    case 'local-setup-failed':
      return 'run Tsunagi as root (sudo); if it persists, report this message';
  }
}

/** "message — fix": the one-line diagnosis the CLI prints. */
export function describeIkeError(e: IkeError): string {
  return `${ikeErrorMessage(e)} — ${ikeErrorFix(e)}`;
}
