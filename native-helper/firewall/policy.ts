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
  /** IKE and ESP to/from these gateway addresses (none: nothing matches). */
  | { kind: 'gateway'; family: Family; addresses: string[] }
  | { kind: 'dhcp4' }
  | { kind: 'dhcp6' }
  | { kind: 'ndp' }
  | { kind: 'lan'; family: Family; cidrs: string[] }
  /** Packets leaving (output) or arriving (input) through one of these interfaces. */
  | { kind: 'interface'; names: string[] }
  /** Forwarded packets entering or leaving through one of these interfaces. */
  | { kind: 'tunnel-either-way'; names: string[] }
  /** DNS (port 53, UDP and TCP) to these servers, each through its interface. */
  | { kind: 'dns'; family: Family; via: { interface: string; server: string }[] };

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
  const gatewayIn = (family: Family): string[] =>
    gateway && familyOf(gateway.address) === family ? [gateway.address] : [];
  return [
    { verdict: 'accept', match: { kind: 'loopback' } },
    { verdict: 'accept', match: { kind: 'dhcp4' } },
    { verdict: 'accept', match: { kind: 'dhcp6' } },
    { verdict: 'accept', match: { kind: 'ndp' } },
    { verdict: 'accept', match: { kind: 'gateway', family: 'ip', addresses: gatewayIn('ip') } },
    { verdict: 'accept', match: { kind: 'gateway', family: 'ip6', addresses: gatewayIn('ip6') } },
  ];
}

function lan(allowLan: boolean): Rule[] {
  if (!allowLan) return [];
  return [
    { verdict: 'accept', match: { kind: 'lan', family: 'ip', cidrs: LAN4 } },
    { verdict: 'accept', match: { kind: 'lan', family: 'ip6', cidrs: LAN6 } },
  ];
}

/**
 * Blocked and connected have the same rules; what differs is what they match: the gateway, the
 * TUN, the tunnel's DNS servers (none while blocked). So a backend can keep the rules in the
 * kernel and change only those lists (nftables sets) on the way to connected, which needs no
 * RCU grace period; replacing rules does (8–16 ms on every connect).
 *
 * - output: loopback, DHCP, ND, IKE/ESP to the gateway; DNS only to the tunnel's servers through
 *   the TUN, any other DNS dropped (before the LAN accepts: no names leak to a LAN resolver); then
 *   everything through the TUN; the LAN when allowed.
 * - input: replies (established), the same essentials, the TUN, the LAN when allowed.
 * - forward: the same DNS rules, the TUN both ways, the LAN when allowed.
 */
function filter(
  gateway: Gateway | undefined,
  tunnel: { tun: string; dns: string[] } | undefined,
  allowLan: boolean,
): RulePlan {
  const tuns = tunnel ? [tunnel.tun] : [];
  const dns = (family: Family): Rule => ({
    verdict: 'accept',
    match: {
      kind: 'dns',
      family,
      via: (tunnel?.dns ?? [])
        .filter((a) => familyOf(a) === family)
        .map((server) => ({ interface: tunnel!.tun, server })),
    },
  });
  const dnsRules: Rule[] = [dns('ip'), dns('ip6'), { verdict: 'drop', match: { kind: 'any-dns' } }];
  return {
    kind: 'filter',
    output: [
      ...base(gateway),
      ...dnsRules,
      { verdict: 'accept', match: { kind: 'interface', names: tuns } },
      ...lan(allowLan),
    ],
    input: [
      { verdict: 'accept', match: { kind: 'established' } },
      ...base(gateway),
      { verdict: 'accept', match: { kind: 'interface', names: tuns } },
      ...lan(allowLan),
    ],
    forward: [
      ...dnsRules,
      { verdict: 'accept', match: { kind: 'tunnel-either-way', names: tuns } },
      ...lan(allowLan),
    ],
  };
}

export function planFirewall(policy: FirewallPolicy): RulePlan {
  switch (policy.kind) {
    case 'allow-all':
      return { kind: 'none' };
    case 'blocked':
      return filter(policy.gateway, undefined, policy.allowLan);
    case 'connected':
      return filter(policy.gateway, { tun: policy.tun, dns: policy.dns }, policy.allowLan);
  }
}
