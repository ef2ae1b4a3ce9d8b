import { useId, useState, type ReactNode } from 'react';
import type {
  ProfileDocument,
  ProfileFieldIssue,
  ProfileSummary,
  TsunagiApi,
} from '../../electron/shared/ipc-schema';
import { describeDuration } from '../lib/format';
import { matchingPreset, PROPOSAL_PRESETS } from '../lib/proposal-presets';
import {
  documentFromForm,
  emptyProfileForm,
  formFromDocument,
  issuesByField,
  localIssues,
  lifetimeSeconds,
  PROFILE_DEFAULTS,
  REKEY_FIELDS,
  rekeySeconds,
  retransmitGiveUpSeconds,
  secondsText,
  secretLabel,
  type FormField,
  type ProfileForm,
} from '../lib/profile-form';

type Issues = ReturnType<typeof issuesByField>;

export function ProfileEditor({
  api,
  id,
  original,
  onDone,
}: {
  api: TsunagiApi;
  /** undefined for a new profile. */
  id?: string;
  original?: ProfileDocument;
  onDone: (saved?: ProfileSummary) => void;
}) {
  const [form, setForm] = useState<ProfileForm>(() =>
    original ? formFromDocument(original) : emptyProfileForm(),
  );
  const [issues, setIssues] = useState<Issues>({});
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [failure, setFailure] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const draft = (f: ProfileForm) => ({
    ...(id !== undefined ? { id } : {}),
    profile: documentFromForm(f, original),
    ...(f.secret !== '' ? { secret: f.secret } : {}),
  });
  const show = (all: readonly ProfileFieldIssue[], only?: ReadonlySet<string>) => {
    const grouped = issuesByField(all);
    if (only) {
      for (const key of Object.keys(grouped)) {
        if (!only.has(key)) delete grouped[key as keyof Issues];
      }
    }
    setIssues(grouped);
  };
  // The form's own checks (number ranges) come first: they say exactly what to type.
  const validate = async (field: string) => {
    const nowTouched = new Set(touched).add(field);
    // A lifetime lowered below its rekey time is reported on the rekey time: show it there too.
    if ((REKEY_FIELDS as readonly string[]).includes(field)) {
      for (const related of REKEY_FIELDS) nowTouched.add(related);
    }
    setTouched(nowTouched);
    const local = localIssues(form);
    const answer = await api.profiles.validate(draft(form));
    show([...local, ...(answer.ok ? answer.value : [])], nowTouched);
  };
  const set = <K extends keyof ProfileForm>(key: K, value: ProfileForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));

  const save = async () => {
    setFailure(null);
    const local = localIssues(form);
    if (local.length > 0) {
      const answer = await api.profiles.validate(draft(form));
      show([...local, ...(answer.ok ? answer.value : [])]);
      return;
    }
    setSaving(true);
    const answer = await api.profiles.save(draft(form));
    setSaving(false);
    if (!answer.ok) return setFailure(answer.error.message);
    if (!answer.value.saved) {
      show(answer.value.issues);
      return;
    }
    onDone(answer.value.profile);
  };

  // "Choose…": main's open dialog picks the file; its path goes into the field (a CA is added
  // as one more line). Main checks it on save, like a typed path.
  const chooseFile = async (field: 'certificate' | 'privateKey' | 'ca') => {
    const kind = field === 'privateKey' ? 'private-key' : field;
    const answer = await api.profiles.chooseFile({ kind });
    if (!answer.ok) return setFailure(answer.error.message);
    if (!answer.value.chosen) return;
    const chosen = answer.value.path;
    setForm((f) => ({
      ...f,
      [field]:
        field === 'ca'
          ? [...f.ca.split('\n').filter((l) => l.trim() !== ''), chosen].join('\n')
          : chosen,
    }));
  };
  const chooseAction = (field: 'certificate' | 'privateKey' | 'ca', what: string) => ({
    label: field === 'ca' ? 'Add…' : 'Choose…',
    ariaLabel: field === 'ca' ? `Add ${what}` : `Choose ${what}`,
    onClick: () => void chooseFile(field),
  });

  // Empty proposals are the helper's defaults, which Modern spells out.
  const preset =
    form.ike.trim() === '' && form.esp.trim() === ''
      ? PROPOSAL_PRESETS[0]
      : matchingPreset(form.ike, form.esp);

  const text = (field: FormField, label: string, extra: Partial<TextFieldProps> = {}) => (
    <TextField
      label={label}
      value={form[field] as string}
      error={issues[field]}
      onChange={(v) => set(field, v)}
      onBlur={() => void validate(field)}
      {...extra}
    />
  );

  return (
    <section className="view" aria-labelledby="editor-title">
      <header className="view__header">
        <h2 id="editor-title" className="view__title">
          {id === undefined ? 'New profile' : `Edit ${original?.name ?? id}`}
        </h2>
        <p className="view__subtitle">
          Secrets go to your keychain; the profile file only names them.
        </p>
      </header>
      <form
        className="editor"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
      >
        <Section title="Gateway">
          {text('name', 'Name', { placeholder: 'Office' })}
          <div className="editor__row">
            {text('server', 'Server', { placeholder: 'vpn.example.com', grow: true })}
            {text('port', 'Port', { placeholder: '500', inputMode: 'numeric', narrow: true })}
          </div>
        </Section>

        <Section title="Identities">
          {text('remoteId', 'Gateway identity', {
            placeholder: 'Defaults to the server name',
          })}
          <Check
            label="Ask the gateway for this identity (send IDr)"
            checked={form.sendRemoteId}
            onChange={(v) => set('sendRemoteId', v)}
            note="Turn it off when the gateway refuses an identity it does not know: it then answers with its own, so a wrong gateway identity is reported as exactly that"
          />
          {text('localId', 'Your identity', { placeholder: 'Defaults to your address' })}
        </Section>

        <Section title="Sign-in">
          <SelectField
            label="Method"
            value={form.method}
            error={issues.method}
            options={[
              ['eap-mschapv2', 'User name and password (EAP-MSCHAPv2)'],
              ['psk', 'Pre-shared key'],
              ['cert', 'Certificate'],
            ]}
            onChange={(v) => set('method', v as ProfileForm['method'])}
          />
          {form.method === 'eap-mschapv2' && text('username', 'User name')}
          {form.method === 'cert' && (
            <>
              {text('certificate', 'Certificate file', {
                placeholder: '/path/to/you.pem',
                action: chooseAction('certificate', 'the certificate file'),
              })}
              {text('privateKey', 'Private key file', {
                placeholder: '/path/to/you.key',
                action: chooseAction('privateKey', 'the private key file'),
              })}
            </>
          )}
          {text('secret', secretLabel(form.method), {
            type: 'password',
            autoComplete: 'new-password',
            placeholder:
              form.hasStoredSecret && original?.auth.method === form.method
                ? 'Saved in your keychain (type to replace)'
                : '',
          })}
        </Section>

        <Section title="Trust">
          {text('ca', 'CA certificates', {
            multiline: true,
            placeholder:
              'One PEM file per line: the CA that issued the gateway certificate (certificate and EAP sign-in)',
            action: chooseAction('ca', 'a CA certificate file'),
          })}
        </Section>

        <Section title="Proposals">
          <SelectField
            label="Preset"
            value={preset?.id ?? 'custom'}
            options={[
              ...PROPOSAL_PRESETS.map((p) => [p.id, p.label] as const),
              ...(preset ? [] : [['custom', 'Custom (your own proposals)'] as const]),
            ]}
            hint={
              preset?.note ?? 'The proposals below are your own; pick a preset to replace them.'
            }
            onChange={(id) => {
              const chosen = PROPOSAL_PRESETS.find((p) => p.id === id);
              if (chosen) setForm((f) => ({ ...f, ike: chosen.ike, esp: chosen.esp }));
            }}
          />
          {text('ike', 'IKE proposals', {
            placeholder: 'aes256gcm16-prfsha256-x25519 (empty: defaults)',
            mono: true,
          })}
          {text('esp', 'ESP proposals', {
            placeholder: 'aes256gcm16,chacha20poly1305 (empty: defaults)',
            mono: true,
          })}
        </Section>

        <Section title="Traffic">
          <fieldset className="field">
            <legend className="field__label">Send through the VPN</legend>
            <label className="choice">
              <input
                type="radio"
                name="routes"
                checked={form.routesMode === 'all'}
                onChange={() => set('routesMode', 'all')}
              />
              All traffic
            </label>
            <label className="choice">
              <input
                type="radio"
                name="routes"
                checked={form.routesMode === 'split'}
                onChange={() => set('routesMode', 'split')}
              />
              Only these networks
            </label>
          </fieldset>
          {form.routesMode === 'split' &&
            text('routes', 'Networks', {
              multiline: true,
              placeholder: '10.0.0.0/8\nfd00::/8',
              mono: true,
            })}
          <Check
            label="Use the gateway's DNS servers"
            checked={form.dns}
            onChange={(v) => set('dns', v)}
          />
        </Section>

        <Section title="Connection">
          <Check
            label="MOBIKE (keep the tunnel when your address changes)"
            checked={form.mobike}
            onChange={(v) => set('mobike', v)}
          />
          <Check
            label="IKE fragmentation"
            checked={form.fragmentation}
            onChange={(v) => set('fragmentation', v)}
          />
          {text('dpdDelay', 'Dead peer detection (seconds)', {
            inputMode: 'numeric',
            medium: true,
            hint: 'A silent gateway is checked after this; 0 turns it off',
          })}
        </Section>

        <Section title="Retransmission and rekeying">
          <p className="editor__note">
            Empty fields use the defaults shown. A request is resent after the first timeout, each
            wait longer by the backoff factor, until the tries run out.
          </p>
          <div className="editor__row">
            {text('retransmitTimeout', 'First timeout (seconds)', {
              placeholder: String(PROFILE_DEFAULTS.retransmit.timeout),
              inputMode: 'decimal',
              grow: true,
            })}
            {text('retransmitBase', 'Backoff factor', {
              placeholder: String(PROFILE_DEFAULTS.retransmit.base),
              inputMode: 'decimal',
              grow: true,
            })}
            {text('retransmitTries', 'Retransmissions', {
              placeholder: String(PROFILE_DEFAULTS.retransmit.tries),
              inputMode: 'numeric',
              grow: true,
            })}
          </div>
          <p className="editor__note" aria-live="polite">
            {giveUpNote(form)}
          </p>
          {text('keyingTries', 'Connection attempts', {
            placeholder: String(PROFILE_DEFAULTS.keyingTries),
            inputMode: 'numeric',
            medium: true,
            hint: 'Tries before giving up; 0 keeps trying',
          })}
          <div className="editor__row">
            {text('ikeLifetime', 'IKE SA lifetime (seconds)', {
              placeholder: String(PROFILE_DEFAULTS.ikeLifetime),
              inputMode: 'numeric',
              grow: true,
              hint: lifetimeHint(form.ikeLifetime, PROFILE_DEFAULTS.ikeLifetime),
            })}
            {text('childLifetime', 'Child SA lifetime (seconds)', {
              placeholder: String(PROFILE_DEFAULTS.childLifetime),
              inputMode: 'numeric',
              grow: true,
              hint: lifetimeHint(form.childLifetime, PROFILE_DEFAULTS.childLifetime),
            })}
          </div>
          <div className="editor__row">
            {text('ikeRekeyTime', 'IKE SA rekey time (seconds)', {
              placeholder: rekeyPlaceholder(form, 'ike'),
              inputMode: 'numeric',
              grow: true,
              hint: rekeyHint(form, 'ike'),
            })}
            {text('childRekeyTime', 'Child SA rekey time (seconds)', {
              placeholder: rekeyPlaceholder(form, 'child'),
              inputMode: 'numeric',
              grow: true,
              hint: rekeyHint(form, 'child'),
            })}
          </div>
          {text('rekeyJitter', 'Rekey jitter (seconds)', {
            placeholder: jitterPlaceholder(form),
            inputMode: 'numeric',
            medium: true,
            hint: 'Rekeys start up to this much early, at random, so clients spread out; empty: 10 % of the rekey time',
          })}
        </Section>

        <Section title="Data plane">
          <div className="editor__row">
            {text('mtu', 'Tunnel MTU (bytes)', {
              placeholder: 'automatic',
              inputMode: 'numeric',
              grow: true,
              hint: 'Empty: the path MTU minus the ESP overhead, at most 1400 (576–9000)',
            })}
            {text('replayWindow', 'Replay window (packets)', {
              placeholder: String(PROFILE_DEFAULTS.replayWindow),
              inputMode: 'numeric',
              grow: true,
              hint: 'How far out of order ESP packets may arrive (32–4096)',
            })}
          </div>
        </Section>

        {issues[''] && (
          <p className="editor__failure" role="alert">
            {issues['']}
          </p>
        )}
        {failure && (
          <p className="editor__failure" role="alert">
            {failure}
          </p>
        )}
        <div className="editor__actions">
          <button type="button" className="button button--quiet" onClick={() => onDone()}>
            Cancel
          </button>
          <button type="submit" className="button" disabled={saving}>
            {saving ? 'Saving…' : 'Save profile'}
          </button>
        </div>
      </form>
    </section>
  );
}

