import { describe, expect, it } from 'vitest';
import type { ProfileDocument } from '../../electron/shared/ipc-schema';
import {
  defaultRekeyJitter,
  defaultRekeyTime,
  parseProfile,
  ProfileError,
  type Profile,
} from '../../native-helper/profile/profile';
import {
  documentFromForm,
  emptyProfileForm,
  formFieldOf,
  formFromDocument,
  issuesByField,
  localIssues,
  PROFILE_DEFAULTS,
  rekeySeconds,
  retransmitGiveUpSeconds,
  secondsText,
} from '../../renderer/lib/profile-form';

// Every field of the profile format has a place in the editor's document: a field added to
// native-helper/profile/profile.ts and not to ProfileDocument fails to compile here.
type MissingFromDocument = Exclude<keyof Profile, keyof ProfileDocument>;
const documentHasEveryField: [MissingFromDocument] extends [never] ? true : MissingFromDocument =
  true;
void documentHasEveryField;

/** The profile format's own messages for a document with these fields. */
function formatIssues(fields: Partial<ProfileDocument>) {
  try {
    parseProfile({
      version: 1,
      name: 'X',
      server: 'x.example',
      auth: { method: 'psk', secret: 's' },
      ...fields,
    });
    return [];
  } catch (error) {
    if (!(error instanceof ProfileError)) throw error;
    return error.issues;
  }
}

const stored: ProfileDocument = {
  version: 1,
  name: 'Office',
  server: 'vpn.example.com',
  port: 4500,
  auth: { method: 'psk', secret: { keychain: 'profile/office/secret' } },
  ca: ['a.pem', 'b.pem'],
  ike: 'aes256gcm16-prfsha256-x25519',
  routes: ['10.0.0.0/8', 'fd00::/8'],
  dns: false,
  mobike: true,
  dpdDelay: 10,
  fragmentation: true,
  retransmit: { timeout: 4, base: 1.8, tries: 5 },
  ikeLifetime: 14400,
};

