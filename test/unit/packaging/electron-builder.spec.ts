// The packaging, checked offline:
//   1. electron-builder.yml passes electron-builder's own schema validation, and everything it
//      names exists (icons with the right sizes, maintainer scripts, extra resources).
//   2. With `npm run build` output present, `npm run package:dir` (electron-builder --linux dir)
//      builds the unpacked app from a STAND-IN Electron distribution this test creates: no Electron
//      binary can be had offline, so the stand-in `electron` is a shell script that runs Node when
//      ELECTRON_RUN_AS_NODE=1 and refuses otherwise. It shows the package layout and that the
//      helper launcher finds its files; it does not show that Electron starts the app.
//   3. The deb maintainer scripts run for real (groupadd, systemctl --root) against a scratch
//      DPKG_ROOT, inside a mount namespace where the host's /etc, /usr, /var, /opt and /run are
//      read-only, so a script that escaped its root would fail rather than change this machine.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  stat,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTunAddon } from '../../../native-helper/platform/tun/native-addon.js';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const require = createRequire(import.meta.url);
const scriptsDir = path.join(root, 'packaging', 'linux');
const SCRIPTS = ['postinst', 'prerm', 'postrm'] as const;

interface BuilderConfig {
  productName: string;
  files: string[];
  asarUnpack: string[];
  linux: {
    target: string[];
    executableName: string;
    icon: string;
    extraResources: { from: string; to: string; filter?: string[] }[];
  };
  deb: { afterInstall: string; afterRemove: string; fpm: string[]; depends: string[] };
  mac: { target: string[]; icon: string };
  win: { target: string[]; icon: string };
}

