/**
 * The diagnosis a person reads when a connection fails: the engine's error (what happened) made
 * specific with what the profile says (which identities and which credentials were used), so
 * the likely causes are named in order and the fix points at the profile field to change.
 *
 * Authentication is where this matters most: strongSwan answers AUTHENTICATION_FAILED for a
 * wrong secret, for a client identity it has no configuration for, and for a remote identity
 * (IDr) it is not known as — three different fixes behind one notify.
 */
import { ikeErrorFix, ikeErrorMessage, type IkeError } from '../ike/ike-error.js';

export interface DiagnosisContext {
  method: 'psk' | 'cert' | 'eap-mschapv2';
  server: string;
  /** The identity we sent (IDi) and whether the profile set it or it was derived. */
  localId: string;
  localIdFromProfile: boolean;
  /** The identity we asked the gateway for (IDr) and whether the profile set it. */
  remoteId: string;
  remoteIdFromProfile: boolean;
  /** False when IKE_AUTH carried no IDr ("sendRemoteId": false): the gateway chose whom to be. */
  remoteIdSent?: boolean;
}

export interface Diagnosis {
  message: string;
  fix: string;
}

const q = (s: string) => `"${s}"`;

export function diagnose(error: IkeError, ctx: DiagnosisContext | undefined): Diagnosis {
  const fallback = { message: ikeErrorMessage(error), fix: ikeErrorFix(error) };
  if (!ctx) return fallback;
  if (error.code === 'authentication-failed')
    return error.by === 'peer' ? rejectedByGateway(ctx) : gatewayFailedProof(ctx, error.detail);
  if (error.code === 'identity-mismatch') return identityMismatch(ctx, error);
  return fallback;
}

function identityMismatch(
  ctx: DiagnosisContext,
  error: Extract<IkeError, { code: 'identity-mismatch' }>,
): Diagnosis {
  const asked = ctx.remoteIdFromProfile
    ? ' (the profile\'s "remoteId")'
    : ' (the server name, used because the profile sets no "remoteId")';
  return error.where === 'IDr'
    ? {
        message: `the gateway at ${ctx.server} identified itself as ${q(error.received)}, not ${q(error.expected)}${asked}`,
        fix: `if ${q(error.received)} is the gateway you meant to reach, set "remoteId": ${q(error.received)} in the profile; if not, do not connect: something else is answering at ${ctx.server}`,
      }
    : {
        message: `the gateway's certificate does not name ${q(error.expected)}${asked}; it names ${error.received}`,
        fix: `set "remoteId" to a name the certificate holds (${error.received}) if that is the gateway you meant, or ask its administrator for a certificate that names ${q(error.expected)}`,
      };
}

/** AUTHENTICATION_FAILED from the gateway: our credentials, our identity, or the one we asked for. */
function rejectedByGateway(ctx: DiagnosisContext): Diagnosis {
  const credentials =
    ctx.method === 'psk'
      ? 'the pre-shared key differs from the gateway\'s ("auth.secret")'
      : ctx.method === 'cert'
        ? 'the gateway does not accept the client certificate (not issued by a CA it trusts, expired or revoked: "auth.certificate")'
        : 'the username or password is wrong ("auth.username", "auth.password")';
  const local = ctx.localIdFromProfile
    ? `the gateway has no client ${q(ctx.localId)} ("localId"${ctx.method === 'cert' ? ': it must be a name in the certificate, or leave it out to use the certificate subject' : ''})`
    : `the gateway has no client ${q(ctx.localId)} (derived because the profile sets no "localId": set it to the identity the gateway has for you)`;
  const remote = ctx.remoteIdFromProfile
    ? `the gateway is not configured as ${q(ctx.remoteId)} ("remoteId"; strongSwan rejects the same way when it has no connection for the identity we ask for)`
    : `the gateway is not configured as ${q(ctx.remoteId)} (the server name, asked for because the profile sets no "remoteId")`;
  if (ctx.remoteIdSent === false)
    // no IDr was asked for, so the identity we expect cannot be why the gateway refused
    return {
      message: `the gateway rejected our authentication (AUTHENTICATION_FAILED): ${credentials}, or ${local}`,
      fix: `check, in this order: ${credentials.replace(/ \(.*\)$/, '')}; "localId" ${q(ctx.localId)} — set "localId" to the identity the gateway has for you; the gateway's log names the reason`,
    };
  return {
    message: `the gateway rejected our authentication (AUTHENTICATION_FAILED): ${credentials}, or ${local}, or ${remote}`,
    fix: `check, in this order: ${credentials.replace(/ \(.*\)$/, '')}; "localId" ${q(ctx.localId)}; "remoteId" ${q(ctx.remoteId)} — set "remoteId" to the gateway's own identity (its administrator knows it) and "localId" to yours; the gateway's log names the reason`,
  };
}

/** Our check of the gateway's AUTH failed: a different PSK, or someone else answering. */
function gatewayFailedProof(ctx: DiagnosisContext, detail: string): Diagnosis {
  return ctx.method === 'psk'
    ? {
        message: `the gateway at ${ctx.server} did not prove it knows our pre-shared key (${detail})`,
        fix: `check "auth.secret" (the gateway used a different key); if it is right, something else may be answering at ${ctx.server}: do not connect`,
      }
    : {
        message: `the gateway at ${ctx.server} failed to prove its identity ${q(ctx.remoteId)} (${detail})`,
        fix: `check "remoteId" and "ca" in the profile; if they are right, the gateway is misconfigured or impersonated: do not connect`,
      };
}
