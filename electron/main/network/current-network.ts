// What the Settings view shows about the current network, and the rule "Trust this network" adds.

import type {
  CurrentNetwork,
  TrustedNetworkSettings,
  TrustedWifi,
  TrustedWired,
} from '../../shared/ipc-schema.js';
import type { NetworkInfo } from './network-info.js';
import { classifyNetwork, describeNetwork, type TrustRules } from './trust-rules.js';

export function rulesFromSettings(
  trusted: TrustedNetworkSettings,
  extra: { profileId: string | null },
): TrustRules {
  return {
    enabled: trusted.enabled,
    trustedWifi: trusted.wifi,
    trustedWired: trusted.wired,
    onTrusted: trusted.onTrusted,
    onUntrusted: trusted.onUntrusted,
    alwaysConnectOnOpenWifi: trusted.alwaysConnectOnOpenWifi,
    killSwitchOnUntrusted: trusted.killSwitchOnUntrusted ?? false,
    ...(extra.profileId !== null ? { profileId: extra.profileId } : {}),
  };
}

export function describeCurrentNetwork(
  network: NetworkInfo,
  trusted: TrustedNetworkSettings,
): CurrentNetwork {
  const rules = rulesFromSettings({ ...trusted, enabled: true }, { profileId: null });
  const isTrusted = classifyNetwork(network, rules) === 'trusted';
  const label =
    network.type === 'none'
      ? 'No network'
      : describeNetwork(network)
          .replace(/^\((.*)\)$/, '$1')
          .replace(/^"(.*)"$/, 'Wi-Fi “$1”');
  if (network.type === 'none') {
    return {
      detected: true,
      type: 'none',
      label,
      trusted: false,
      untrustableReason: 'Not connected to a network',
    };
  }
  if (network.type === 'wifi') {
    if (network.ssid === undefined) {
      return {
        detected: true,
        type: 'wifi',
        label,
        trusted: false,
        untrustableReason: 'A hidden Wi-Fi network cannot be trusted by name',
      };
    }
    if (network.open === true) {
      return {
        detected: true,
        type: 'wifi',
        label,
        trusted: false,
        untrustableReason: 'Open Wi-Fi is never trusted: anyone can use its name',
      };
    }
    const rule: TrustedWifi = { ssid: network.ssid };
    return {
      detected: true,
      type: 'wifi',
      label,
      ...(network.bssid !== undefined ? { bssid: network.bssid } : {}),
      trusted: isTrusted,
      trustable: { kind: 'wifi', rule },
    };
  }
  if (network.type === 'ethernet' && (network.gatewayMac || network.dnsSuffix)) {
    const rule: TrustedWired = network.gatewayMac
      ? { gatewayMac: network.gatewayMac }
      : { dnsSuffix: network.dnsSuffix! };
    return {
      detected: true,
      type: 'ethernet',
      label,
      trusted: isTrusted,
      trustable: { kind: 'wired', rule },
    };
  }
  return {
    detected: true,
    type: network.type,
    label,
    trusted: false,
    untrustableReason: 'This network has no gateway MAC or DNS suffix to recognise it by',
  };
}

/**
 * The trusted-network settings with the current network added (unchanged when already there).
 * `pinBssid`: a Wi-Fi network is trusted only through its current access point (added to a rule
 * of that SSID that is already pinned); otherwise any access point of that name is, and the
 * name's pinned rules are folded into that one.
 */
export function trustNetwork(
  trusted: TrustedNetworkSettings,
  current: CurrentNetwork,
  options: { readonly pinBssid?: boolean } = {},
): TrustedNetworkSettings {
  if (!current.detected || !current.trustable || current.trusted) return trusted;
  const t = current.trustable;
  if (t.kind === 'wired') return { ...trusted, wired: [...trusted.wired, t.rule] };
  const ssid = t.rule.ssid;
  const others = trusted.wifi.filter((r) => r.ssid !== ssid);
  if (!options.pinBssid || current.bssid === undefined) {
    return { ...trusted, wifi: [...others, { ssid }] };
  }
  const pinned = trusted.wifi.find((r) => r.ssid === ssid && (r.bssids?.length ?? 0) > 0);
  const bssids = [...(pinned?.bssids ?? []), current.bssid];
  return { ...trusted, wifi: [...others, { ssid, bssids }] };
}
