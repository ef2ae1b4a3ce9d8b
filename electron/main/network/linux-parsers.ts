// Parsers for the Linux tools the trust agent reads. Pure: text in, values out. The fixtures in
// test/unit/electron/main/network/fixtures follow each tool's output format as its source prints
// it (their README says where each format comes from; none is a capture from this machine).
//
// nmcli, from NetworkManager's clients/cli/utils.c: tabular terse output (`device status`,
// `device wifi list`) separates fields with ':' and escapes ':' and '\' inside a value with '\';
// multiline output (`device show`, multiline by default) prints `FIELD:value` with the value raw,
// multi-valued fields numbered `FIELD[1]:`. Terse output prints an empty value as "", the other
// modes as "--".
//
// iw, from iw's util.c print_ssid_escaped(): SSID bytes are printed as they are when printable,
// except '\' and a space at either end, which (like every other byte) become \xNN.

import { normalizeMac } from './network-info.js';

/**
 * Splits one line of `nmcli -t` (terse) output into fields. In terse mode nmcli separates fields
 * with ':' and escapes a ':' inside a value as '\:' and a '\' as '\\' (nmcli(1), --escape yes).
 */
export function splitNmcliTerse(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      current += line[i + 1];
      i++;
    } else if (c === ':') {
      fields.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  fields.push(current);
  return fields;
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l !== '');
}

export interface NmcliDevice {
  readonly device: string;
  readonly type: string;
  readonly state: string;
  readonly connection: string;
}

/** `nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device status` */
export function parseNmcliDeviceStatus(text: string): NmcliDevice[] {
  return lines(text).flatMap((line) => {
    const [device, type, state, connection] = splitNmcliTerse(line);
    if (device === undefined || type === undefined || state === undefined) return [];
    return [{ device, type, state, connection: connection ?? '' }];
  });
}

export interface NmcliWifiAp {
  readonly active: boolean;
  /** undefined for a hidden network (nmcli prints an empty SSID in terse mode). */
  readonly ssid: string | undefined;
  readonly bssid: string | undefined;
  /** nmcli's SECURITY column: "" or "--" for an open network, e.g. "WPA2", "WPA1 WPA2", "WPA3". */
  readonly security: string;
  readonly open: boolean;
}

/** `nmcli -t -f ACTIVE,SSID,BSSID,SECURITY device wifi list ifname <dev> --rescan no` */
export function parseNmcliWifiList(text: string): NmcliWifiAp[] {
  return lines(text).flatMap((line) => {
    const fields = splitNmcliTerse(line);
    if (fields.length < 4) return [];
    const [active, ssid, bssid, security] = fields as [string, string, string, string];
    const sec = security.trim();
    return [
      {
        active: active === 'yes',
        ssid: ssid === '' || ssid === '--' ? undefined : ssid,
        bssid: normalizeMac(bssid),
        security: sec,
        open: sec === '' || sec === '--',
      },
    ];
  });
}

export interface NmcliDeviceDetails {
  readonly type?: string;
  readonly gateway?: string;
  readonly domains: string[];
}

/**
 * `nmcli -t -f GENERAL.TYPE,IP4.GATEWAY,IP4.DOMAIN,IP6.GATEWAY,IP6.DOMAIN device show <dev>`:
 * one `FIELD:value` per line, multi-valued fields numbered (`IP4.DOMAIN[1]:corp.example.com`).
 * Multiline output is not escaped: the value is everything after the first ':' (an IPv6
 * gateway keeps its colons).
 */
export function parseNmcliDeviceShow(text: string): NmcliDeviceDetails {
  let type: string | undefined;
  let gateway: string | undefined;
  const domains: string[] = [];
  for (const line of lines(text)) {
    const at = line.indexOf(':');
    if (at < 0) continue;
    const key = line.slice(0, at);
    const value = line.slice(at + 1).trim();
    if (value === '' || value === '--') continue;
    const field = key.replace(/\[\d+\]$/, '');
    if (field === 'GENERAL.TYPE') type = value;
    else if (field === 'IP4.GATEWAY') gateway ??= value;
    else if (field === 'IP6.GATEWAY') gateway ??= value;
    else if (field === 'IP4.DOMAIN' || field === 'IP6.DOMAIN') {
      const domain = value.toLowerCase();
      if (!domains.includes(domain)) domains.push(domain);
    }
  }
  return { ...(type !== undefined ? { type } : {}), ...(gateway ? { gateway } : {}), domains };
}

export type IwLink =
  | { readonly connected: false }
  | {
      readonly connected: true;
      readonly bssid: string | undefined;
      /** undefined when iw prints an empty SSID (hidden network not yet named). */
      readonly ssid: string | undefined;
    };

