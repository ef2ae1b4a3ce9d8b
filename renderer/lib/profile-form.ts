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
  /** Whether IKE_AUTH asks the gateway for remoteId (IDr); true is the format's default. */
  sendRemoteId: boolean;
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
  /** strongSwan's retransmit_timeout (s), retransmit_base and retransmit_tries; '' = default. */
  retransmitTimeout: string;
  retransmitBase: string;
  retransmitTries: string;
  /** How many times to try establishing; 0 = keep trying. '' = default. */
  keyingTries: string;
  /** Seconds; '' = default. */
  ikeLifetime: string;
  childLifetime: string;
  /** Seconds; '' = 90 % of the lifetime. */
  ikeRekeyTime: string;
  childRekeyTime: string;
  /** Seconds; '' = 10 % of each rekey time. */
  rekeyJitter: string;
  /** TUN MTU in bytes; '' = computed from the path. */
  mtu: string;
  /** ESP anti-replay window in packets; '' = default. */
  replayWindow: string;
}

export type FormField = Exclude<keyof ProfileForm, 'hasStoredSecret' | 'routesMode'>;

/**
 * The profile format's defaults for the fields the editor may leave empty (the values
 * native-helper/profile/profile.ts fills in); the editor shows them as placeholders.
 */
export const PROFILE_DEFAULTS = {
  port: 500,
  dpdDelay: 30,
  retransmit: { timeout: 4, base: 1.8, tries: 5 },
  keyingTries: 0,
  ikeLifetime: 14_400,
  childLifetime: 3_600,
  replayWindow: 128,
  /** Without a rekey time an SA is rekeyed at this share of its lifetime. */
  rekeyShare: 0.9,
  /** Without a jitter a rekey starts up to this share of the rekey time early. */
  jitterShare: 0.1,
} as const;

export function emptyProfileForm(): ProfileForm {
  return {
    name: '',
    server: '',
    port: '',
    remoteId: '',
    sendRemoteId: true,
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
    retransmitTimeout: '',
    retransmitBase: '',
    retransmitTries: '',
    keyingTries: '',
    ikeLifetime: '',
    childLifetime: '',
    ikeRekeyTime: '',
    childRekeyTime: '',
    rekeyJitter: '',
    mtu: '',
    replayWindow: '',
  };
}

const text = (n: number | undefined) => (n === undefined ? '' : String(n));

