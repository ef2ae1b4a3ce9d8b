// Pure unit tests of the TUN module: options, `ip` commands, CIDR parsing, the platform factory,
// the addon loader, and createLinuxTunDevice's cleanup with a typed double of the addon.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCidr } from '../../../../../native-helper/platform/tun/cidr.js';
import { tunFactoryFor } from '../../../../../native-helper/platform/tun/index.js';
import {
  findTunAddon,
  loadTunAddon,
  TUN_ADDON_ENV,
  TUN_ADDON_PATH,
} from '../../../../../native-helper/platform/tun/native-addon.js';
import type {
  TunAddon,
  TunHandle,
} from '../../../../../native-helper/platform/tun/native-addon.js';
import { TunError } from '../../../../../native-helper/platform/tun/tun-device.js';
import type { TunStats } from '../../../../../native-helper/platform/tun/tun-device.js';
import {
  createLinuxTunDevice,
  ipCommandsFor,
  runIpBatch,
  validateTunOptions,
} from '../../../../../native-helper/platform/tun/tun-linux.js';

async function rejection(promise: Promise<unknown>): Promise<TunError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TunError);
  return error as TunError;
}

describe('tunFactoryFor', () => {
  const options = { mtu: 1400, addresses: ['10.0.0.1/24'] };

  it.each(['darwin', 'win32', 'freebsd'] as const)(
    '%s: rejects with "not supported on this platform yet"',
    async (platform) => {
      const error = await rejection(tunFactoryFor(platform)(options));
      expect(error.code).toBe('not-supported');
      expect(error.message).toBe(
        `TUN devices are not supported on this platform yet (${platform})`,
      );
    },
  );

  it('linux: validates before touching anything', async () => {
    const error = await rejection(tunFactoryFor('linux')({ mtu: 10, addresses: [] }));
    expect(error.code).toBe('invalid-options');
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.200.0.1/24', { family: 4, address: '10.200.0.1', prefixLength: 24 }],
    ['192.0.2.7/32', { family: 4, address: '192.0.2.7', prefixLength: 32 }],
    ['2001:db8::1/64', { family: 6, address: '2001:db8::1', prefixLength: 64 }],
    ['::/0', { family: 6, address: '::', prefixLength: 0 }],
  ])('%s', (text, expected) => expect(parseCidr(text)).toEqual(expected));

  it.each([
    '10.0.0.1',
    '10.0.0.1/33',
    '10.0.0.1/-1',
    '10.0.0.1/024',
    '10.0.0.256/8',
    '2001:db8::1/129',
    'fe80::1%eth0/64',
    'x/8',
    '/8',
    '10.0.0.1/ 8',
  ])('rejects %j', (text) => expect(parseCidr(text)).toBeUndefined());
});