/** What the retransmission fields add up to, in words (or nothing while they do not parse). */
function giveUpNote(form: ProfileForm): string {
  if (localIssues(form).some((i) => i.field.startsWith('retransmit.'))) return '';
  const value = (t: string, fallback: number) => (t.trim() === '' ? fallback : Number(t));
  const d = PROFILE_DEFAULTS.retransmit;
  const total = retransmitGiveUpSeconds(
    value(form.retransmitTimeout, d.timeout),
    value(form.retransmitBase, d.base),
    value(form.retransmitTries, d.tries),
  );
  if (!Number.isFinite(total) || total <= 0) return '';
  return `A gateway that stops answering is given up after about ${describeDuration(Math.round(total) * 1000)}.`;
}

/** "4 hours" under a lifetime in seconds; the default's when the field is empty. */
function lifetimeHint(text: string, fallback: number): string | undefined {
  const seconds = text.trim() === '' ? fallback : Number(text);
  if (!Number.isInteger(seconds) || seconds < 10) return undefined;
  return `${describeDuration(seconds * 1000)}; rekeyed a little before it ends`;
}

/** The rekey time used while the field is empty (90 % of the lifetime), as a placeholder. */
function rekeyPlaceholder(form: ProfileForm, sa: 'ike' | 'child'): string {
  const lifetime = lifetimeSeconds(form, sa);
  return lifetime === undefined ? '' : secondsText(lifetime * PROFILE_DEFAULTS.rekeyShare);
}

