import { describe, expect, it } from 'vitest';
import type { ProfileDocument } from '../../electron/shared/ipc-schema';
import {
  documentFromForm,
  emptyProfileForm,
  formFromDocument,
  issuesByField,
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
  it('round-trips a stored profile, keeping the keychain reference and the hidden fields', () => {
    const form = formFromDocument(stored);
    expect(form).toMatchObject({
      port: '4500',
      ca: 'a.pem\nb.pem',
      routesMode: 'split',
      hasStoredSecret: true,
      secret: '',
    });
    expect(documentFromForm(form, stored)).toEqual(stored);
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
        { field: 'server', message: 'first' },
        { field: 'server', message: 'second' },
      ]),
    ).toEqual({
      secret: 'enter the pre-shared key',
      routes: 'bad CIDR',
      ca: 'empty',
      '': 'retransmit.base: too small',
      server: 'first',
    });
  });
});