describe('validateTunOptions', () => {
  it('accepts a full set and an empty name', () => {
    expect(
      validateTunOptions({
        name: 'tsn0',
        mtu: 1400,
        addresses: ['10.0.0.1/24', '2001:db8::1/64'],
        txQueueLength: 1000,
      }),
    ).toEqual({
      name: 'tsn0',
      mtu: 1400,
      addresses: [
        { family: 4, address: '10.0.0.1', prefixLength: 24 },
        { family: 6, address: '2001:db8::1', prefixLength: 64 },
      ],
      txQueueLength: 1000,
    });
    expect(validateTunOptions({ mtu: 68, addresses: [] }).name).toBe('');
    expect(validateTunOptions({ name: 'tsn%d', mtu: 65535, addresses: [] }).name).toBe('tsn%d');
  });

  it.each([
    [{ name: 'a-name-of-16byte', mtu: 1400, addresses: [] }, /longer than 15 bytes/],
    [{ name: 'tsn/0', mtu: 1400, addresses: [] }, /not a valid interface name/],
    [{ name: 'tsn 0', mtu: 1400, addresses: [] }, /not a valid interface name/],
    [{ name: '..', mtu: 1400, addresses: [] }, /not a valid interface name/],
    [{ name: 'tsn%s', mtu: 1400, addresses: [] }, /not a valid interface name/],
    [{ name: 'a%db%d', mtu: 1400, addresses: [] }, /more than one %d/],
    [{ mtu: 67, addresses: [] }, /mtu 67 is not an integer in 68\.\.65535/],
    [{ mtu: 65536, addresses: [] }, /mtu 65536/],
    [{ mtu: 1400.5, addresses: [] }, /mtu 1400\.5/],
    [{ mtu: 1400, addresses: ['10.0.0.1'] }, /'10\.0\.0\.1' is not an IPv4 or IPv6 CIDR/],
    [{ mtu: 1279, addresses: ['2001:db8::1/64'] }, /below 1280, the IPv6 minimum/],
    [{ mtu: 1400, addresses: [], txQueueLength: 0 }, /txQueueLength 0/],
  ])('rejects %j', (options, message) => {
    let thrown: unknown;
    try {
      validateTunOptions(options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TunError);
    expect((thrown as TunError).code).toBe('invalid-options');
    expect((thrown as TunError).message).toMatch(message);
  });
});

describe('runIpBatch', () => {
  it('runs the commands in one ip process and names the one that failed', async () => {
    // Read-only commands: nothing on the machine changes.
    await expect(
      runIpBatch([
        ['link', 'show', 'dev', 'lo'],
        ['address', 'show', 'dev', 'lo'],
      ]),
    ).resolves.toBeUndefined();
    await expect(
      runIpBatch([
        ['link', 'show', 'dev', 'lo'],
        ['link', 'show', 'dev', 'tsn-nonexist0'],
        ['link', 'show', 'dev', 'lo'],
      ]),
    ).rejects.toThrow(/^`ip link show dev tsn-nonexist0` failed: .*tsn-nonexist0.* does not exist/);
  });
});

describe('ipCommandsFor', () => {
  it('sets the MTU (and queue length), adds the addresses (IPv6 without DAD), then brings the link up', () => {
    const options = validateTunOptions({
      mtu: 1400,
      addresses: ['10.0.0.1/24', '2001:db8::1/64'],
      txQueueLength: 2000,
    });
    expect(ipCommandsFor('tsn0', options)).toEqual([
      ['link', 'set', 'dev', 'tsn0', 'mtu', '1400', 'txqueuelen', '2000'],
      ['address', 'add', '10.0.0.1/24', 'dev', 'tsn0'],
      ['address', 'add', '2001:db8::1/64', 'dev', 'tsn0', 'nodad'],
      ['link', 'set', 'dev', 'tsn0', 'up'],
    ]);
    expect(ipCommandsFor('tsn1', validateTunOptions({ mtu: 1500, addresses: [] }))).toEqual([
      ['link', 'set', 'dev', 'tsn1', 'mtu', '1500'],
      ['link', 'set', 'dev', 'tsn1', 'up'],
    ]);
  });
});

describe('the addon loader', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function tempDir(): string {
    const d = mkdtempSync(join(tmpdir(), 'tsn-tun-loader-'));
    dirs.push(d);
    return d;
  }

  it('finds the build output in an ancestor directory (a checkout, or dist/ once bundled)', () => {
    const root = tempDir();
    const addon = join(root, TUN_ADDON_PATH);
    mkdirSync(join(addon, '..'), { recursive: true });
    writeFileSync(addon, '');
    const deep = join(root, 'dist', 'native-helper');
    mkdirSync(deep, { recursive: true });
    expect(findTunAddon(deep, {}).path).toBe(addon);
    expect(findTunAddon(join(root, 'native-helper', 'platform', 'tun'), {}).path).toBe(addon);
  });

  it('names the fix when the addon is not built', () => {
    const root = tempDir();
    expect(() => loadTunAddon(root, {})).toThrow(
      new TunError(
        'addon-missing',
        `the TUN addon is not built: no ${TUN_ADDON_PATH} in ${root} or any directory above it; run npm ci (needs g++, make, python3)`,
      ),
    );
    let thrown: unknown;
    try {
      loadTunAddon(root, {});
    } catch (error) {
      thrown = error;
    }
    expect((thrown as TunError).code).toBe('addon-missing');
  });

  it(`honours $${TUN_ADDON_ENV}, and says when it points nowhere`, () => {
    const root = tempDir();
    const missing = join(root, 'nope.node');
    expect(() => loadTunAddon(root, { [TUN_ADDON_ENV]: missing })).toThrow(
      `the TUN addon is not built: ${missing} (from $${TUN_ADDON_ENV}) does not exist; run npm ci (needs g++, make, python3)`,
    );
  });

  it('says when the file exists but does not load', () => {
    const root = tempDir();
    const bogus = join(root, 'bogus.node');
    writeFileSync(bogus, 'not an ELF file');
    expect(() => loadTunAddon(root, { [TUN_ADDON_ENV]: bogus })).toThrow(
      /does not load .*rebuild it with npm ci/,
    );
  });
});

