import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { validateDraft } from '../../electron/main/profile-editor';
import type { ProfileDocument, ProfileDraft } from '../../electron/shared/ipc-schema';
import { App } from '../../renderer/app';
import { createAppStore } from '../../renderer/store/app-store';
import { createFakeTsunagi, EMPTY_SNAPSHOT } from './fake-tsunagi';

afterEach(cleanup);

const office = {
  id: 'office',
  name: 'Office',
  server: 'vpn.example.com',
  authMethod: 'psk' as const,
};

function renderWith(profiles = [office]) {
  const fake = createFakeTsunagi({ ...EMPTY_SNAPSHOT, profiles });
  const store = createAppStore();
  render(<App api={fake.api} store={store} />);
  return { fake, store };
}

const field = (label: string) => screen.getByLabelText(label) as HTMLInputElement;
/** The text under a field: its error when it has one, else its hint. */
const shownUnder = (label: string) =>
  document.getElementById(field(label).getAttribute('aria-describedby') ?? '')?.textContent;
const saveClick = () =>
  act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save profile' })));
const savedProfile = (fake: ReturnType<typeof renderWith>['fake']) =>
  (fake.calls.filter((c) => c.name === 'profiles.save').at(-1)?.args as ProfileDraft | undefined)
    ?.profile;
const ASK_FOR_IDR = /^Ask the gateway for this identity \(send IDr\)/;

/** Opens the editor on a stored PSK profile with these extra fields. */
async function editOffice(extra: Partial<ProfileDocument>) {
  const rendered = renderWith();
  rendered.fake.details.set('office', {
    id: 'office',
    profile: {
      version: 1,
      name: 'Office',
      server: 'vpn.example.com',
      auth: { method: 'psk', secret: { keychain: 'profile/office/secret' } },
      ...extra,
    },
  });
  fireEvent.click(await screen.findByRole('button', { name: 'Profiles' }));
  fireEvent.click(screen.getByRole('button', { name: 'Edit Office' }));
  await screen.findByRole('heading', { name: 'Edit Office' });
  return rendered;
}

