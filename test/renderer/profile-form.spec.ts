import { describe, expect, it } from 'vitest';
import type { ProfileDocument } from '../../electron/shared/ipc-schema';
import {
  documentFromForm,
  emptyProfileForm,
  formFromDocument,
  issuesByField,
  localIssues,
  retransmitGiveUpSeconds,
} from '../../renderer/lib/profile-form';

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