export function formFromDocument(doc: ProfileDocument): ProfileForm {
  const auth = doc.auth;
  const stored =
    auth.method === 'psk'
      ? auth.secret
      : auth.method === 'eap-mschapv2'
        ? auth.password
        : auth.passphrase;
  return {
    name: doc.name,
    server: doc.server,
    port: doc.port === undefined || doc.port === 500 ? '' : String(doc.port),
    remoteId: doc.remoteId ?? '',
    sendRemoteId: doc.sendRemoteId ?? true,
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
    retransmitTimeout: text(doc.retransmit?.timeout),
    retransmitBase: text(doc.retransmit?.base),
    retransmitTries: text(doc.retransmit?.tries),
    keyingTries: text(doc.keyingTries),
    ikeLifetime: text(doc.ikeLifetime),
    childLifetime: text(doc.childLifetime),
    ikeRekeyTime: text(doc.ikeRekeyTime),
    childRekeyTime: text(doc.childRekeyTime),
    rekeyJitter: text(doc.rekeyJitter),
    mtu: text(doc.mtu),
    replayWindow: text(doc.replayWindow),
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
  const keyingTries = numberOrAbsent(form.keyingTries);
  const ikeLifetime = numberOrAbsent(form.ikeLifetime);
  const childLifetime = numberOrAbsent(form.childLifetime);
  const ikeRekeyTime = numberOrAbsent(form.ikeRekeyTime);
  const childRekeyTime = numberOrAbsent(form.childRekeyTime);
  const rekeyJitter = numberOrAbsent(form.rekeyJitter);
  const mtu = numberOrAbsent(form.mtu);
  const replayWindow = numberOrAbsent(form.replayWindow);
  const retransmitText = [form.retransmitTimeout, form.retransmitBase, form.retransmitTries];
  // The format wants all three or none: an empty one of the three takes its default.
  const retransmit = retransmitText.every((t) => t.trim() === '')
    ? undefined
    : {
        timeout: numberOrAbsent(form.retransmitTimeout) ?? PROFILE_DEFAULTS.retransmit.timeout,
        base: numberOrAbsent(form.retransmitBase) ?? PROFILE_DEFAULTS.retransmit.base,
        tries: numberOrAbsent(form.retransmitTries) ?? PROFILE_DEFAULTS.retransmit.tries,
      };
  return {
    version: 1,
    name: form.name,
    server: form.server.trim(),
    ...(port !== undefined ? { port } : {}),
    ...(form.remoteId.trim() ? { remoteId: form.remoteId.trim() } : {}),
    // Only the non-default value is written, like the other optional fields.
    ...(form.sendRemoteId ? {} : { sendRemoteId: false }),
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
    ...(retransmit !== undefined ? { retransmit } : {}),
    ...(keyingTries !== undefined ? { keyingTries } : {}),
    ...(ikeLifetime !== undefined ? { ikeLifetime } : {}),
    ...(childLifetime !== undefined ? { childLifetime } : {}),
    ...(ikeRekeyTime !== undefined ? { ikeRekeyTime } : {}),
    ...(childRekeyTime !== undefined ? { childRekeyTime } : {}),
    ...(rekeyJitter !== undefined ? { rekeyJitter } : {}),
    ...(mtu !== undefined ? { mtu } : {}),
    ...(replayWindow !== undefined ? { replayWindow } : {}),
  };
}

interface NumberRule {
  readonly field: string;
  readonly form: FormField;
  readonly integer?: string;
  readonly min?: readonly [number, string];
  readonly max?: readonly [number, string];
}

// The ranges of native-helper/profile/profile.ts, checked as the user types so a mistake shows on
// its field at once (main checks again on save, with the same schema the helper uses).
const NUMBER_RULES: readonly NumberRule[] = [
  {
    field: 'port',
    form: 'port',
    integer: 'must be a whole number',
    min: [1, 'must be between 1 and 65535'],
    max: [65535, 'must be between 1 and 65535'],
  },
  {
    field: 'dpdDelay',
    form: 'dpdDelay',
    integer: 'must be whole seconds',
    min: [0, 'must be 0 (off) or more'],
    max: [3600, 'must be at most 3600 s (one hour)'],
  },
  {
    field: 'retransmit.timeout',
    form: 'retransmitTimeout',
    min: [0.1, 'must be at least 0.1 s'],
    max: [60, 'must be at most 60 s'],
  },
  {
    field: 'retransmit.base',
    form: 'retransmitBase',
    min: [1, 'must be at least 1'],
    max: [4, 'must be at most 4'],
  },
  {
    field: 'retransmit.tries',
    form: 'retransmitTries',
    integer: 'must be a whole number',
    min: [0, 'must be 0 or more'],
    max: [10, 'must be at most 10'],
  },
  {
    field: 'keyingTries',
    form: 'keyingTries',
    integer: 'must be a whole number',
    min: [0, 'must be 0 (keep trying) or more'],
  },
  {
    field: 'ikeLifetime',
    form: 'ikeLifetime',
    integer: 'must be whole seconds',
    min: [10, 'must be at least 10 s'],
  },
  {
    field: 'childLifetime',
    form: 'childLifetime',
    integer: 'must be whole seconds',
    min: [10, 'must be at least 10 s'],
  },
  {
    field: 'ikeRekeyTime',
    form: 'ikeRekeyTime',
    integer: 'must be whole seconds',
    min: [10, 'must be at least 10 s'],
  },
  {
    field: 'childRekeyTime',
    form: 'childRekeyTime',
    integer: 'must be whole seconds',
    min: [10, 'must be at least 10 s'],
  },
  {
    field: 'rekeyJitter',
    form: 'rekeyJitter',
    integer: 'must be whole seconds',
    min: [0, 'must be 0 or more seconds'],
  },
  {
    field: 'mtu',
    form: 'mtu',
    integer: 'must be whole bytes',
    min: [576, 'must be at least 576 (the IPv4 minimum)'],
    max: [9000, 'must be at most 9000 (a jumbo frame)'],
  },
  {
    field: 'replayWindow',
    form: 'replayWindow',
    integer: 'must be a whole number of packets',
    min: [32, 'must be at least 32 (RFC 4303 §3.4.3)'],
    max: [4096, 'must be at most 4096'],
  },
];

/** Issues the form can see by itself (number fields), with the profile format's field paths. */
export function localIssues(form: ProfileForm): ProfileFieldIssue[] {
  const issues: ProfileFieldIssue[] = [];
  for (const rule of NUMBER_RULES) {
    const raw = (form[rule.form] as string).trim();
    if (raw === '') continue;
    const value = Number(raw);
    const message = !Number.isFinite(value)
      ? 'must be a number'
      : rule.integer && !Number.isInteger(value)
        ? rule.integer
        : rule.min && value < rule.min[0]
          ? rule.min[1]
          : rule.max && value > rule.max[0]
            ? rule.max[1]
            : undefined;
    if (message) issues.push({ field: rule.field, message });
  }
  return issues;
}

/**
 * Fields whose rules depend on each other (each rekey time below its lifetime, the jitter below
 * each rekey time): a change to one may put main's message on another, so they are checked together.
 */
export const REKEY_FIELDS: readonly FormField[] = [
  'ikeLifetime',
  'childLifetime',
  'ikeRekeyTime',
  'childRekeyTime',
  'rekeyJitter',
];

const wholeSecondsAtLeast10 = (text: string, fallback: number): number | undefined => {
  const value = text.trim() === '' ? fallback : Number(text.trim());
  return Number.isInteger(value) && value >= 10 ? value : undefined;
};

/** The lifetime (seconds) of the IKE or Child SA with these settings; undefined while it does not parse. */
export function lifetimeSeconds(form: ProfileForm, sa: 'ike' | 'child'): number | undefined {
  return sa === 'ike'
    ? wholeSecondsAtLeast10(form.ikeLifetime, PROFILE_DEFAULTS.ikeLifetime)
    : wholeSecondsAtLeast10(form.childLifetime, PROFILE_DEFAULTS.childLifetime);
}

/**
 * When the IKE or Child SA is rekeyed with these settings (seconds): the typed rekey time, or the
 * profile format's default share of the lifetime; undefined while a field does not parse.
 */
export function rekeySeconds(form: ProfileForm, sa: 'ike' | 'child'): number | undefined {
  const typed = sa === 'ike' ? form.ikeRekeyTime : form.childRekeyTime;
  if (typed.trim() !== '') return wholeSecondsAtLeast10(typed, 0);
  const lifetime = lifetimeSeconds(form, sa);
  return lifetime === undefined ? undefined : lifetime * PROFILE_DEFAULTS.rekeyShare;
}

/** A number of seconds as a placeholder: whole, or to a tenth ("1110.6", not "1110.6000000000001"). */
export function secondsText(seconds: number): string {
  return String(Math.round(seconds * 10) / 10);
}

/**
 * How long, with these settings, the initiator waits for a silent gateway before giving up on an
 * exchange (strongSwan's formula: the sum of timeout × base^n for n = 0 … tries), in seconds.
 */
export function retransmitGiveUpSeconds(timeout: number, base: number, tries: number): number {
  let total = 0;
  for (let n = 0; n <= tries; n++) total += timeout * base ** n;
  return total;
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
    case 'retransmit.timeout':
      return 'retransmitTimeout';
    case 'retransmit.base':
      return 'retransmitBase';
    case 'retransmit.tries':
    case 'retransmit':
      return 'retransmitTries';
    case 'name':
    case 'server':
    case 'port':
    case 'remoteId':
    case 'sendRemoteId':
    case 'localId':
    case 'ca':
    case 'ike':
    case 'esp':
    case 'routes':
    case 'dpdDelay':
    case 'keyingTries':
    case 'ikeLifetime':
    case 'childLifetime':
    case 'ikeRekeyTime':
    case 'childRekeyTime':
    case 'rekeyJitter':
    case 'mtu':
    case 'replayWindow':
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