/**
 * `iw dev <dev> link`:
 *   Connected to 3c:37:86:5a:01:b2 (on wlan0)
 *   \tSSID: Home Network
 *   \tfreq: 5180
 * or "Not connected.". The SSID's \xNN escapes are decoded (decodeIwSsid).
 */
export function parseIwLink(text: string): IwLink {
  const head = /^Connected to ([0-9a-fA-F:]{17})/m.exec(text);
  if (!head) return { connected: false };
  const ssidLine = /^\s*SSID: ?(.*)$/m.exec(text);
  const raw = ssidLine?.[1] ?? '';
  const ssid = decodeIwSsid(raw);
  return { connected: true, bssid: normalizeMac(head[1]!), ssid: ssid === '' ? undefined : ssid };
}

/**
 * The SSID iw printed, as NetworkManager would name it (nm_utils_ssid_to_utf8), so a network
 * reads the same through nmcli and through iw: \xNN escapes back to bytes; UTF-8 when the bytes
 * are UTF-8, else ISO-8859-1 (NetworkManager's fallback when the locale names no other). An
 * SSID of NUL bytes only is a hidden network that kept the name's length: no name.
 */
export function decodeIwSsid(raw: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const hex = /^\\x([0-9a-fA-F]{2})/.exec(raw.slice(i, i + 4));
    if (hex) {
      bytes.push(parseInt(hex[1]!, 16));
      i += 3;
    } else {
      bytes.push(...Buffer.from(raw[i]!, 'utf8'));
    }
  }
  if (bytes.length > 0 && bytes.every((b) => b === 0)) return '';
  const buffer = Buffer.from(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    return buffer.toString('latin1');
  }
}

/**
 * `iw dev <dev> scan dump` (the kernel's cached scan, no new scan, no privileges): whether the
 * BSS `bssid` is open, i.e. its capability has no Privacy bit and it announces neither RSN nor
 * WPA. undefined when the dump does not list it.
 *   BSS 3c:37:86:5a:01:b2(on wlan0) -- associated
 *   \tcapability: ESS Privacy ShortSlotTime (0x0411)
 *   \tRSN:\t * Version: 1
 */
export function parseIwScanOpen(text: string, bssid: string): boolean | undefined {
  const want = normalizeMac(bssid);
  if (!want) return undefined;
  const blocks = text.split(/^(?=BSS )/m);
  for (const block of blocks) {
    const head = /^BSS ([0-9a-fA-F:]{17})/.exec(block);
    if (!head || normalizeMac(head[1]!) !== want) continue;
    const capability = /^\s*capability:(.*)$/m.exec(block)?.[1];
    if (capability === undefined) return undefined;
    const privacy = /\bPrivacy\b/.test(capability);
    const rsnOrWpa = /^\s*(RSN|WPA):/m.test(block);
    return !privacy && !rsnOrWpa;
  }
  return undefined;
}

/** `ip route show default`: `default via 192.168.1.1 dev wlan0 proto dhcp metric 600` (lowest metric first). */
export function parseIpRouteDefault(
  text: string,
): { readonly gateway?: string; readonly device: string } | undefined {
  const routes = lines(text).flatMap((line) => {
    const device = /\bdev (\S+)/.exec(line)?.[1];
    if (!line.startsWith('default') || !device) return [];
    const gateway = /\bvia (\S+)/.exec(line)?.[1];
    const metric = Number(/\bmetric (\d+)/.exec(line)?.[1] ?? 0);
    return [{ device, metric, ...(gateway ? { gateway } : {}) }];
  });
  routes.sort((a, b) => a.metric - b.metric);
  const best = routes[0];
  if (!best) return undefined;
  return { device: best.device, ...(best.gateway ? { gateway: best.gateway } : {}) };
}

/** `ip neigh show <ip> dev <dev>`: `192.168.1.1 lladdr aa:bb:cc:dd:ee:ff REACHABLE`. */
export function parseIpNeigh(text: string, ip: string): string | undefined {
  for (const line of lines(text)) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== ip) continue;
    const at = fields.indexOf('lladdr');
    if (at >= 0 && fields[at + 1]) return normalizeMac(fields[at + 1]!);
  }
  return undefined;
}

/** The search domain from resolv.conf text (`search a b` or `domain a`): the first one. */
export function parseResolvConfSuffix(text: string): string | undefined {
  let found: string | undefined;
  for (const line of lines(text)) {
    const match = /^\s*(search|domain)\s+(\S+)/.exec(line);
    // The last search/domain line wins (resolv.conf(5)).
    if (match) found = match[2]!.toLowerCase().replace(/\.$/, '');
  }
  return found;
}