describe('profile editor', () => {
  it('creates a profile: every section is there, the secret goes with the draft', async () => {
    const { fake } = renderWith([]);
    fireEvent.click(await screen.findByRole('button', { name: 'New profile' }));
    expect(screen.getByRole('heading', { name: 'New profile' })).toBeTruthy();
    for (const legend of [
      'Gateway',
      'Identities',
      'Sign-in',
      'Trust',
      'Proposals',
      'Traffic',
      'Connection',
      'Retransmission and rekeying',
      'Data plane',
    ]) {
      expect(screen.getByRole('group', { name: legend })).toBeTruthy();
    }
    fireEvent.change(field('Name'), { target: { value: 'Lab' } });
    fireEvent.change(field('Server'), { target: { value: '192.0.2.10' } });
    fireEvent.change(screen.getByLabelText('Method'), { target: { value: 'psk' } });
    fireEvent.change(field('Pre-shared key'), { target: { value: 's3cret' } });
    fireEvent.change(field('IKE proposals'), { target: { value: 'aes256gcm16-prfsha256-x25519' } });
    fireEvent.click(screen.getByLabelText('Only these networks'));
    fireEvent.change(field('Networks'), { target: { value: '10.0.0.0/8\n' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save profile' })));
    const save = fake.calls.find((c) => c.name === 'profiles.save');
    expect(save?.args).toEqual({
      profile: {
        version: 1,
        name: 'Lab',
        server: '192.0.2.10',
        auth: { method: 'psk' },
        ca: [],
        ike: 'aes256gcm16-prfsha256-x25519',
        routes: ['10.0.0.0/8'],
        dns: true,
        mobike: true,
        fragmentation: true,
        dpdDelay: 30,
      },
      secret: 's3cret',
    });
    expect(await screen.findByText('Saved “Lab”.')).toBeTruthy();
  });

  it('fills the certificate, key and CA fields from main’s file dialog (Choose…)', async () => {
    const { fake } = renderWith([]);
    fireEvent.click(await screen.findByRole('button', { name: 'New profile' }));
    fireEvent.change(screen.getByLabelText('Method'), { target: { value: 'cert' } });
    fake.programmed.files.push('/home/alice/vpn/alice.pem', '/home/alice/vpn/alice.key');
    await act(async () =>
      fireEvent.click(screen.getByRole('button', { name: 'Choose the certificate file' })),
    );
    await act(async () =>
      fireEvent.click(screen.getByRole('button', { name: 'Choose the private key file' })),
    );
    expect(field('Certificate file').value).toBe('/home/alice/vpn/alice.pem');
    expect(field('Private key file').value).toBe('/home/alice/vpn/alice.key');
    // a CA is added as one more line; a cancelled dialog changes nothing
    fireEvent.change(field('CA certificates'), { target: { value: 'root.pem\n' } });
    fake.programmed.files.push('/etc/ssl/office-ca.pem');
    const addCa = screen.getByRole('button', { name: 'Add a CA certificate file' });
    await act(async () => fireEvent.click(addCa));
    await act(async () => fireEvent.click(addCa));
    expect(field('CA certificates').value).toBe('root.pem\n/etc/ssl/office-ca.pem');
    expect(fake.calls.filter((c) => c.name === 'profiles.chooseFile').map((c) => c.args)).toEqual([
      { kind: 'certificate' },
      { kind: 'private-key' },
      { kind: 'ca' },
      { kind: 'ca' },
    ]);
  });

  it('fills the proposals from a preset, and says Custom for hand-written ones', async () => {
    const { fake } = renderWith([]);
    fireEvent.click(await screen.findByRole('button', { name: 'New profile' }));
    const preset = screen.getByLabelText('Preset') as HTMLSelectElement;
    // empty fields are the defaults: Modern
    expect(preset.value).toBe('modern');
    fireEvent.change(preset, { target: { value: 'cnsa' } });
    expect(field('IKE proposals').value).toBe('aes256gcm16-prfsha384-ecp384');
    expect(field('ESP proposals').value).toBe('aes256gcm16');
    expect(screen.getByText(/only AES-256-GCM, ECP-384 and SHA-384/)).toBeTruthy();
    fireEvent.change(preset, { target: { value: 'compatible' } });
    expect(field('IKE proposals').value).toMatch(/^aes256-sha256-modp2048,/);
    fireEvent.change(field('IKE proposals'), { target: { value: 'aes128gcm16-prfsha256-ecp256' } });
    expect(preset.value).toBe('custom');
    fireEvent.change(preset, { target: { value: 'cnsa' } });
    fireEvent.change(field('Name'), { target: { value: 'Secure' } });
    fireEvent.change(field('Server'), { target: { value: '192.0.2.10' } });
    fireEvent.change(field('User name'), { target: { value: 'alice' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save profile' })));
    expect(fake.calls.find((c) => c.name === 'profiles.save')?.args).toMatchObject({
      profile: { ike: 'aes256gcm16-prfsha384-ecp384', esp: 'aes256gcm16' },
    });
  });

  it('shows main’s validation messages on the fields', async () => {
    const { fake } = renderWith([]);
    fireEvent.click(await screen.findByRole('button', { name: 'New profile' }));
    fake.programmed.save = {
      saved: false,
      issues: [
        {
          field: 'server',
          message: 'must be a host name or an IP address, without a scheme or path',
        },
        { field: 'auth.password', message: 'enter the password' },
      ],
    };
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save profile' })));
    const server = field('Server');
    expect(server.getAttribute('aria-invalid')).toBe('true');
    const described = document.getElementById(server.getAttribute('aria-describedby')!);
    expect(described?.textContent).toBe(
      'must be a host name or an IP address, without a scheme or path',
    );
    expect(screen.getByText('enter the password')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'New profile' })).toBeTruthy();
  });

  it('validates a field when it loses focus, showing only touched fields', async () => {
    const { fake } = renderWith([]);
    fireEvent.click(await screen.findByRole('button', { name: 'New profile' }));
    fake.programmed.validate = [
      { field: 'ike', message: 'unknown IKE algorithm "blowfish"' },
      { field: 'name', message: 'the name must not be empty' },
    ];
    fireEvent.change(field('IKE proposals'), { target: { value: 'aes256-blowfish' } });
    await act(async () => fireEvent.blur(field('IKE proposals')));
    expect(screen.getByText('unknown IKE algorithm "blowfish"')).toBeTruthy();
    expect(screen.queryByText('the name must not be empty')).toBeNull();
  });

  it('edits the timers: defaults as placeholders, range errors on the field, no save until fixed', async () => {
    const { fake } = renderWith([]);
    fireEvent.click(await screen.findByRole('button', { name: 'New profile' }));
    expect(field('First timeout (seconds)').placeholder).toBe('4');
    expect(field('Backoff factor').placeholder).toBe('1.8');
    expect(field('Retransmissions').placeholder).toBe('5');
    expect(field('Connection attempts').placeholder).toBe('0');
    expect(field('IKE SA lifetime (seconds)').placeholder).toBe('14400');
    expect(field('Child SA lifetime (seconds)').placeholder).toBe('3600');
    expect(
      screen.getByText(
        'A gateway that stops answering is given up after about 2 minutes 45 seconds.',
      ),
    ).toBeTruthy();
    const ike = field('IKE SA lifetime (seconds)');
    expect(document.getElementById(ike.getAttribute('aria-describedby')!)?.textContent).toBe(
      '4 hours; rekeyed a little before it ends',
    );

    fireEvent.change(field('Name'), { target: { value: 'Lab' } });
    fireEvent.change(field('Server'), { target: { value: '192.0.2.10' } });
    fireEvent.change(field('Backoff factor'), { target: { value: '6' } });
    await act(async () => fireEvent.blur(field('Backoff factor')));
    expect(field('Backoff factor').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('must be at most 4')).toBeTruthy();
    // No "given up after" figure for values the format refuses.
    expect(screen.queryByText(/is given up after/)).toBeNull();

    fireEvent.change(field('Child SA lifetime (seconds)'), { target: { value: '5' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save profile' })));
    expect(fake.calls.some((c) => c.name === 'profiles.save')).toBe(false);
    const child = field('Child SA lifetime (seconds)');
    expect(document.getElementById(child.getAttribute('aria-describedby')!)?.textContent).toBe(
      'must be at least 10 s',
    );

    fireEvent.change(field('Backoff factor'), { target: { value: '2' } });
    fireEvent.change(field('Child SA lifetime (seconds)'), { target: { value: '1200' } });
    fireEvent.change(field('Connection attempts'), { target: { value: '3' } });
    expect(
      screen.getByText(
        'A gateway that stops answering is given up after about 4 minutes 12 seconds.',
      ),
    ).toBeTruthy();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save profile' })));
    const save = fake.calls.find((c) => c.name === 'profiles.save');
    expect(save?.args).toMatchObject({
      profile: {
        retransmit: { timeout: 4, base: 2, tries: 5 },
        keyingTries: 3,
        childLifetime: 1200,
      },
    });
    expect((save?.args as { profile: object }).profile).not.toHaveProperty('ikeLifetime');
  });

  it('edits the tunnel MTU and the replay window: range errors on the field, saved as numbers', async () => {
    const { fake } = renderWith([]);
    fireEvent.click(await screen.findByRole('button', { name: 'New profile' }));
    expect(field('Tunnel MTU (bytes)').placeholder).toBe('automatic');
    expect(field('Replay window (packets)').placeholder).toBe('128');
    fireEvent.change(field('Name'), { target: { value: 'Lab' } });
    fireEvent.change(field('Server'), { target: { value: '192.0.2.10' } });
    fireEvent.change(field('Tunnel MTU (bytes)'), { target: { value: '500' } });
    await act(async () => fireEvent.blur(field('Tunnel MTU (bytes)')));
    const mtu = field('Tunnel MTU (bytes)');
    expect(mtu.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(mtu.getAttribute('aria-describedby')!)?.textContent).toBe(
      'must be at least 576 (the IPv4 minimum)',
    );
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save profile' })));
    expect(fake.calls.some((c) => c.name === 'profiles.save')).toBe(false);

    fireEvent.change(field('Tunnel MTU (bytes)'), { target: { value: '1280' } });
    fireEvent.change(field('Replay window (packets)'), { target: { value: '512' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save profile' })));
    const save = fake.calls.find((c) => c.name === 'profiles.save');
    expect(save?.args).toMatchObject({ profile: { mtu: 1280, replayWindow: 512 } });
  });

  it('asks the gateway for the remote identity unless turned off (sendRemoteId)', async () => {
    const { fake } = renderWith([]);
    const fillAndSave = async (askForIdr: boolean) => {
      fireEvent.click(await screen.findByRole('button', { name: 'New profile' }));
      const ask = screen.getByRole('checkbox', { name: ASK_FOR_IDR }) as HTMLInputElement;
      expect(ask.checked).toBe(true);
      fireEvent.change(field('Name'), { target: { value: 'Lab' } });
      fireEvent.change(field('Server'), { target: { value: '192.0.2.10' } });
      fireEvent.change(field('User name'), { target: { value: 'alice' } });
      if (!askForIdr) fireEvent.click(ask);
      expect(ask.checked).toBe(askForIdr);
      await saveClick();
      expect(await screen.findByText('Saved “Lab”.')).toBeTruthy();
      return savedProfile(fake);
    };
    // left on: absent from the document, so the format's default (true) applies
    expect(await fillAndSave(true)).not.toHaveProperty('sendRemoteId');
    expect(await fillAndSave(false)).toMatchObject({ sendRemoteId: false });
  });

  it('explains what turning off the IDr request is for', async () => {
    renderWith([]);
    fireEvent.click(await screen.findByRole('button', { name: 'New profile' }));
    const ask = screen.getByRole('checkbox', { name: ASK_FOR_IDR });
    expect(within(screen.getByRole('group', { name: 'Identities' })).getByRole('checkbox')).toBe(
      ask,
    );
    expect(ask.closest('label')?.textContent).toMatch(
      /refuses an identity it does not know: it then answers with its own, so a wrong gateway identity is reported as exactly that$/,
    );
  });

  it('keeps a stored "sendRemoteId": false, and drops it when turned back on', async () => {
    const { fake } = await editOffice({ remoteId: 'gw.example.com', sendRemoteId: false });
    const ask = () => screen.getByRole('checkbox', { name: ASK_FOR_IDR }) as HTMLInputElement;
    expect(ask().checked).toBe(false);
    await saveClick();
    expect(savedProfile(fake)).toMatchObject({ remoteId: 'gw.example.com', sendRemoteId: false });
    fireEvent.click(screen.getByRole('button', { name: 'Edit Office' }));
    await screen.findByRole('heading', { name: 'Edit Office' });
    fireEvent.click(ask());
    await saveClick();
    expect(savedProfile(fake)).not.toHaveProperty('sendRemoteId');
  });

  it('edits the rekey times and the jitter: defaults as placeholders, absent when empty, saved as numbers', async () => {
    const { fake } = renderWith([]);
    fireEvent.click(await screen.findByRole('button', { name: 'New profile' }));
    // 90 % of the lifetimes (14400 s, 3600 s), and 10 % of those for the jitter
    expect(field('IKE SA rekey time (seconds)').placeholder).toBe('12960');
    expect(field('Child SA rekey time (seconds)').placeholder).toBe('3240');
    expect(field('Rekey jitter (seconds)').placeholder).toBe('1296 (IKE), 324 (Child)');
    expect(shownUnder('IKE SA rekey time (seconds)')).toBe(
      'Empty: 90 % of the lifetime (3 hours 36 minutes)',
    );
    expect(shownUnder('Rekey jitter (seconds)')).toMatch(
      /^Rekeys start up to this much early, at random/,
    );
    // the placeholders follow the lifetimes
    fireEvent.change(field('Child SA lifetime (seconds)'), { target: { value: '1234' } });
    expect(field('Child SA rekey time (seconds)').placeholder).toBe('1110.6');
    expect(field('Rekey jitter (seconds)').placeholder).toBe('1296 (IKE), 111.1 (Child)');
    fireEvent.change(field('Child SA lifetime (seconds)'), { target: { value: '' } });

    fireEvent.change(field('Name'), { target: { value: 'Lab' } });
    fireEvent.change(field('Server'), { target: { value: '192.0.2.10' } });
    fireEvent.change(field('User name'), { target: { value: 'alice' } });
    await saveClick();
    expect(await screen.findByText('Saved “Lab”.')).toBeTruthy();
    for (const key of ['ikeRekeyTime', 'childRekeyTime', 'rekeyJitter']) {
      expect(savedProfile(fake)).not.toHaveProperty(key);
    }

    fireEvent.click(screen.getByRole('button', { name: 'New profile' }));
    fireEvent.change(field('Name'), { target: { value: 'Lab' } });
    fireEvent.change(field('Server'), { target: { value: '192.0.2.10' } });
    fireEvent.change(field('User name'), { target: { value: 'alice' } });
    fireEvent.change(field('IKE SA rekey time (seconds)'), { target: { value: ' 10800 ' } });
    fireEvent.change(field('Child SA rekey time (seconds)'), { target: { value: '2700' } });
    fireEvent.change(field('Rekey jitter (seconds)'), { target: { value: '0' } });
    expect(shownUnder('Child SA rekey time (seconds)')).toBe('45 minutes; below the lifetime');
    await saveClick();
    expect(savedProfile(fake)).toMatchObject({
      ikeRekeyTime: 10800,
      childRekeyTime: 2700,
      rekeyJitter: 0,
    });
  });

  it('round-trips stored rekey times and jitter through the editor', async () => {
    const { fake } = await editOffice({
      ikeLifetime: 28800,
      ikeRekeyTime: 25200,
      childRekeyTime: 3000,
      rekeyJitter: 120,
    });
    expect(field('IKE SA rekey time (seconds)').value).toBe('25200');
    expect(field('Child SA rekey time (seconds)').value).toBe('3000');
    expect(field('Rekey jitter (seconds)').value).toBe('120');
    fireEvent.change(field('Rekey jitter (seconds)'), { target: { value: '300' } });
    await saveClick();
    expect(savedProfile(fake)).toMatchObject({
      ikeLifetime: 28800,
      ikeRekeyTime: 25200,
      childRekeyTime: 3000,
      rekeyJitter: 300,
    });
  });

  it('checks the rekey fields’ ranges as the user types, and saves nothing until fixed', async () => {
    const { fake } = renderWith([]);
    fireEvent.click(await screen.findByRole('button', { name: 'New profile' }));
    fireEvent.change(field('Name'), { target: { value: 'Lab' } });
    fireEvent.change(field('Server'), { target: { value: '192.0.2.10' } });
    fireEvent.change(field('User name'), { target: { value: 'alice' } });
    const cases: [string, string, string][] = [
      ['IKE SA rekey time (seconds)', '9', 'must be at least 10 s'],
      ['Child SA rekey time (seconds)', '600.5', 'must be whole seconds'],
      ['Rekey jitter (seconds)', '-1', 'must be 0 or more seconds'],
    ];
    for (const [label, value, message] of cases) {
      fireEvent.change(field(label), { target: { value } });
      await act(async () => fireEvent.blur(field(label)));
      expect(field(label).getAttribute('aria-invalid')).toBe('true');
      expect(shownUnder(label)).toBe(message);
    }
    await saveClick();
    expect(fake.calls.some((c) => c.name === 'profiles.save')).toBe(false);
  });

  it('shows the profile format’s own message on the rekey field it is about (main’s validateDraft)', async () => {
    const { fake } = renderWith([]);
    fake.programmed.validateWith = validateDraft;
    fireEvent.click(await screen.findByRole('button', { name: 'New profile' }));
    fireEvent.change(field('Name'), { target: { value: 'Lab' } });
    fireEvent.change(field('Server'), { target: { value: '192.0.2.10' } });
    fireEvent.change(screen.getByLabelText('Method'), { target: { value: 'psk' } });
    fireEvent.change(field('Pre-shared key'), { target: { value: 's3cret' } });

    // a rekey time at the lifetime: the message is on the rekey time
    fireEvent.change(field('Child SA lifetime (seconds)'), { target: { value: '1200' } });
    fireEvent.change(field('Child SA rekey time (seconds)'), { target: { value: '1200' } });
    await act(async () => fireEvent.blur(field('Child SA rekey time (seconds)')));
    const childMessage =
      '1200 s must be below "childLifetime" (1200 s, the hard limit): lower "childRekeyTime" or raise "childLifetime"';
    expect(field('Child SA rekey time (seconds)').getAttribute('aria-invalid')).toBe('true');
    expect(shownUnder('Child SA rekey time (seconds)')).toBe(childMessage);
    expect(field('Child SA lifetime (seconds)').getAttribute('aria-invalid')).toBeNull();
    await saveClick();
    expect(savedProfile(fake)).toMatchObject({ childLifetime: 1200, childRekeyTime: 1200 });
    expect(screen.getByRole('heading', { name: 'New profile' })).toBeTruthy();
    expect(shownUnder('Child SA rekey time (seconds)')).toBe(childMessage);

    // a jitter at the (default) IKE rekey time: the message is on the jitter
    fireEvent.change(field('Child SA rekey time (seconds)'), { target: { value: '1000' } });
    fireEvent.change(field('IKE SA lifetime (seconds)'), { target: { value: '600' } });
    fireEvent.change(field('Rekey jitter (seconds)'), { target: { value: '540' } });
    await act(async () => fireEvent.blur(field('Rekey jitter (seconds)')));
    expect(field('Child SA rekey time (seconds)').getAttribute('aria-invalid')).toBeNull();
    expect(shownUnder('Rekey jitter (seconds)')).toBe(
      '540 s must be below the IKE SA rekey time (540 s, 90 % of "ikeLifetime"): lower "rekeyJitter" or set "ikeRekeyTime"',
    );

    fireEvent.change(field('Rekey jitter (seconds)'), { target: { value: '60' } });
    await saveClick();
    expect(await screen.findByText('Saved “Lab”.')).toBeTruthy();
    expect(savedProfile(fake)).toMatchObject({
      ikeLifetime: 600,
      childLifetime: 1200,
      childRekeyTime: 1000,
      rekeyJitter: 60,
    });
  });

  it('shows a rekey time’s message when its lifetime is lowered below it', async () => {
    const { fake } = await editOffice({ childRekeyTime: 3000 });
    fake.programmed.validateWith = validateDraft;
    fireEvent.change(field('Child SA lifetime (seconds)'), { target: { value: '2000' } });
    await act(async () => fireEvent.blur(field('Child SA lifetime (seconds)')));
    expect(shownUnder('Child SA rekey time (seconds)')).toBe(
      '3000 s must be below "childLifetime" (2000 s, the hard limit): lower "childRekeyTime" or raise "childLifetime"',
    );
  });

  it('shows main’s issues for the timers on their fields', async () => {
    const { fake } = renderWith([]);
    fireEvent.click(await screen.findByRole('button', { name: 'New profile' }));
    fake.programmed.save = {
      saved: false,
      issues: [{ field: 'retransmit.timeout', message: 'must be seconds' }],
    };
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save profile' })));
    const timeout = field('First timeout (seconds)');
    expect(timeout.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(timeout.getAttribute('aria-describedby')!)?.textContent).toBe(
      'must be seconds',
    );
  });

  it('edits an existing profile without resending its secret', async () => {
    const { fake } = renderWith();
    fake.details.set('office', {
      id: 'office',
      profile: {
        version: 1,
        name: 'Office',
        server: 'vpn.example.com',
        auth: { method: 'psk', secret: { keychain: 'profile/office/secret' } },
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Profiles' }));
    fireEvent.click(screen.getByRole('button', { name: 'Edit Office' }));
    expect(await screen.findByRole('heading', { name: 'Edit Office' })).toBeTruthy();
    expect(field('Pre-shared key').placeholder).toBe('Saved in your keychain (type to replace)');
    fireEvent.change(field('Server'), { target: { value: '203.0.113.5' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save profile' })));
    const save = fake.calls.find((c) => c.name === 'profiles.save');
    expect(save?.args).toMatchObject({
      id: 'office',
      profile: {
        server: '203.0.113.5',
        auth: { method: 'psk', secret: { keychain: 'profile/office/secret' } },
      },
    });
    expect(save?.args).not.toHaveProperty('secret');
  });

  it('duplicates, exports and deletes (after a confirmation) from the list', async () => {
    const { fake } = renderWith();
    fireEvent.click(await screen.findByRole('button', { name: 'Profiles' }));
    const list = screen.getByRole('list', { name: 'Profiles' });
    await act(async () =>
      fireEvent.click(within(list).getByRole('button', { name: 'Duplicate Office' })),
    );
    await act(async () =>
      fireEvent.click(within(list).getByRole('button', { name: 'Export Office' })),
    );
    expect(
      await screen.findByText('Exported to /tmp/office.tsunagi.json (without secrets).'),
    ).toBeTruthy();
    fireEvent.click(within(list).getByRole('button', { name: 'Delete Office' }));
    expect(fake.calls.some((c) => c.name === 'profiles.delete')).toBe(false);
    await act(async () =>
      fireEvent.click(within(list).getByRole('button', { name: 'Confirm deleting Office' })),
    );
    expect(fake.calls.map((c) => c.name)).toEqual([
      'profiles.duplicate',
      'profiles.export',
      'profiles.delete',
    ]);
  });
});

describe('settings view', () => {
  it('persists toggles through main and offers to trust the current network', async () => {
    const { fake } = renderWith();
    fake.programmed.network = {
      detected: true,
      type: 'wifi',
      label: 'Wi-Fi “Home”',
      trusted: false,
      trustable: { kind: 'wifi', rule: { ssid: 'Home' } },
    };
    fireEvent.click(await screen.findByRole('button', { name: 'Settings' }));
    await act(async () =>
      fireEvent.click(screen.getByLabelText('Kill switch: block traffic while the VPN is not up')),
    );
    expect(fake.calls).toContainEqual({ name: 'settings.update', args: { killSwitch: false } });
    const trust = await screen.findByRole('button', { name: 'Trust this network' });
    await act(async () => fireEvent.click(trust));
    expect(fake.calls).toContainEqual({
      name: 'network.trustCurrent',
      args: { pinBssid: false },
    });
  });

  it('offers to trust only the current access point', async () => {
    const { fake } = renderWith();
    fake.programmed.network = {
      detected: true,
      type: 'wifi',
      label: 'Wi-Fi “Office”',
      bssid: '02:00:5e:10:00:01',
      trusted: false,
      trustable: { kind: 'wifi', rule: { ssid: 'Office' } },
    };
    fireEvent.click(await screen.findByRole('button', { name: 'Settings' }));
    fireEvent.click(await screen.findByLabelText('Only this access point 02:00:5e:10:00:01'));
    await act(async () =>
      fireEvent.click(screen.getByRole('button', { name: 'Trust this network' })),
    );
    expect(fake.calls).toContainEqual({ name: 'network.trustCurrent', args: { pinBssid: true } });
  });

  it('disables what depends on "Act on the network I join" while it is off', async () => {
    const { fake } = renderWith();
    fireEvent.click(await screen.findByRole('button', { name: 'Settings' }));
    const dependent = [
      screen.getByLabelText('On a trusted network'),
      screen.getByLabelText('On any other network'),
      screen.getByLabelText('Always connect on open Wi-Fi'),
      screen.getByLabelText(/^Keep the kill switch on there/),
    ] as HTMLInputElement[];
    expect(dependent.map((e) => e.disabled)).toEqual([true, true, true, true]);
    await act(async () => fireEvent.click(screen.getByLabelText('Act on the network I join')));
    act(() =>
      fake.events.settings.emit({
        ...EMPTY_SNAPSHOT.settings,
        trustedNetworks: { ...EMPTY_SNAPSHOT.settings.trustedNetworks, enabled: true },
      }),
    );
    expect(dependent.map((e) => e.disabled)).toEqual([false, false, false, false]);
    await act(async () => fireEvent.click(screen.getByLabelText(/^Keep the kill switch on there/)));
    expect(fake.calls.at(-1)).toMatchObject({
      name: 'settings.update',
      args: { trustedNetworks: { enabled: true, killSwitchOnUntrusted: true } },
    });
  });

  it('adds a wired network by gateway MAC and DNS suffix, checked on the field, and lists what each rule matches', async () => {
    const { fake } = renderWith();
    fireEvent.click(await screen.findByRole('button', { name: 'Settings' }));
    const mac = screen.getByLabelText('Gateway MAC address');
    const suffix = screen.getByLabelText('DNS suffix');
    fireEvent.change(mac, { target: { value: '00:11:22:33:44' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Add' })));
    expect(screen.getByRole('alert').textContent).toBe(
      'A MAC address looks like 00:11:22:33:44:55',
    );
    expect(mac.getAttribute('aria-invalid')).toBe('true');
    expect(fake.calls.some((c) => c.name === 'settings.update')).toBe(false);
    fireEvent.change(mac, { target: { value: '00-1B-21-3A-4F-10' } });
    fireEvent.change(suffix, { target: { value: 'Corp.Example.com.' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Add' })));
    expect(fake.calls.at(-1)).toMatchObject({
      name: 'settings.update',
      args: {
        trustedNetworks: {
          wired: [{ gatewayMac: '00:1b:21:3a:4f:10', dnsSuffix: 'corp.example.com' }],
        },
      },
    });
    act(() =>
      fake.events.settings.emit({
        ...EMPTY_SNAPSHOT.settings,
        trustedNetworks: {
          ...EMPTY_SNAPSHOT.settings.trustedNetworks,
          wifi: [{ ssid: 'Office', bssids: ['02:00:5e:10:00:01'] }, { ssid: 'Home' }],
          wired: [{ gatewayMac: '00:1b:21:3a:4f:10', dnsSuffix: 'corp.example.com' }],
        },
      }),
    );
    const list = screen.getByRole('list', { name: 'Trusted networks' });
    expect(
      within(list)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual([
      'Wi-Fi “Office”only access point 02:00:5e:10:00:01Forget',
      'Wi-Fi “Home”any access point with this nameForget',
      'Wired networkgateway MAC 00:1b:21:3a:4f:10 and DNS suffix corp.example.comForget',
    ]);
    expect((mac as HTMLInputElement).value).toBe('');
  });

  it('says once why open Wi-Fi cannot be trusted, with no dead button beside it', async () => {
    const { fake } = renderWith();
    fake.programmed.network = {
      detected: true,
      type: 'wifi',
      label: 'Wi-Fi “Cafe”',
      trusted: false,
      untrustableReason: 'Open Wi-Fi is never trusted: anyone can use its name',
    };
    fireEvent.click(await screen.findByRole('button', { name: 'Settings' }));
    await screen.findByText('Open Wi-Fi is never trusted: anyone can use its name');
    expect(screen.getAllByText(/Open Wi-Fi is never trusted/)).toHaveLength(1);
    expect(screen.queryByRole('button', { name: 'Trust this network' })).toBeNull();
  });
});