// electron-builder's own loader and validator (the functions its CLI calls before building)
const configModule = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null): Promise<Record<string, unknown>>;
  validateConfiguration(config: unknown, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as {
  DebugLogger: new (enabled: boolean) => unknown;
};

let config: BuilderConfig;
beforeAll(async () => {
  config = (await configModule.getConfig(root, null)) as unknown as BuilderConfig;
});

function pngSize(data: Buffer): { width: number; height: number } {
  expect(data.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

describe('electron-builder.yml', () => {
  it('passes electron-builder validation, which does reject a wrong key', async () => {
    await expect(
      configModule.validateConfiguration(config, new DebugLogger(false)),
    ).resolves.toBeUndefined();
    // the validator is live: the mistake this file once had (AppImage instead of appImage) fails
    await expect(
      configModule.validateConfiguration(
        { ...config, AppImage: { artifactName: 'x' } },
        new DebugLogger(false),
      ),
    ).rejects.toThrow(/unknown property 'AppImage'/);
  });

  it('targets deb + AppImage, dmg and nsis', () => {
    expect(config.linux.target).toEqual(['deb', 'AppImage']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.asarUnpack).toEqual(['**/*.node']);
  });

  it('icons: Linux 16…1024 px PNGs, a Windows ICO (16…256) and a macOS ICNS (16…1024)', async () => {
    const iconDir = path.join(root, config.linux.icon);
    const names = (await readdir(iconDir)).sort((a, b) => parseInt(a) - parseInt(b));
    expect(names).toEqual([16, 24, 32, 48, 64, 128, 256, 512, 1024].map((n) => `${n}x${n}.png`));
    for (const name of names) {
      const n = parseInt(name);
      expect(pngSize(await readFile(path.join(iconDir, name)))).toEqual({ width: n, height: n });
    }

    const ico = await readFile(path.join(root, config.win.icon));
    expect(ico.readUInt16LE(0)).toBe(0);
    expect(ico.readUInt16LE(2)).toBe(1);
    const icoSizes: number[] = [];
    for (let i = 0; i < ico.readUInt16LE(4); i++) {
      const entry = 6 + 16 * i;
      const size = ico.readUInt8(entry) || 256;
      const length = ico.readUInt32LE(entry + 8);
      const offset = ico.readUInt32LE(entry + 12);
      expect(offset + length).toBeLessThanOrEqual(ico.length);
      expect(pngSize(ico.subarray(offset, offset + length))).toEqual({ width: size, height: size });
      icoSizes.push(size);
    }
    expect(icoSizes).toEqual([16, 24, 32, 48, 64, 128, 256]);

    const icns = await readFile(path.join(root, config.mac.icon));
    expect(icns.subarray(0, 4).toString('latin1')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const icnsTypes: string[] = [];
    for (let at = 8; at < icns.length;) {
      const type = icns.subarray(at, at + 4).toString('latin1');
      const length = icns.readUInt32BE(at + 4);
      const expected = {
        icp4: 16,
        icp5: 32,
        ic11: 32,
        icp6: 64,
        ic12: 64,
        ic07: 128,
        ic08: 256,
        ic13: 256,
        ic09: 512,
        ic14: 512,
        ic10: 1024,
      }[type];
      expect(expected, `unexpected ICNS element ${type}`).toBeDefined();
      expect(pngSize(icns.subarray(at + 8, at + length))).toEqual({
        width: expected,
        height: expected,
      });
      icnsTypes.push(type);
      at += length;
    }
    expect(icnsTypes).toContain('ic10'); // 1024 px: what macOS uses for Retina 512@2x
  });

  it('the deb scripts and the helper files it names exist', () => {
    expect(config.deb.afterInstall).toBe('packaging/linux/postinst');
    expect(config.deb.afterRemove).toBe('packaging/linux/postrm');
    expect(config.deb.fpm).toEqual(['--before-remove', 'packaging/linux/prerm']);
    expect(config.deb.depends).toEqual(
      expect.arrayContaining(['nftables', 'iproute2', 'libsecret-1-0']),
    );
    for (const { from } of config.linux.extraResources) {
      // dist/ exists only after `npm run build`; the rest is in the repository
      if (!from.startsWith('dist/') && !from.startsWith('native-helper/native/build'))
        expect(existsSync(path.join(root, from)), from).toBe(true);
    }
  });

  it('the maintainer scripts survive electron-builder macro expansion unchanged', async () => {
    // FpmTarget.writeConfigFile replaces ${word} and throws on an unknown word
    for (const name of ['postinst', 'postrm']) {
      const text = await readFile(path.join(scriptsDir, name), 'utf8');
      expect(text.match(/\$\{([a-zA-Z]+)\}/g), name).toBeNull();
      expect(text.match(/<%=([a-zA-Z]+)%>/g), name).toBeNull();
    }
  });

  it('the scripts agree with the config: /opt/<productName>, the executable name, the unit', async () => {
    for (const name of SCRIPTS) {
      const text = await readFile(path.join(scriptsDir, name), 'utf8');
      expect(text, name).toContain('unit=tsunagi-helper.service\n');
      if (name !== 'prerm') {
        expect(text, name).toContain(`app_dir=/opt/${config.productName}\n`);
        expect(text, name).toContain(`executable=${config.linux.executableName}\n`);
      }
    }
    const launcher = await readFile(path.join(scriptsDir, 'tsunagi'), 'utf8');
    expect(launcher).toContain(`electron="$app_dir/${config.linux.executableName}"`);
    // the unit starts the helper through the link postinst creates
    const unit = await readFile(
      path.join(root, 'native-helper/daemon/tsunagi-helper.service'),
      'utf8',
    );
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/tsunagi helper /m);
    const postinst = await readFile(path.join(scriptsDir, 'postinst'), 'utf8');
    expect(postinst).toContain('ln -sfn "$helper_dir/tsunagi" "$root/usr/bin/tsunagi"');
  });

  it('sh -n accepts every script; shellcheck (POSIX sh) finds nothing', async (ctx) => {
    for (const name of [...SCRIPTS, 'tsunagi']) {
      const file = path.join(scriptsDir, name);
      expect(spawnSync('sh', ['-n', file]).status, `sh -n ${name}`).toBe(0);
      expect((await stat(file)).mode & 0o111, `${name} is executable`).toBe(0o111);
      expect((await readFile(file, 'utf8')).startsWith('#!/bin/sh\n')).toBe(true);
    }
    if (spawnSync('sh', ['-c', 'command -v shellcheck']).status !== 0) {
      ctx.skip('shellcheck is not installed (apt-get install shellcheck)');
      return;
    }
    const run = spawnSync(
      'shellcheck',
      ['-s', 'sh', ...[...SCRIPTS, 'tsunagi'].map((n) => path.join(scriptsDir, n))],
      { encoding: 'utf8' },
    );
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});

// ------------------------------------------------------------------------------ the dir build

const BUILT = [
  'dist/electron/main.js',
  'dist/electron/preload.cjs',
  'dist/renderer/index.html',
  'dist/native-helper/cli.js',
  'native-helper/native/build/Release/tsunagi_tun.node',
  'native-helper/native/build/Release/tsunagi_peercred.node',
];
const missing = BUILT.filter((f) => !existsSync(path.join(root, f)));

/**
 * Reads an asar archive (Chromium Pickle header: sizes, then the JSON directory tree; file data
 * follows the header, each file at its `offset`), written from the format rather than with
 * electron-builder's own reader.
 */
async function readAsar(
  file: string,
): Promise<Map<string, { unpacked: boolean; content: () => Buffer }>> {
  const data = await readFile(file);
  const headerPickleSize = data.readUInt32LE(4);
  const jsonLength = data.readUInt32LE(12);
  expect(16 + jsonLength).toBeLessThanOrEqual(8 + headerPickleSize);
  const header = JSON.parse(data.subarray(16, 16 + jsonLength).toString('utf8')) as AsarNode;
  const base = 8 + headerPickleSize;
  const out = new Map<string, { unpacked: boolean; content: () => Buffer }>();
  const walk = (node: AsarNode, prefix: string) => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const p = prefix ? `${prefix}/${name}` : name;
      if (child.files) walk(child, p);
      else {
        const start = base + Number(child.offset ?? 0);
        out.set(p, {
          unpacked: child.unpacked === true,
          content: () => data.subarray(start, start + (child.size ?? 0)),
        });
      }
    }
  };
  walk(header, '');
  return out;
}
interface AsarNode {
  files?: Record<string, AsarNode>;
  unpacked?: boolean;
  offset?: string;
  size?: number;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

const sha = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
const isRoot = process.getuid?.() === 0;
const hasUnshare = spawnSync('sh', ['-c', 'command -v unshare']).status === 0;

describe.skipIf(missing.length > 0)(
  `npm run package:dir with a stand-in Electron${missing.length ? ` (skipped: ${missing.join(', ')} missing: run npm ci && npm run build)` : ''}`,
  () => {
    let work: string;
    let app: string; // <out>/linux-unpacked
    let buildSeconds: number;
    let buildOutput: string;

    beforeAll(async () => {
      work = await mkdtemp(path.join(tmpdir(), 'tsunagi-package-'));
      // The stand-in Electron distribution. NOT Electron: only enough for electron-builder to
      // copy and for the launcher to run the CLI (Node mode). The GUI cannot start from it.
      const electronDist = path.join(work, 'electron-dist');
      await mkdir(path.join(electronDist, 'resources'), { recursive: true });
      await writeFile(
        path.join(electronDist, 'electron'),
        '#!/bin/sh\n' +
          '# Stand-in for the Electron binary (none can be downloaded offline): Node mode only.\n' +
          `if [ "\${ELECTRON_RUN_AS_NODE:-}" = 1 ]; then exec '${process.execPath}' "$@"; fi\n` +
          'echo "stand-in Electron: the app itself cannot start here" >&2\nexit 1\n',
        { mode: 0o755 },
      );
      await writeFile(path.join(electronDist, 'chrome-sandbox'), '', { mode: 0o755 });
      await writeFile(path.join(electronDist, 'LICENSE'), 'stand-in\n');

      const out = path.join(work, 'out');
      const command = [
        process.execPath,
        path.join(root, 'packaging', 'package-dir.mjs'),
        '--output',
        out,
      ];
      // As root, cut the network (a fresh network namespace has only a down loopback): the build
      // succeeding there shows it needs no download.
      const argv = isRoot && hasUnshare ? ['unshare', '--net', ...command] : command;
      const started = process.hrtime.bigint();
      const run = spawnSync(argv[0] ?? '', argv.slice(1), {
        cwd: root,
        // without VITEST in its environment: electron-builder silences its log under vitest
        env: Object.fromEntries(
          Object.entries({ ...process.env, TSUNAGI_ELECTRON_DIST: electronDist }).filter(
            ([k]) => !k.startsWith('VITEST'),
          ),
        ),
        encoding: 'utf8',
      });
      buildSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      buildOutput = run.stdout + run.stderr;
      process.stdout.write(
        `package:dir took ${buildSeconds.toFixed(1)} s${argv[0] === 'unshare' ? ' with no network (unshare --net)' : ''}\n`,
      );
      if (run.status !== 0) throw new Error(`package:dir failed (${run.status}):\n${buildOutput}`);
      app = path.join(out, 'linux-unpacked');
    }, 180_000);

    afterAll(async () => {
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('used the local distribution and rebuilt nothing', () => {
      expect(buildOutput).toContain('using custom unpacked Electron distribution');
      expect(buildOutput).toContain('skipped dependencies rebuild');
      expect(buildOutput).not.toMatch(/download/i);
    });

    it('app.asar holds exactly main, preload, renderer, package.json, icons and keytar', async () => {
      const entries = await readAsar(path.join(app, 'resources', 'app.asar'));
      const names = [...entries.keys()].sort();
      const renderer = (await listFiles(path.join(root, 'dist', 'renderer')))
        .filter((f) => !f.endsWith('.map'))
        .map((f) => `dist/renderer/${f}`);
      const tray = (await readdir(path.join(root, 'assets', 'tray')))
        .filter((f) => f.endsWith('.png'))
        .map((f) => `assets/tray/${f}`);
      expect(names).toEqual(
        [
          'package.json',
          'dist/electron/main.js',
          'dist/electron/preload.cjs',
          ...renderer,
          'assets/icon.png',
          ...tray,
          'node_modules/keytar/package.json',
          'node_modules/keytar/lib/keytar.js',
          'node_modules/keytar/build/Release/keytar.node',
        ].sort(),
      );
      expect(names).toContain('dist/renderer/index.html');
      // nothing from test/, no sources, no source maps, no helper inside the asar
      expect(
        names.filter((n) => /^test\/|\.map$|\.tsx?$|^native-helper\/|^dist\/native-helper/.test(n)),
      ).toEqual([]);
      // the packaged package.json still points at the bundled main
      const pkg = JSON.parse(entries.get('package.json')?.content().toString('utf8') ?? '{}') as {
        main?: string;
      };
      expect(pkg.main).toBe('dist/electron/main.js');
      // and main.js inside is the one built
      expect(entries.get('dist/electron/main.js')?.content()).toEqual(
        await readFile(path.join(root, 'dist/electron/main.js')),
      );
    });

    it('every .node in the app is unpacked from the asar, byte for byte', async () => {
      const entries = await readAsar(path.join(app, 'resources', 'app.asar'));
      const natives = [...entries]
        .filter(([n]) => n.endsWith('.node'))
        .map(([n, e]) => [n, e.unpacked] as const);
      expect(natives).toEqual([['node_modules/keytar/build/Release/keytar.node', true]]);
      const unpacked = path.join(
        app,
        'resources',
        'app.asar.unpacked',
        'node_modules/keytar/build/Release/keytar.node',
      );
      expect(await sha(unpacked)).toBe(
        await sha(path.join(root, 'node_modules/keytar/build/Release/keytar.node')),
      );
    });

    it('resources/helper holds the launcher, CLI, addons and unit where the deb scripts expect them', async () => {
      const helper = path.join(app, 'resources', 'helper');
      expect(await listFiles(helper)).toEqual([
        'dist/native-helper/cli.js',
        'native-helper/bin/tsunagi.js',
        'native-helper/native/build/Release/tsunagi_peercred.node',
        'native-helper/native/build/Release/tsunagi_tun.node',
        'package.json',
        'tsunagi',
        'tsunagi-helper.service',
      ]);
      expect((await stat(path.join(helper, 'tsunagi'))).mode & 0o777).toBe(0o755);
      for (const [packaged, source] of [
        ['tsunagi', 'packaging/linux/tsunagi'],
        ['tsunagi-helper.service', 'native-helper/daemon/tsunagi-helper.service'],
        ['dist/native-helper/cli.js', 'dist/native-helper/cli.js'],
        ['native-helper/bin/tsunagi.js', 'native-helper/bin/tsunagi.js'],
        [
          'native-helper/native/build/Release/tsunagi_tun.node',
          'native-helper/native/build/Release/tsunagi_tun.node',
        ],
        [
          'native-helper/native/build/Release/tsunagi_peercred.node',
          'native-helper/native/build/Release/tsunagi_peercred.node',
        ],
      ] as const)
        expect(await sha(path.join(helper, packaged)), packaged).toBe(
          await sha(path.join(root, source)),
        );
      expect(JSON.parse(await readFile(path.join(helper, 'package.json'), 'utf8'))).toMatchObject({
        type: 'module',
      });
      // the helper's own addon search (walking up from dist/native-helper) lands on the packaged one
      expect(findTunAddon(path.join(helper, 'dist', 'native-helper'), {}).path).toBe(
        path.join(helper, 'native-helper/native/build/Release/tsunagi_tun.node'),
      );
      // the Electron executable the launcher runs, named as the scripts expect
      expect(existsSync(path.join(app, config.linux.executableName))).toBe(true);
      expect(existsSync(path.join(app, 'chrome-sandbox'))).toBe(true);
    });

    it('the launcher runs the CLI on the (stand-in) Electron in Node mode, also through a symlink', async () => {
      const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
        version: string;
      };
      const launcher = path.join(app, 'resources', 'helper', 'tsunagi');
      const direct = spawnSync(launcher, ['--version'], { encoding: 'utf8' });
      expect(direct.stderr).toBe('');
      expect(direct.stdout).toBe(`${version}\n`);
      // as /usr/bin/tsunagi will be: a symlink from elsewhere
      const link = path.join(work, 'bin', 'tsunagi');
      await mkdir(path.dirname(link), { recursive: true });
      await symlink(launcher, link);
      const viaLink = spawnSync(link, ['--help'], { encoding: 'utf8' });
      expect(viaLink.status).toBe(0);
      expect(viaLink.stdout).toMatch(/^tsunagi .* IKEv2\/IPsec VPN client/);
      expect(viaLink.stdout).toContain('helper');
      // and the stand-in really is not Electron: started normally it refuses
      const gui = spawnSync(path.join(app, config.linux.executableName), [], { encoding: 'utf8' });
      expect(gui.status).toBe(1);
      expect(gui.stderr).toContain('stand-in Electron');
    });

    it('a launcher whose app is incomplete says so', async () => {
      const broken = path.join(work, 'broken', 'resources', 'helper');
      await mkdir(broken, { recursive: true });
      await cp(path.join(app, 'resources', 'helper', 'tsunagi'), path.join(broken, 'tsunagi'));
      const run = spawnSync(path.join(broken, 'tsunagi'), ['--version'], { encoding: 'utf8' });
      expect(run.status).toBe(127);
      expect(run.stderr).toMatch(
        /^tsunagi: the app is incomplete: expected .*\/broken\/tsunagi and .*tsunagi\.js; reinstall the tsunagi package\n$/,
      );
    });

    // ------------------------------------------------------------------ maintainer scripts
    describe.skipIf(!isRoot || !hasUnshare)(
      `deb maintainer scripts against a scratch DPKG_ROOT${!isRoot || !hasUnshare ? ' (skipped: needs root and unshare)' : ''}`,
      () => {
        let dpkgRoot: string;
        const hostGroup = () => sha('/etc/group');
        let hostGroupBefore: string;

        /** Runs a script with DPKG_ROOT, the host's system directories read-only. */
        function runScript(name: string, ...args: string[]) {
          const guard =
            'set -e; for d in /etc /usr /var /opt /run; do mount --bind "$d" "$d"; mount -o remount,bind,ro "$d"; done; ' +
            'exec "$@"';
          return spawnSync(
            'unshare',
            [
              '--mount',
              '--propagation',
              'private',
              'sh',
              '-c',
              guard,
              'guard',
              path.join(scriptsDir, name),
              ...args,
            ],
            { env: { ...process.env, DPKG_ROOT: dpkgRoot }, encoding: 'utf8' },
          );
        }

        beforeAll(async () => {
          hostGroupBefore = await hostGroup();
          dpkgRoot = path.join(work, 'root');
          // what dpkg would have unpacked: the app in /opt/Tsunagi, and a minimal /etc
          await cp(app, path.join(dpkgRoot, 'opt', config.productName), {
            recursive: true,
            verbatimSymlinks: true,
          });
          await mkdir(path.join(dpkgRoot, 'etc'), { recursive: true });
          await writeFile(path.join(dpkgRoot, 'etc', 'group'), 'root:x:0:\nusers:x:100:\n');
          await writeFile(path.join(dpkgRoot, 'etc', 'gshadow'), 'root:*::\nusers:*::\n', {
            mode: 0o640,
          });
          await writeFile(path.join(dpkgRoot, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
          await mkdir(path.join(dpkgRoot, 'var', 'lib', 'tsunagi'), { recursive: true });
          await writeFile(path.join(dpkgRoot, 'var', 'lib', 'tsunagi', 'settings.json'), '{}');
          await chmod(path.join(dpkgRoot, 'opt', config.productName, 'chrome-sandbox'), 0o700);
        });

        afterAll(async () => {
          // the host was never touched (its /etc was read-only for the scripts anyway)
          expect(await hostGroup()).toBe(hostGroupBefore);
          expect(existsSync('/usr/lib/systemd/system/tsunagi-helper.service')).toBe(false);
        });

        const unitPath = () => path.join(dpkgRoot, 'usr/lib/systemd/system/tsunagi-helper.service');
        const wantsLink = () =>
          path.join(dpkgRoot, 'etc/systemd/system/multi-user.target.wants/tsunagi-helper.service');
        // the link points at the unit's path inside the installed system, so test the link itself
        const enabled = () =>
          lstat(wantsLink()).then(
            () => true,
            () => false,
          );
        const groupLines = async () =>
          (await readFile(path.join(dpkgRoot, 'etc', 'group'), 'utf8'))
            .split('\n')
            .filter((l) => l.startsWith('tsunagi:'));

        it('postinst configure: CLI link, system group, unit installed and enabled, sandbox mode', async () => {
          const run = runScript('postinst', 'configure');
          expect(run.status, run.stderr).toBe(0);
          expect(run.stdout).toContain(
            "users who may control the VPN must be in the 'tsunagi' group",
          );

          const link = path.join(dpkgRoot, 'usr', 'bin', 'tsunagi');
          expect((await lstat(link)).isSymbolicLink()).toBe(true);
          expect(await readlink(link)).toBe(`/opt/${config.productName}/resources/helper/tsunagi`);
          // the link's target exists in the installed tree
          expect(existsSync(path.join(dpkgRoot, await readlink(link)))).toBe(true);

          const groups = await groupLines();
          expect(groups).toHaveLength(1);
          const gid = Number(groups[0]?.split(':')[2]);
          expect(gid).toBeGreaterThan(0);
          expect(gid).toBeLessThan(1000); // --system

          expect(await sha(unitPath())).toBe(
            await sha(path.join(root, 'native-helper/daemon/tsunagi-helper.service')),
          );
          expect((await stat(unitPath())).mode & 0o777).toBe(0o644);
          expect(await readlink(wantsLink())).toBe(
            '/usr/lib/systemd/system/tsunagi-helper.service',
          );
          expect(
            (await readdir(path.dirname(unitPath()))).filter((n) => n.startsWith('.')),
          ).toEqual([]);

          const sandbox =
            (await stat(path.join(dpkgRoot, 'opt', config.productName, 'chrome-sandbox'))).mode &
            0o7777;
          const userns =
            spawnSync('sh', ['-c', '[ -L /proc/self/ns/user ] && unshare --user true']).status ===
            0;
          expect(sandbox).toBe(userns ? 0o755 : 0o4755);
        });

        it("postinst on upgrade is idempotent and keeps an administrator's disable", async () => {
          // the administrator disabled the helper; an upgrade must not re-enable it
          await rm(wantsLink());
          const run = runScript('postinst', 'configure', '0.0.9');
          expect(run.status, run.stderr).toBe(0);
          expect(await groupLines()).toHaveLength(1);
          expect(await enabled()).toBe(false);
          expect(run.stdout).not.toContain('must be in the');
          // abort-remove (prerm remove failed later on) enables it again
          expect(runScript('postinst', 'abort-remove').status).toBe(0);
          expect(await enabled()).toBe(true);
        });

        it('prerm upgrade leaves the helper enabled; prerm remove disables it', async () => {
          expect(runScript('prerm', 'upgrade', '0.2.0').status).toBe(0);
          expect(await enabled()).toBe(true);
          const run = runScript('prerm', 'remove');
          expect(run.status, run.stderr).toBe(0);
          expect(await enabled()).toBe(false);
          expect(existsSync(unitPath())).toBe(true);
        });

        it('postrm upgrade keeps everything; remove deletes the unit and the link; purge the state', async () => {
          expect(runScript('postrm', 'upgrade', '0.2.0').status).toBe(0);
          expect(existsSync(unitPath())).toBe(true);

          const remove = runScript('postrm', 'remove');
          expect(remove.status, remove.stderr).toBe(0);
          expect(existsSync(unitPath())).toBe(false);
          expect(existsSync(path.join(dpkgRoot, 'usr', 'bin', 'tsunagi'))).toBe(false);
          expect(await groupLines()).toHaveLength(1); // the group stays (files may belong to it)
          expect(existsSync(path.join(dpkgRoot, 'var', 'lib', 'tsunagi'))).toBe(true);

          const purge = runScript('postrm', 'purge');
          expect(purge.status, purge.stderr).toBe(0);
          expect(existsSync(path.join(dpkgRoot, 'var', 'lib', 'tsunagi'))).toBe(false);
        });

        it('postrm leaves a /usr/bin/tsunagi that is not its own link alone', async () => {
          const link = path.join(dpkgRoot, 'usr', 'bin', 'tsunagi');
          await writeFile(link, '#!/bin/sh\necho mine\n', { mode: 0o755 });
          expect(runScript('postrm', 'remove').status).toBe(0);
          expect(await readFile(link, 'utf8')).toBe('#!/bin/sh\necho mine\n');
          await rm(link);
        });

        it('every script refuses an argument dpkg never passes', () => {
          for (const name of SCRIPTS) {
            const run = runScript(name, 'bogus');
            expect(run.status, name).toBe(1);
            expect(run.stderr).toContain(`tsunagi ${name}: called with unknown argument 'bogus'`);
          }
        });
      },
    );

    // ---------------------------------------------- the live path (no DPKG_ROOT), sandboxed
    const canOverlay =
      isRoot &&
      hasUnshare &&
      spawnSync('sh', ['-c', 'grep -qw overlay /proc/filesystems']).status === 0;
    describe.skipIf(!canOverlay)(
      `install on a "live" system: overlays over /etc /usr /opt /var, private /run and network${canOverlay ? '' : ' (skipped: needs root, unshare and overlayfs)'}`,
      () => {
        it('postinst, the helper started as the unit starts it, `tsunagi status`, prerm, postrm purge', async () => {
          const sandbox = path.join(work, 'sandbox');
          const dirs = ['etc', 'usr', 'opt', 'var'];
          for (const d of dirs) {
            await mkdir(path.join(sandbox, `up-${d}`), { recursive: true });
            await mkdir(path.join(sandbox, `work-${d}`), { recursive: true });
          }
          // Runs in fresh mount and network namespaces: every write to /etc, /usr, /opt and /var
          // lands in an overlay's upper directory under $sandbox, /run is a private tmpfs, and nft
          // sees only the namespace's own (empty) ruleset. Nothing reaches the host.
          const script = `set -eu
sandbox=$1 app=$2 scripts=$3
for d in ${dirs.join(' ')}; do
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$sandbox/up-$d,workdir=$sandbox/work-$d" "/$d"
done
mount -t tmpfs tmpfs /run
mkdir -p /opt/${config.productName}
cp -a "$app/." /opt/${config.productName}/
sh "$scripts/postinst" configure
echo "MARK group=$(getent group tsunagi)"
echo "MARK link=$(readlink /usr/bin/tsunagi)"
echo "MARK enabled=$(readlink /etc/systemd/system/multi-user.target.wants/tsunagi-helper.service)"
# the helper, started the way tsunagi-helper.service starts it
exec_start=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/tsunagi-helper.service)
environment=$(sed -n 's/^Environment=//p' /usr/lib/systemd/system/tsunagi-helper.service)
mkdir -p /run/tsunagi /var/lib/tsunagi
env $environment $exec_start >"$sandbox/helper.log" 2>&1 &
helper=$!
trap 'kill -TERM $helper 2>/dev/null || true' EXIT
i=0
while [ ! -S /run/tsunagi/helper.sock ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
/usr/bin/tsunagi status
kill -TERM $helper
wait $helper && echo "MARK helper-exit=0" || echo "MARK helper-exit=$?"
nft add table inet tsunagi
sh "$scripts/prerm" remove
sh "$scripts/postrm" purge
echo "MARK tables-after=$(nft list tables | tr '\\n' ' ')"
echo "MARK link-after=$(readlink /usr/bin/tsunagi || true)"
echo "MARK unit-after=$(ls /usr/lib/systemd/system/tsunagi-helper.service 2>/dev/null || true)"
`;
          const hostGroupBefore = spawnSync('getent', ['group', 'tsunagi']).status;
          const run = spawnSync(
            'unshare',
            [
              '--mount',
              '--net',
              '--propagation',
              'private',
              'sh',
              '-c',
              script,
              'sandbox',
              sandbox,
              app,
              scriptsDir,
            ],
            { encoding: 'utf8', timeout: 60_000 },
          );
          const log = existsSync(path.join(sandbox, 'helper.log'))
            ? await readFile(path.join(sandbox, 'helper.log'), 'utf8')
            : '';
          expect(run.status, `${run.stdout}\n${run.stderr}\nhelper log:\n${log}`).toBe(0);
          const marks = Object.fromEntries(
            run.stdout
              .split('\n')
              .filter((l) => l.startsWith('MARK '))
              .map((l) => {
                const [key = '', ...value] = l.slice(5).split('=');
                return [key, value.join('=')];
              }),
          );
          expect(marks.group).toMatch(/^tsunagi:x:\d{1,3}:$/);
          expect(marks.link).toBe(`/opt/${config.productName}/resources/helper/tsunagi`);
          expect(marks.enabled).toMatch(/\/lib\/systemd\/system\/tsunagi-helper\.service$/);
          // `tsunagi status` through /usr/bin/tsunagi reached the packaged helper over its socket
          // (the peer-credentials addon from resources/helper checked the caller)
          expect(run.stdout).toMatch(/^disconnected {2}reason=not-started$/m);
          expect(run.stdout).toMatch(/^helper \d+\.\d+\.\d+, protocol \d+$/m);
          expect(log).toContain('listening on /run/tsunagi/helper.sock');
          expect(marks['helper-exit']).toBe('0'); // SIGTERM: orderly exit
          // removal took the firewall table, the link and the unit with it
          expect(marks['tables-after']?.trim()).toBe('');
          expect(marks['link-after']).toBe('');
          expect(marks['unit-after']).toBe('');
          // the host: no group, no unit
          expect(spawnSync('getent', ['group', 'tsunagi']).status).toBe(hostGroupBefore);
          expect(existsSync('/usr/lib/systemd/system/tsunagi-helper.service')).toBe(false);
        }, 90_000);
      },
    );
  },
);