/** "3 hours 36 minutes; …" under a rekey time: when the rekey happens, and the rule it must meet. */
function rekeyHint(form: ProfileForm, sa: 'ike' | 'child'): string | undefined {
  const seconds = rekeySeconds(form, sa);
  if (seconds === undefined) return undefined;
  const typed = (sa === 'ike' ? form.ikeRekeyTime : form.childRekeyTime).trim() !== '';
  return typed
    ? `${describeDuration(seconds * 1000)}; below the lifetime`
    : `Empty: 90 % of the lifetime (${describeDuration(seconds * 1000)})`;
}

/** The jitters used while the field is empty (10 % of each rekey time), as a placeholder. */
function jitterPlaceholder(form: ProfileForm): string {
  const ike = rekeySeconds(form, 'ike');
  const child = rekeySeconds(form, 'child');
  if (ike === undefined || child === undefined) return '';
  const share = PROFILE_DEFAULTS.jitterShare;
  return `${secondsText(ike * share)} (IKE), ${secondsText(child * share)} (Child)`;
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="editor__section">
      <legend className="editor__section-title">{title}</legend>
      {children}
    </fieldset>
  );
}

interface TextFieldProps {
  label: string;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
  onBlur: () => void;
  placeholder?: string;
  type?: 'text' | 'password';
  autoComplete?: string;
  inputMode?: 'numeric' | 'decimal' | 'text';
  /** A short help line under the field. */
  hint?: string | undefined;
  multiline?: boolean;
  mono?: boolean;
  grow?: boolean;
  narrow?: boolean;
  medium?: boolean;
  /** A button beside the field ("Choose…" for a file). */
  action?: { readonly label: string; readonly ariaLabel: string; readonly onClick: () => void };
}

