// Trusted networks (features.md A5): a PURE function from the current network, the user's rules
// and the tunnel's state to the commands the app should send. Tunnel states never look at SSIDs
// (ARCHITECTURE.md); this is the only place that does.

import type { TunnelStateName } from '../../shared/ipc-schema.js';
import { normalizeMac, type NetworkInfo } from './network-info.js';

export interface TrustedWifi {
  readonly ssid: string;
  /** When non-empty, only these access points count (an evil twin with the same SSID does not). */
  readonly bssids?: readonly string[];
}

/** A wired network, recognised by its gateway's MAC and/or its DNS suffix (all given must match). */
export interface TrustedWired {
  readonly gatewayMac?: string;
  readonly dnsSuffix?: string;
}

export interface TrustRules {
  /** Off: the agent never acts. */
  readonly enabled: boolean;
  readonly trustedWifi: readonly TrustedWifi[];
  readonly trustedWired: readonly TrustedWired[];
  /** On a trusted network: disconnect the tunnel, or leave it as it is. */
  readonly onTrusted: 'disconnect' | 'nothing';
  /** On any other network: connect `profileId`, or leave it as it is. */
  readonly onUntrusted: 'connect' | 'nothing';
  /** Open Wi-Fi is never trusted and always connects, whatever the rules above say. */
  readonly alwaysConnectOnOpenWifi: boolean;
  /** The profile auto-connect uses; without one the agent can only keep the kill switch on. */
  readonly profileId?: string;
  /** Keep the kill switch on while on a network that is not trusted, whatever the user's setting. */
  readonly killSwitchOnUntrusted: boolean;
}

export interface CurrentTunnel {
  readonly state: TunnelStateName;
  readonly profileId?: string;
}

export type TrustVerdict = 'trusted' | 'untrusted' | 'open-wifi' | 'no-network';

export type TunnelCommand =
  | { readonly command: 'connect'; readonly profileId: string; readonly reason: string }
  | { readonly command: 'disconnect'; readonly reason: string }
  /**
   * Keep the helper's kill switch on (`on`), even if the user's setting is off, or give the
   * user's setting back (`!on`, on a trusted network).
   */
  | { readonly command: 'kill-switch'; readonly on: boolean; readonly reason: string };

export function classifyNetwork(network: NetworkInfo, rules: TrustRules): TrustVerdict {
  if (network.type === 'none') return 'no-network';
  if (network.type === 'wifi' && network.open === true && rules.alwaysConnectOnOpenWifi) {
    return 'open-wifi';
  }
  if (network.type === 'wifi') {
    const { ssid, bssid } = network;
    if (ssid === undefined) return 'untrusted';
    const trusted = rules.trustedWifi.some((rule) => {
      if (rule.ssid !== ssid) return false;
      const pinned = (rule.bssids ?? []).map(normalizeMac).filter((m) => m !== undefined);
      if (pinned.length === 0) return true;
      return bssid !== undefined && pinned.includes(bssid);
    });
    return trusted ? 'trusted' : 'untrusted';
  }
  if (network.type === 'ethernet') {
    const mac = network.gatewayMac;
    const suffix = network.dnsSuffix?.toLowerCase();
    const trusted = rules.trustedWired.some((rule) => {
      const wantMac = rule.gatewayMac === undefined ? undefined : normalizeMac(rule.gatewayMac);
      const wantSuffix = rule.dnsSuffix?.trim().toLowerCase().replace(/\.$/, '');
      // A rule with nothing to match on trusts nothing.
      if (!wantMac && !wantSuffix) return false;
      if (wantMac && wantMac !== mac) return false;
      if (wantSuffix && wantSuffix !== suffix) return false;
      return true;
    });
    return trusted ? 'trusted' : 'untrusted';
  }
  return 'untrusted';
}

const TUNNEL_UP: readonly TunnelStateName[] = ['connecting', 'connected', 'reconnecting'];

export function decideNetworkAction(
  network: NetworkInfo,
  rules: TrustRules,
  current: CurrentTunnel,
): TunnelCommand[] {
  if (!rules.enabled) return [];
  const verdict = classifyNetwork(network, rules);
  const up = TUNNEL_UP.includes(current.state);

  switch (verdict) {
    case 'no-network':
      // Nothing to connect over, and no network to judge: the kill switch stays as it is (a
      // short outage between two untrusted networks must not open it).
      return [];
    case 'trusted': {
      const why = `Trusted network ${describeNetwork(network)}`;
      const give: TunnelCommand[] = rules.killSwitchOnUntrusted
        ? [{ command: 'kill-switch', on: false, reason: why }]
        : [];
      if (rules.onTrusted === 'disconnect' && up) {
        return [...give, { command: 'disconnect', reason: why }];
      }
      return give;
    }
    case 'open-wifi':
    case 'untrusted': {
      const why =
        verdict === 'open-wifi'
          ? `Open Wi-Fi ${describeNetwork(network)}`
          : `Untrusted network ${describeNetwork(network)}`;
      const wantsConnect = verdict === 'open-wifi' || rules.onUntrusted === 'connect';
      // First the block, then the tunnel: nothing leaks while it connects or if it fails.
      const block: TunnelCommand[] = rules.killSwitchOnUntrusted
        ? [{ command: 'kill-switch', on: true, reason: why }]
        : [];
      // Already up (whatever profile the user chose): never fight the user's own connection.
      if (up) return block;
      if (!wantsConnect) return block;
      if (rules.profileId === undefined) return block;
      return [...block, { command: 'connect', profileId: rules.profileId, reason: why }];
    }
  }
}

export function describeNetwork(network: NetworkInfo): string {
  if (network.type === 'none') return '(none)';
  if (network.type === 'wifi') return network.ssid ? `"${network.ssid}"` : '(hidden Wi-Fi)';
  if (network.type === 'ethernet') {
    return network.dnsSuffix ? `(wired, ${network.dnsSuffix})` : '(wired)';
  }
  return `(${network.interface})`;
}
