// What the trust agent knows about the network the machine is on. Produced by the platform
// detectors (detect-*.ts), consumed by the pure decideNetworkAction (trust-rules.ts).

export type InterfaceType = 'wifi' | 'ethernet' | 'other';

export type NetworkInfo =
  /** No usable network (no default route, nothing connected). */
  | { readonly type: 'none' }
  | {
      readonly type: InterfaceType;
      /** The interface carrying the default route, e.g. wlp2s0. */
      readonly interface: string;
      /** Wi-Fi only; undefined for a hidden SSID the system could not name. */
      readonly ssid?: string;
      /** Wi-Fi only: the access point's MAC, lowercase aa:bb:cc:dd:ee:ff. */
      readonly bssid?: string;
      /** Wi-Fi only: true for a network without encryption; undefined when not known. */
      readonly open?: boolean;
      readonly gatewayIp?: string;
      /** The default gateway's MAC from the neighbour table, lowercase. */
      readonly gatewayMac?: string;
      /** The DNS search domain the network handed out (DHCP option 15/119), lowercase. */
      readonly dnsSuffix?: string;
    };

/** One string per distinct network, to tell "the same network again" from a change. */
export function networkKey(network: NetworkInfo): string {
  if (network.type === 'none') return 'none';
  return [
    network.type,
    network.interface,
    network.ssid ?? '',
    network.bssid ?? '',
    network.open === undefined ? '' : String(network.open),
    network.gatewayMac ?? '',
    network.dnsSuffix ?? '',
  ].join('|');
}

export function normalizeMac(mac: string): string | undefined {
  const lower = mac.trim().toLowerCase();
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(lower) ? lower : undefined;
}
