/**
 * The systemd unit the packages ship: systemd's own checker accepts it, and the ordering that
 * makes lockdown hold from boot is there (Type=notify with the helper's READY=1 after its first
 * policy, before network-pre.target, after Debian's ruleset-flushing nftables.service).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const UNIT = 'native-helper/daemon/tsunagi-helper.service';
const text = readFileSync(UNIT, 'utf8');

/** section → key → values (repeated keys and space-separated lists flattened). */
function parseUnit(unit: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  for (const raw of unit.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) {
      section = new Map();
      out.set(head[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq < 1) throw new Error(`unparsable line: ${line}`);
    const key = line.slice(0, eq);
    section.set(key, [...(section.get(key) ?? []), ...line.slice(eq + 1).split(/\s+/)]);
  }
  return out;
}

const unit = parseUnit(text);
const get = (section: string, key: string) => unit.get(section)?.get(key) ?? [];

describe('tsunagi-helper.service', () => {
  it.skipIf(!existsSync('/usr/bin/systemd-analyze'))(
    'systemd-analyze verify finds nothing to say',
    () => {
      // the installed command (/usr/bin/tsunagi) does not exist in a checkout: point ExecStart at
      // an executable that does, arguments unchanged, so verify checks everything else
      const dir = mkdtempSync(join(tmpdir(), 'tsunagi-unit-'));
      try {
        const copy = join(dir, 'tsunagi-helper.service');
        const exec = text.replace(
          /^ExecStart=\/usr\/bin\/tsunagi /m,
          `ExecStart=${process.execPath} `,
        );
        expect(exec).not.toBe(text);
        writeFileSync(copy, exec);
        const r = spawnSync('systemd-analyze', ['verify', '--man=no', copy], { encoding: 'utf8' });
        expect(r.stderr + r.stdout).toBe('');
        expect(r.status).toBe(0);
        // the check is real: a typo in the unit is reported
        writeFileSync(copy, exec.replace(/^Type=notify$/m, 'Type=notfy'));
        const bad = spawnSync('systemd-analyze', ['verify', '--man=no', copy], {
          encoding: 'utf8',
        });
        expect(bad.stderr).toContain('service type');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('Type=notify with NotifyAccess=main: started means the first policy is applied', () => {
    expect(get('Service', 'Type')).toEqual(['notify']);
    // READY=1 comes from the helper's own process (native addon), so `main` is enough
    expect(get('Service', 'NotifyAccess')).toEqual(['main']);
    expect(get('Service', 'RestrictAddressFamilies')).toContain('AF_UNIX');
    expect(Number(get('Service', 'TimeoutStartSec')[0])).toBeGreaterThan(0);
  });

  it('ordered before the network and after the ruleset-flushing nftables.service, no cycle', () => {
    expect(get('Unit', 'Before')).toContain('network-pre.target');
    expect(get('Unit', 'Wants')).toContain('network-pre.target');
    expect(get('Unit', 'After')).toContain('nftables.service');
    // anything network-ish after us would be a cycle with Before=network-pre.target
    for (const after of get('Unit', 'After'))
      expect(after, `After=${after}`).not.toMatch(/^network|^NetworkManager|^systemd-networkd/);
    // Debian's nftables.service must itself come before network-pre.target (else a cycle) and not
    // after us: checked against the installed one when there is one
    const nft = [
      '/lib/systemd/system/nftables.service',
      '/usr/lib/systemd/system/nftables.service',
    ].find(existsSync);
    if (nft) {
      const theirs = parseUnit(readFileSync(nft, 'utf8'));
      expect(theirs.get('Unit')?.get('Before') ?? []).toContain('network-pre.target');
      expect(theirs.get('Unit')?.get('After') ?? []).not.toContain('tsunagi-helper.service');
    }
  });
});
