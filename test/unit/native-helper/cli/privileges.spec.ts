/**
 * The privilege check of `tsunagi connect`: CapEff parsing and the decision (what is missing and
 * what to do), on facts given as values; and the facts of this very process when it runs as root.
 */
import { describe, expect, it } from 'vitest';
import {
  CAP_NET_ADMIN,
  CAP_NET_BIND_SERVICE,
  hasCapability,
  parseCapEff,
  privilegeProblem,
  readPrivilegeFacts,
  type PrivilegeFacts,
  type PrivilegeNeeds,
} from '../../../../native-helper/cli/privileges.js';

const STATUS = `Name:\tnode
Umask:\t0022
State:\tR (running)
Uid:\t1000\t1000\t1000\t1000
CapInh:\t0000000000000000
CapPrm:\t0000000000000000
CapEff:\t0000000000003000
CapBnd:\t000001ffffffffff
CapAmb:\t0000000000000000
NoNewPrivs:\t0
`;

const ALL = (1n << 41n) - 1n;
const bit = (cap: number) => 1n << BigInt(cap);
const NEEDS: PrivilegeNeeds = {
  ikePort: 500,
  dns: true,
  resolvConf: '/etc/resolv.conf',
  stateDir: '/run/tsunagi',
};
const ROOT: PrivilegeFacts = {
  uid: 0,
  capEff: ALL,
  unprivilegedPortStart: 1024,
  canWriteResolvConf: true,
  canWriteStateDir: true,
};
const USER: PrivilegeFacts = {
  uid: 1000,
  capEff: 0n,
  unprivilegedPortStart: 1024,
  canWriteResolvConf: false,
  canWriteStateDir: false,
};

describe('CapEff', () => {
  it('parses the effective set from /proc/self/status', () => {
    const eff = parseCapEff(STATUS)!;
    expect(eff).toBe(0x3000n);
    expect(hasCapability(eff, CAP_NET_ADMIN)).toBe(true); // bit 12
    expect(hasCapability(eff, 13)).toBe(true);
    expect(hasCapability(eff, CAP_NET_BIND_SERVICE)).toBe(false); // bit 10
    expect(parseCapEff('CapEff:\t000001fffeffffff\n')).toBe(0x1fffeffffffn);
    expect(hasCapability(0x1fffeffffffn, CAP_NET_ADMIN)).toBe(true);
  });

  it('no CapEff line or a malformed one → undefined (treated as no capabilities)', () => {
    expect(parseCapEff('Name:\tnode\n')).toBeUndefined();
    expect(parseCapEff('CapEff:\tzz\n')).toBeUndefined();
    expect(parseCapEff('CapPrm:\t000001ffffffffff\n')).toBeUndefined();
  });
});

describe('privilegeProblem', () => {
  it('root with every capability and writable files: nothing missing', () => {
    expect(privilegeProblem(ROOT, NEEDS)).toBeUndefined();
  });

  it('an ordinary user: needs root, naming each missing capability and file, fix sudo', () => {
    expect(privilegeProblem(USER, NEEDS)).toEqual({
      missing: [
        'CAP_NET_ADMIN (TUN device, routes)',
        'CAP_NET_BIND_SERVICE (UDP port 500)',
        'write access to /etc/resolv.conf and /run/tsunagi',
      ],
      message:
        'tsunagi connect needs root: missing CAP_NET_ADMIN (TUN device, routes), CAP_NET_BIND_SERVICE (UDP port 500) and write access to /etc/resolv.conf and /run/tsunagi',
      fix: 'run it with sudo: sudo tsunagi connect …',
    });
  });

  it('CAP_NET_BIND_SERVICE only when port 500 is privileged in this namespace', () => {
    const p = privilegeProblem(
      { ...USER, capEff: bit(CAP_NET_ADMIN), unprivilegedPortStart: 0 },
      { ...NEEDS, dns: false },
    )!;
    expect(p.missing).toEqual(['write access to /run/tsunagi']);
    const q = privilegeProblem(
      { ...USER, capEff: bit(CAP_NET_ADMIN), unprivilegedPortStart: 500 },
      NEEDS,
    )!;
    expect(q.missing).not.toContainEqual(expect.stringContaining('CAP_NET_BIND_SERVICE'));
    const r = privilegeProblem(
      { ...USER, capEff: bit(CAP_NET_ADMIN), unprivilegedPortStart: 501 },
      NEEDS,
    )!;
    expect(r.missing).toContain('CAP_NET_BIND_SERVICE (UDP port 500)');
  });

  it('capabilities without root (ambient caps) still need the files: resolv.conf only when DNS is wanted', () => {
    const caps = { ...USER, capEff: bit(CAP_NET_ADMIN) | bit(CAP_NET_BIND_SERVICE) };
    expect(privilegeProblem(caps, NEEDS)!.message).toBe(
      'tsunagi connect needs root: missing write access to /etc/resolv.conf and /run/tsunagi',
    );
    expect(
      privilegeProblem({ ...caps, canWriteStateDir: true }, { ...NEEDS, dns: false }),
    ).toBeUndefined();
  });

  it('root without CAP_NET_ADMIN (a container): grant it, not sudo', () => {
    const p = privilegeProblem({ ...ROOT, capEff: ALL & ~bit(CAP_NET_ADMIN) }, NEEDS)!;
    expect(p.message).toBe(
      'tsunagi connect runs as root but without CAP_NET_ADMIN (TUN device, routes)',
    );
    expect(p.fix).toBe(
      'grant CAP_NET_ADMIN to where it runs (e.g. docker run --cap-add NET_ADMIN)',
    );
    const both = privilegeProblem(
      { ...ROOT, capEff: ALL & ~bit(CAP_NET_ADMIN) & ~bit(CAP_NET_BIND_SERVICE) },
      NEEDS,
    )!;
    expect(both.fix).toBe(
      'grant CAP_NET_ADMIN and CAP_NET_BIND_SERVICE to where it runs (e.g. docker run --cap-add NET_ADMIN --cap-add NET_BIND_SERVICE)',
    );
  });

  it('root with a read-only resolv.conf: names the file', () => {
    const p = privilegeProblem({ ...ROOT, canWriteResolvConf: false }, NEEDS)!;
    expect(p.message).toBe(
      'tsunagi connect runs as root but without write access to /etc/resolv.conf',
    );
    expect(p.fix).toContain('/etc/resolv.conf');
  });
});

describe.skipIf(process.getuid?.() !== 0)('readPrivilegeFacts (as root)', () => {
  it('reads this process: uid 0, CAP_NET_ADMIN effective, the files writable', async () => {
    const facts = await readPrivilegeFacts({
      ...NEEDS,
      stateDir: '/run/tsunagi-privileges-test/does/not/exist',
    });
    expect(facts.uid).toBe(0);
    expect(hasCapability(facts.capEff, CAP_NET_ADMIN)).toBe(true);
    expect(facts.unprivilegedPortStart).toBeGreaterThanOrEqual(0);
    // a folder that does not exist yet counts as writable when its nearest parent is
    expect(facts.canWriteStateDir).toBe(true);
    expect(privilegeProblem(facts, NEEDS)).toBeUndefined();
  });
});
