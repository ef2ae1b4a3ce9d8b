// The profile editor's form state and its conversions to and from the profile format (pure, so
// the rules are tested without a DOM). Main validates; this only shapes text into a document.

import type {
  ProfileAuthMethod,
  ProfileDocument,
  ProfileFieldIssue,
} from '../../electron/shared/ipc-schema';

export interface ProfileForm {
  name: string;
  server: string;
  port: string;
  remoteId: string;
  localId: string;
  method: ProfileAuthMethod;
  username: string;
  certificate: string;
  privateKey: string;
  /** A newly typed secret; '' keeps the stored one. */
  secret: string;
  /** Whether the profile already has a secret in the keychain. */
  hasStoredSecret: boolean;
  /** One path per line. */
  ca: string;
  ike: string;
  esp: string;
  routesMode: 'all' | 'split';
  /** One CIDR per line. */
  routes: string;
  dns: boolean;
  mobike: boolean;
  fragmentation: boolean;
  dpdDelay: string;
  /** Fields the form does not show, kept as they were (retransmit, lifetimes, keyingTries). */
  preserved: Partial<ProfileDocument>;
}

export type FormField = Exclude<keyof ProfileForm, 'hasStoredSecret' | 'preserved' | 'routesMode'>;

export function emptyProfileForm(): ProfileForm {
  return {
    name: '',
    server: '',
    port: '',
    remoteId: '',
    localId: '',
    method: 'eap-mschapv2',
    username: '',
    certificate: '',
    privateKey: '',
    secret: '',
    hasStoredSecret: false,
    ca: '',
    ike: '',
    esp: '',
    routesMode: 'all',
    routes: '',
    dns: true,
    mobike: true,
    fragmentation: true,
    dpdDelay: '30',
    preserved: {},
  };
}

export function formFromDocument(doc: ProfileDocument): ProfileForm {
  const auth = doc.auth;
  const stored =
    auth.method === 'psk'
      ? auth.secret
      : auth.method === 'eap-mschapv2'
        ? auth.password
        : auth.passphrase;
  const preserved: Partial<ProfileDocument> = {
    ...(doc.retransmit !== undefined ? { retransmit: doc.retransmit } : {}),
    ...(doc.keyingTries !== undefined ? { keyingTries: doc.keyingTries } : {}),
    ...(doc.ikeLifetime !== undefined ? { ikeLifetime: doc.ikeLifetime } : {}),
    ...(doc.childLifetime !== undefined ? { childLifetime: doc.childLifetime } : {}),
  };
  return {
    name: doc.name,
    server: doc.server,
    port: doc.port === undefined || doc.port === 500 ? '' : String(doc.port),
    remoteId: doc.remoteId ?? '',
    localId: doc.localId ?? '',
    method: auth.method,
    username: auth.method === 'eap-mschapv2' ? auth.username : '',
    certificate: auth.method === 'cert' ? auth.certificate : '',
    privateKey: auth.method === 'cert' ? auth.privateKey : '',
    secret: '',
    hasStoredSecret: stored !== undefined,
    ca: (doc.ca ?? []).join('\n'),
    ike: doc.ike ?? '',
    esp: doc.esp ?? '',
    routesMode: doc.routes === undefined || doc.routes === 'all' ? 'all' : 'split',
    routes: doc.routes === undefined || doc.routes === 'all' ? '' : doc.routes.join('\n'),
    dns: doc.dns ?? true,
    mobike: doc.mobike ?? true,
    fragmentation: doc.fragmentation ?? true,
    dpdDelay: String(doc.dpdDelay ?? 30),
    preserved,
  };
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

/** A number field's text as the document wants it: empty → absent, anything else → Number. */
function numberOrAbsent(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text.trim());
}

/**
 * The document the form describes. `storedRef` is the keychain reference the profile already has
 * (kept when the user typed no new secret, and only while the method is unchanged).
 */
export function documentFromForm(form: ProfileForm, original?: ProfileDocument): ProfileDocument {
  const oldAuth = original?.auth;
  const keep = <K extends 'secret' | 'password' | 'passphrase'>(key: K) => {
    if (!oldAuth || oldAuth.method !== form.method) return {};
    const ref = (oldAuth as Record<string, unknown>)[key];
    return ref === undefined ? {} : { [key]: ref };
  };
  const auth: ProfileDocument['auth'] =
    form.method === 'psk'
      ? { method: 'psk', ...keep('secret') }
      : form.method === 'eap-mschapv2'
        ? { method: 'eap-mschapv2', username: form.username.trim(), ...keep('password') }
        : {
            method: 'cert',
            certificate: form.certificate.trim(),
            privateKey: form.privateKey.trim(),
            ...keep('passphrase'),
          };
  const port = numberOrAbsent(form.port);
  const dpdDelay = numberOrAbsent(form.dpdDelay);
  return {
    ...form.preserved,
    version: 1,
    name: form.name,
    server: form.server.trim(),
    ...(port !== undefined ? { port } : {}),
    ...(form.remoteId.trim() ? { remoteId: form.remoteId.trim() } : {}),
    ...(form.localId.trim() ? { localId: form.localId.trim() } : {}),
    auth,
    ca: lines(form.ca),
    ...(form.ike.trim() ? { ike: form.ike.trim() } : {}),
    ...(form.esp.trim() ? { esp: form.esp.trim() } : {}),
    routes: form.routesMode === 'all' ? 'all' : lines(form.routes),
    dns: form.dns,
    mobike: form.mobike,
    fragmentation: form.fragmentation,
    ...(dpdDelay !== undefined ? { dpdDelay } : {}),
  };
}

/** Which form field shows an issue main reported for a profile field. */
export function formFieldOf(issueField: string): FormField | 'method' | undefined {
  const top = issueField.replace(/\[\d+\]$/, '').replace(/\[\d+\].*$/, '');
  switch (top) {
    case 'auth':
    case 'auth.method':
      return 'method';
    case 'auth.secret':
    case 'auth.password':
    case 'auth.passphrase':
      return 'secret';
    case 'auth.username':
      return 'username';
    case 'auth.certificate':
      return 'certificate';
    case 'auth.privateKey':
      return 'privateKey';
    case 'name':
    case 'server':
    case 'port':
    case 'remoteId':
    case 'localId':
    case 'ca':
    case 'ike':
    case 'esp':
    case 'routes':
    case 'dpdDelay':
    case 'dns':
    case 'mobike':
    case 'fragmentation':
      return top;
    default:
      return undefined;
  }
}

/** Issues grouped by form field; the rest (no field of the form) under ''. */
export function issuesByField(
  issues: readonly ProfileFieldIssue[],
): Partial<Record<FormField | 'method' | '', string>> {
  const out: Partial<Record<FormField | 'method' | '', string>> = {};
  for (const issue of issues) {
    const key = formFieldOf(issue.field) ?? '';
    const text = key === '' && issue.field ? `${issue.field}: ${issue.message}` : issue.message;
    out[key] ??= text;
  }
  return out;
}

export function secretLabel(method: ProfileAuthMethod): string {
  return method === 'psk'
    ? 'Pre-shared key'
    : method === 'eap-mschapv2'
      ? 'Password'
      : 'Private key passphrase (optional)';
}
