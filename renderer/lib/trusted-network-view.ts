// How trusted-network rules read in Settings, and the checks on a wired rule typed by hand (main
// checks again with the settings schema). Pure, so the wording is tested without a DOM.

import type { TrustedWifi, TrustedWired } from '../../electron/shared/ipc-schema';

/** "Wi-Fi “Office”", and what it matches: any access point, or the pinned ones. */
export function describeWifiRule(rule: TrustedWifi): { title: string; matches: string } {
  const pinned = rule.bssids ?? [];
  return {
    title: `Wi-Fi “${rule.ssid}”`,
    matches:
      pinned.length === 0
        ? 'any access point with this name'
        : `only access point${pinned.length > 1 ? 's' : ''} ${pinned.join(', ')}`,
  };
}

/** "Wired network", and what it matches: the gateway's MAC and/or the DNS suffix. */
export function describeWiredRule(rule: TrustedWired): { title: string; matches: string } {
  const parts = [
    rule.gatewayMac !== undefined ? `gateway MAC ${rule.gatewayMac.toLowerCase()}` : undefined,
    rule.dnsSuffix !== undefined ? `DNS suffix ${rule.dnsSuffix}` : undefined,
  ].filter((p) => p !== undefined);
  return { title: 'Wired network', matches: parts.join(' and ') };
}

const MAC = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;
const DOMAIN =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** A wired rule from the two fields of the form, or what is wrong with them (per field). */
export function wiredRuleFromInput(
  gatewayMac: string,
  dnsSuffix: string,
):
  | { readonly ok: true; readonly rule: TrustedWired }
  | { readonly ok: false; readonly field: 'gatewayMac' | 'dnsSuffix'; readonly message: string } {
  const mac = gatewayMac.trim();
  const suffix = dnsSuffix.trim().replace(/\.$/, '').toLowerCase();
  if (mac === '' && suffix === '')
    return {
      ok: false,
      field: 'gatewayMac',
      message: 'Give the gateway’s MAC address, the DNS suffix, or both',
    };
  if (mac !== '' && !MAC.test(mac))
    return {
      ok: false,
      field: 'gatewayMac',
      message: 'A MAC address looks like 00:11:22:33:44:55',
    };
  if (suffix !== '' && !DOMAIN.test(suffix))
    return { ok: false, field: 'dnsSuffix', message: 'A DNS suffix looks like corp.example.com' };
  return {
    ok: true,
    rule: {
      ...(mac !== '' ? { gatewayMac: mac.toLowerCase().replace(/-/g, ':') } : {}),
      ...(suffix !== '' ? { dnsSuffix: suffix } : {}),
    },
  };
}