function TextField(props: TextFieldProps) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = props.error ? errorId : props.hint ? hintId : undefined;
  const common = {
    id,
    value: props.value,
    placeholder: props.placeholder,
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': describedBy,
    className: `field__input${props.mono ? ' field__input--mono' : ''}`,
    onBlur: props.onBlur,
  };
  const control = props.multiline ? (
    <textarea {...common} rows={3} onChange={(e) => props.onChange(e.target.value)} />
  ) : (
    <input
      {...common}
      type={props.type ?? 'text'}
      autoComplete={props.autoComplete ?? 'off'}
      inputMode={props.inputMode}
      spellCheck={false}
      onChange={(e) => props.onChange(e.target.value)}
    />
  );
  return (
    <div
      className={`field${props.grow ? ' field--grow' : ''}${props.narrow ? ' field--narrow' : ''}${props.medium ? ' field--medium' : ''}`}
    >
      <label className="field__label" htmlFor={id}>
        {props.label}
      </label>
      {props.action ? (
        <div className="field__with-action">
          {control}
          <button
            type="button"
            className="button button--quiet"
            aria-label={props.action.ariaLabel}
            onClick={props.action.onClick}
          >
            {props.action.label}
          </button>
        </div>
      ) : (
        control
      )}
      {props.error && (
        <p id={errorId} className="field__error">
          {props.error}
        </p>
      )}
      {props.hint && !props.error && (
        <p id={hintId} className="field__hint">
          {props.hint}
        </p>
      )}
    </div>
  );
}

function SelectField({
  label,
  value,
  options,
  error,
  hint,
  onChange,
}: {
  label: string;
  value: string;
  options: readonly (readonly [string, string])[];
  error?: string | undefined;
  /** A short help line under the field. */
  hint?: string | undefined;
  onChange: (value: string) => void;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <select
        id={id}
        className="field__input"
        value={value}
        aria-describedby={hint && !error ? hintId : undefined}
        onChange={(e) => onChange(e.target.value)}
      >
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
      {error && <p className="field__error">{error}</p>}
      {hint && !error && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
    </div>
  );
}

export function Check({
  label,
  checked,
  onChange,
  disabled,
  note,
}: {
  label: string;
  checked: boolean;
  onChange: (value: boolean) => void;
  disabled?: boolean;
  note?: string;
}) {
  return (
    <label className="choice">
      <input
        type="checkbox"
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked)}
      />
      <span>
        {label}
        {note && <span className="choice__note">{note}</span>}
      </span>
    </label>
  );
}