describe('createLinuxTunDevice with a double of the addon', () => {
  const HANDLE = {} as TunHandle;
  const STATS: TunStats = {
    rxPackets: 0,
    rxBytes: 0,
    rxBatches: 0,
    txPackets: 0,
    txBytes: 0,
    txRejected: 0,
    txEagain: 0,
  };

  function fakeAddon(overrides: Partial<TunAddon> = {}): TunAddon & { calls: string[] } {
    const calls: string[] = [];
    const addon: TunAddon = {
      MAX_BATCH: 64,
      open: (name) => {
        calls.push(`open ${name}`);
        return { handle: HANDLE, fd: 42, name: name === '' ? 'tun7' : name };
      },
      startReading: () => void calls.push('startReading'),
      pause: () => void calls.push('pause'),
      resume: () => void calls.push('resume'),
      writeBatch: (_h, packets) => {
        calls.push(`writeBatch ${packets.length}`);
        return packets.length;
      },
      stats: () => STATS,
      close: () => void calls.push('close'),
      ...overrides,
    };
    return Object.assign(addon, { calls });
  }

  it('configures the name the kernel chose, and close() is idempotent', async () => {
    const addon = fakeAddon();
    const ip: string[][] = [];
    const dev = await createLinuxTunDevice(
      { mtu: 1400, addresses: ['10.0.0.1/24'] },
      { loadAddon: () => addon, runIp: async (args) => void ip.push([...args]) },
    );
    expect(dev.name).toBe('tun7');
    expect(dev.mtu).toBe(1400);
    expect(ip.map((a) => a.join(' '))).toEqual([
      'link set dev tun7 mtu 1400',
      'address add 10.0.0.1/24 dev tun7',
      'link set dev tun7 up',
    ]);
    expect(dev.write([new Uint8Array(20)])).toBe(1);
    dev.pause(); // before onPackets: nothing to pause
    dev.onPackets(
      () => {},
      () => {},
    );
    expect(() =>
      dev.onPackets(
        () => {},
        () => {},
      ),
    ).toThrow(/already called/);
    dev.pause();
    dev.resume();
    await dev.close();
    await dev.close();
    expect(addon.calls).toEqual([
      'open ',
      'writeBatch 1',
      'startReading',
      'pause',
      'resume',
      'close',
    ]);
    expect(() => dev.write([new Uint8Array(20)])).toThrow(
      new TunError('closed', 'TUN device tun7 is closed'),
    );
    dev.pause(); // harmless after close
  });

  it('closes the device when configuring it fails, and says which command failed', async () => {
    const addon = fakeAddon();
    const error = await rejection(
      createLinuxTunDevice(
        { name: 'tsn0', mtu: 1400, addresses: ['10.0.0.1/24'] },
        {
          loadAddon: () => addon,
          runIp: async (args) => {
            if (args[0] === 'address')
              throw new Error(
                '`ip address add 10.0.0.1/24 dev tsn0` failed: RTNETLINK answers: File exists',
              );
          },
        },
      ),
    );
    expect(error.code).toBe('configure-failed');
    expect(error.message).toBe(
      'cannot configure TUN device tsn0: `ip address add 10.0.0.1/24 dev tsn0` failed: RTNETLINK answers: File exists',
    );
    expect(addon.calls).toEqual(['open tsn0', 'close']);
  });

  it('turns a native open failure into TunError open-failed with the errno name', async () => {
    const native = Object.assign(
      new Error("cannot create TUN device 'tsn0': EPERM — run as root or grant CAP_NET_ADMIN"),
      {
        code: 'EPERM',
        errno: -1,
        syscall: 'ioctl(TUNSETIFF)',
      },
    );
    const addon = fakeAddon({
      open: () => {
        throw native;
      },
    });
    const error = await rejection(
      createLinuxTunDevice(
        { name: 'tsn0', mtu: 1400, addresses: [] },
        { loadAddon: () => addon, runIp: async () => {} },
      ),
    );
    expect(error).toMatchObject({
      code: 'open-failed',
      errno: 'EPERM',
      message: native.message,
      cause: native,
    });
  });

  it('wraps write failures, but lets a TypeError (not a packet) through', async () => {
    let fail: Error = new TypeError('packets[0] is not a Uint8Array');
    const addon = fakeAddon({
      writeBatch: () => {
        throw fail;
      },
    });
    const dev = await createLinuxTunDevice(
      { name: 'tsn0', mtu: 1400, addresses: [] },
      { loadAddon: () => addon, runIp: async () => {} },
    );
    expect(() => dev.write([new Uint8Array(1)])).toThrow(TypeError);
    fail = Object.assign(new Error('write failed: EIO — the device is down'), {
      code: 'EIO',
    });
    let thrown: unknown;
    try {
      dev.write([new Uint8Array(1)]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: 'io-failed',
      errno: 'EIO',
      message: 'TUN device tsn0: write failed: EIO — the device is down',
    });
    await dev.close();
  });

  it('hands read errors to onError as TunError io-failed', async () => {
    let onNativeError: ((error: Error) => void) | undefined;
    const addon = fakeAddon({
      startReading: (_h, _onPackets, onError) => {
        onNativeError = onError;
      },
    });
    const dev = await createLinuxTunDevice(
      { name: 'tsn0', mtu: 1400, addresses: [] },
      { loadAddon: () => addon, runIp: async () => {} },
    );
    const errors: TunError[] = [];
    dev.onPackets(
      () => {},
      (e) => errors.push(e),
    );
    onNativeError?.(
      Object.assign(new Error('polling failed: EBADF — the device was probably deleted'), {
        code: 'EBADF',
      }),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'io-failed', errno: 'EBADF' });
    await dev.close();
  });
});
