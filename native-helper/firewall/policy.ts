/**
 * Firewall policies and the pure function that turns one into an abstract rule plan. The
 * tunnel states choose a policy; backends (nftables now) only translate the plan, so what may
 * leave the machine in each state is decided and tested here.
 *
 * A plan lists accept rules per chain in order; anything they do not accept is dropped (the
 * chains' policy). `none` means the helper's table is removed: no filtering by Tsunagi.
 */

export interface Gateway {
  /** IPv4 or IPv6 address of the VPN gateway. */
  address: string;
}

export type FirewallPolicy =
  /** Tsunagi does not filter (kill switch off, or disconnected without lockdown). */
  | { kind: 'allow-all' }
  /** Block everything but IKE/ESP to the gateway (when known), DHCP, ND, loopback, LAN opt. */
  | { kind: 'blocked'; gateway?: Gateway; allowLan: boolean }
  /** Everything through the TUN; DNS only to the tunnel's servers; IKE/ESP to the gateway. */
  | { kind: 'connected'; gateway: Gateway; tun: string; dns: string[]; allowLan: boolean };

export type Family = 'ip' | 'ip6';

export type Match =
  | { kind: 'loopback' }
  | { kind: 'established' }
  | { kind: 'gateway'; family: Family; address: string }
  | { kind: 'dhcp4' }
  | { kind: 'dhcp6' }
  | { kind: 'ndp' }
  | { kind: 'lan'; family: Family; cidrs: string[] }
  | { kind: 'interface'; name: string }
  /** Forwarded packets entering or leaving through this interface. */
  | { kind: 'tunnel-either-way'; name: string }
  | { kind: 'dns'; interface: string; family: Family; servers: string[] };

export type Rule =
  | { verdict: 'accept'; match: Match }
  /** Drops DNS (port 53) that an earlier rule did not accept (before a broader accept). */
  | { verdict: 'drop'; match: { kind: 'any-dns' } };

/**
 * `forward` covers traffic this machine routes for others (containers, VMs, a shared
 * connection): it may only go into and come out of the TUN (or to the LAN when allowed), so
 * nothing behind the machine bypasses the kill switch. No `established` accept there: a flow
 * forwarded out the physical interface before the block must not keep going.
 */
export type RulePlan =
  { kind: 'none' } | { kind: 'filter'; output: Rule[]; input: Rule[]; forward: Rule[] };

/** Private, link-local and multicast-for-discovery ranges (what "allow LAN" opens). */
export const LAN4 = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '169.254.0.0/16',
  '224.0.0.0/24',
  '239.255.255.250/32',
];
export const LAN6 = ['fe80::/10', 'fc00::/7', 'ff02::/16'];

export const familyOf = (address: string): Family => (address.includes(':') ? 'ip6' : 'ip');

function base(gateway: Gateway | undefined): Rule[] {
  const rules: Rule[] = [
    { verdict: 'accept', match: { kind: 'loopback' } },
    { verdict: 'accept', match: { kind: 'dhcp4' } },
    { verdict: 'accept', match: { kind: 'dhcp6' } },
    { verdict: 'accept', match: { kind: 'ndp' } },
  ];
  if (gateway)
    rules.push({
      verdict: 'accept',
      match: { kind: 'gateway', family: familyOf(gateway.address), address: gateway.address },
    });
  return rules;
}

function lan(allowLan: boolean): Rule[] {
  if (!allowLan) return [];
  return [
    { verdict: 'accept', match: { kind: 'lan', family: 'ip', cidrs: LAN4 } },
    { verdict: 'accept', match: { kind: 'lan', family: 'ip6', cidrs: LAN6 } },
  ];
}

export function planFirewall(policy: FirewallPolicy): RulePlan {
  switch (policy.kind) {
    case 'allow-all':
      return { kind: 'none' };
    case 'blocked': {
      const output = [...base(policy.gateway), ...lanAfterDnsDrop(policy.allowLan)];
      const input = [{ verdict: 'accept', match: { kind: 'established' } } as Rule, ...output];
      return { kind: 'filter', output, input, forward: lanAfterDnsDrop(policy.allowLan) };
    }
    case 'connected': {
      const dns4 = policy.dns.filter((a) => familyOf(a) === 'ip');
      const dns6 = policy.dns.filter((a) => familyOf(a) === 'ip6');
      const output: Rule[] = [...base(policy.gateway)];
      if (dns4.length)
        output.push({
          verdict: 'accept',
          match: { kind: 'dns', interface: policy.tun, family: 'ip', servers: dns4 },
        });
      if (dns6.length)
        output.push({
          verdict: 'accept',
          match: { kind: 'dns', interface: policy.tun, family: 'ip6', servers: dns6 },
        });
      output.push({ verdict: 'drop', match: { kind: 'any-dns' } });
      output.push({ verdict: 'accept', match: { kind: 'interface', name: policy.tun } });
      output.push(...lan(policy.allowLan));
      const input: Rule[] = [
        { verdict: 'accept', match: { kind: 'established' } },
        ...base(policy.gateway),
        { verdict: 'accept', match: { kind: 'interface', name: policy.tun } },
        ...lan(policy.allowLan),
      ];
      // Forwarded traffic: through the TUN only (DNS only to the tunnel's servers, as ours).
      const forward: Rule[] = [
        ...output.filter((r) => r.match.kind === 'dns' || r.verdict === 'drop'),
        { verdict: 'accept', match: { kind: 'tunnel-either-way', name: policy.tun } },
        ...lan(policy.allowLan),
      ];
      return { kind: 'filter', output, input, forward };
    }
  }
}

/** While blocked, DNS to a LAN resolver would leak names: drop port 53 before LAN accepts. */
function lanAfterDnsDrop(allowLan: boolean): Rule[] {
  return allowLan ? [{ verdict: 'drop', match: { kind: 'any-dns' } }, ...lan(allowLan)] : [];
}