describe('profile form', () => {
  it('round-trips a stored profile, keeping the keychain reference and the timers', () => {
    const form = formFromDocument(stored);
    expect(form).toMatchObject({
      port: '4500',
      ca: 'a.pem\nb.pem',
      routesMode: 'split',
      hasStoredSecret: true,
      secret: '',
      retransmitTimeout: '4',
      retransmitBase: '1.8',
      retransmitTries: '5',
      keyingTries: '',
      ikeLifetime: '14400',
      childLifetime: '',
    });
    expect(documentFromForm(form, stored)).toEqual(stored);
    const full = { ...stored, keyingTries: 3, childLifetime: 1200 };
    expect(documentFromForm(formFromDocument(full), full)).toEqual(full);
  });

  it('writes the timers the user typed; an empty retransmit part takes its default', () => {
    const base = { ...emptyProfileForm(), name: 'X', server: 'x.example' };
    expect(documentFromForm(base)).not.toHaveProperty('retransmit');
    const doc = documentFromForm({
      ...base,
      retransmitTimeout: '2.5',
      retransmitTries: '3',
      keyingTries: '0',
      ikeLifetime: ' 28800 ',
      childLifetime: '600',
    });
    expect(doc).toMatchObject({
      retransmit: { timeout: 2.5, base: 1.8, tries: 3 },
      keyingTries: 0,
      ikeLifetime: 28800,
      childLifetime: 600,
    });
  });

  it('checks number fields against the profile format’s ranges, naming the field', () => {
    const form = {
      ...emptyProfileForm(),
      port: '70000',
      dpdDelay: '1.5',
      retransmitTimeout: '0.05',
      retransmitBase: '5',
      retransmitTries: 'many',
      keyingTries: '-1',
      ikeLifetime: '9',
      childLifetime: '3600.5',
    };
    expect(localIssues(form)).toEqual([
      { field: 'port', message: 'must be between 1 and 65535' },
      { field: 'dpdDelay', message: 'must be whole seconds' },
      { field: 'retransmit.timeout', message: 'must be at least 0.1 s' },
      { field: 'retransmit.base', message: 'must be at most 4' },
      { field: 'retransmit.tries', message: 'must be a number' },
      { field: 'keyingTries', message: 'must be 0 (keep trying) or more' },
      { field: 'ikeLifetime', message: 'must be at least 10 s' },
      { field: 'childLifetime', message: 'must be whole seconds' },
    ]);
    expect(
      localIssues({
        ...emptyProfileForm(),
        port: '4500',
        retransmitTimeout: '60',
        retransmitBase: '1',
        retransmitTries: '10',
        keyingTries: '0',
        ikeLifetime: '10',
        childLifetime: '10',
      }),
    ).toEqual([]);
    expect(localIssues(emptyProfileForm())).toEqual([]);
  });

  it('mtu and replayWindow: empty is absent (computed / default), typed values round-trip', () => {
    const base = { ...emptyProfileForm(), name: 'X', server: 'x.example' };
    const doc = documentFromForm(base);
    expect(doc).not.toHaveProperty('mtu');
    expect(doc).not.toHaveProperty('replayWindow');
    const typed = documentFromForm({ ...base, mtu: ' 1280 ', replayWindow: '1024' });
    expect(typed).toMatchObject({ mtu: 1280, replayWindow: 1024 });
    expect(formFromDocument(typed)).toMatchObject({ mtu: '1280', replayWindow: '1024' });
    const full = { ...stored, mtu: 1400, replayWindow: 64 };
    expect(documentFromForm(formFromDocument(full), full)).toEqual(full);
  });

  it('checks mtu (576..9000 bytes) and replayWindow (32..4096 packets) as the user types', () => {
    const issues = (mtu: string, replayWindow: string) =>
      localIssues({ ...emptyProfileForm(), mtu, replayWindow });
    expect(issues('575', '31')).toEqual([
      { field: 'mtu', message: 'must be at least 576 (the IPv4 minimum)' },
      { field: 'replayWindow', message: 'must be at least 32 (RFC 4303 §3.4.3)' },
    ]);
    expect(issues('9001', '4097')).toEqual([
      { field: 'mtu', message: 'must be at most 9000 (a jumbo frame)' },
      { field: 'replayWindow', message: 'must be at most 4096' },
    ]);
    expect(issues('1400.5', 'lots')).toEqual([
      { field: 'mtu', message: 'must be whole bytes' },
      { field: 'replayWindow', message: 'must be a number' },
    ]);
    expect(issues('576', '32')).toEqual([]);
    expect(issues('9000', '4096')).toEqual([]);
    expect(
      issuesByField([
        { field: 'mtu', message: 'must be at least 576 (the IPv4 minimum)' },
        { field: 'replayWindow', message: 'must be at most 4096' },
      ]),
    ).toEqual({
      mtu: 'must be at least 576 (the IPv4 minimum)',
      replayWindow: 'must be at most 4096',
    });
  });

  it('sendRemoteId: absent when on (the default), false when off, and back', () => {
    const base = { ...emptyProfileForm(), name: 'X', server: 'x.example' };
    expect(emptyProfileForm().sendRemoteId).toBe(true);
    expect(documentFromForm(base)).not.toHaveProperty('sendRemoteId');
    const off = documentFromForm({ ...base, sendRemoteId: false });
    expect(off.sendRemoteId).toBe(false);
    expect(formFromDocument(off).sendRemoteId).toBe(false);
    expect(formFromDocument({ ...off, sendRemoteId: true }).sendRemoteId).toBe(true);
    const full = { ...stored, remoteId: 'gw.example.com', sendRemoteId: false };
    expect(documentFromForm(formFromDocument(full), full)).toEqual(full);
    expect(formFieldOf('sendRemoteId')).toBe('sendRemoteId');
  });

  it('rekey times and jitter: empty is absent (the format’s defaults), typed values round-trip', () => {
    const base = { ...emptyProfileForm(), name: 'X', server: 'x.example' };
    const doc = documentFromForm(base);
    for (const key of ['ikeRekeyTime', 'childRekeyTime', 'rekeyJitter']) {
      expect(doc).not.toHaveProperty(key);
    }
    const typed = documentFromForm({
      ...base,
      ikeRekeyTime: ' 12000 ',
      childRekeyTime: '3000',
      rekeyJitter: '0',
    });
    expect(typed).toMatchObject({ ikeRekeyTime: 12000, childRekeyTime: 3000, rekeyJitter: 0 });
    expect(formFromDocument(typed)).toMatchObject({
      ikeRekeyTime: '12000',
      childRekeyTime: '3000',
      rekeyJitter: '0',
    });
    const full = { ...stored, ikeRekeyTime: 12000, childRekeyTime: 3000, rekeyJitter: 60 };
    expect(documentFromForm(formFromDocument(full), full)).toEqual(full);
    expect(
      issuesByField([
        { field: 'ikeRekeyTime', message: 'a' },
        { field: 'childRekeyTime', message: 'b' },
        { field: 'rekeyJitter', message: 'c' },
      ]),
    ).toEqual({ ikeRekeyTime: 'a', childRekeyTime: 'b', rekeyJitter: 'c' });
  });

  it('checks the rekey fields as the user types, with the profile format’s own messages', () => {
    const cases: Partial<ProfileDocument>[] = [
      { ikeRekeyTime: 9, childRekeyTime: 600.5, rekeyJitter: -1 },
      { ikeRekeyTime: 10.5, childRekeyTime: 9, rekeyJitter: 0.5 },
    ];
    for (const fields of cases) {
      const form = {
        ...emptyProfileForm(),
        ikeRekeyTime: String(fields.ikeRekeyTime),
        childRekeyTime: String(fields.childRekeyTime),
        rekeyJitter: String(fields.rekeyJitter),
      };
      const local = localIssues(form);
      expect(local).toHaveLength(3);
      // the same words the helper's schema uses, field by field
      expect(local).toEqual(formatIssues(fields));
    }
    expect(localIssues({ ...emptyProfileForm(), ikeRekeyTime: 'soon' })).toEqual([
      { field: 'ikeRekeyTime', message: 'must be a number' },
    ]);
    expect(
      localIssues({
        ...emptyProfileForm(),
        ikeRekeyTime: '10',
        childRekeyTime: '10',
        rekeyJitter: '0',
      }),
    ).toEqual([]);
  });

  it('knows when each SA is rekeyed: the typed time, else the format’s share of the lifetime', () => {
    // the shares are the helper's own defaults
    expect(PROFILE_DEFAULTS.rekeyShare * 3600).toBe(defaultRekeyTime(3600));
    expect(PROFILE_DEFAULTS.jitterShare * 3240).toBe(defaultRekeyJitter(3240, 3600));
    const form = emptyProfileForm();
    expect(rekeySeconds(form, 'ike')).toBe(defaultRekeyTime(14_400));
    expect(rekeySeconds(form, 'child')).toBe(defaultRekeyTime(3_600));
    expect(rekeySeconds({ ...form, childLifetime: '1234' }, 'child')).toBe(defaultRekeyTime(1234));
    expect(rekeySeconds({ ...form, childRekeyTime: '1000' }, 'child')).toBe(1000);
    expect(rekeySeconds({ ...form, ikeLifetime: 'x' }, 'ike')).toBeUndefined();
    expect(rekeySeconds({ ...form, ikeRekeyTime: '5' }, 'ike')).toBeUndefined();
    expect(secondsText(defaultRekeyTime(1234))).toBe('1110.6');
    expect(secondsText(3240)).toBe('3240');
  });

  it('adds up the retransmission schedule like strongSwan (4 s, ×1.8, 5 tries ≈ 165 s)', () => {
    expect(retransmitGiveUpSeconds(4, 1.8, 5)).toBeCloseTo(165.1, 1);
    expect(retransmitGiveUpSeconds(2, 1, 0)).toBe(2);
  });

  it('drops the old reference when the method changes', () => {
    const form = {
      ...formFromDocument(stored),
      method: 'eap-mschapv2' as const,
      username: ' alice ',
    };
    expect(documentFromForm(form, stored).auth).toEqual({
      method: 'eap-mschapv2',
      username: 'alice',
    });
  });

  it('turns empty optional fields into absent ones and numbers into numbers', () => {
    const doc = documentFromForm({
      ...emptyProfileForm(),
      name: 'X',
      server: ' x.example ',
      port: '',
      dpdDelay: '0',
    });
    expect(doc).toEqual({
      version: 1,
      name: 'X',
      server: 'x.example',
      auth: { method: 'eap-mschapv2', username: '' },
      ca: [],
      routes: 'all',
      dns: true,
      mobike: true,
      fragmentation: true,
      dpdDelay: 0,
    });
    expect(documentFromForm({ ...emptyProfileForm(), port: 'abc' }).port).toBeNaN();
  });

  it('maps main’s issue paths onto form fields', () => {
    expect(
      issuesByField([
        { field: 'auth.secret', message: 'enter the pre-shared key' },
        { field: 'routes[1]', message: 'bad CIDR' },
        { field: 'ca[0]', message: 'empty' },
        { field: 'retransmit.base', message: 'too small' },
        { field: 'childLifetime', message: 'must be at least 10 s' },
        { field: 'version', message: 'must be 1' },
        { field: 'server', message: 'first' },
        { field: 'server', message: 'second' },
      ]),
    ).toEqual({
      secret: 'enter the pre-shared key',
      routes: 'bad CIDR',
      ca: 'empty',
      retransmitBase: 'too small',
      childLifetime: 'must be at least 10 s',
      '': 'version: must be 1',
      server: 'first',
    });
  });
});
