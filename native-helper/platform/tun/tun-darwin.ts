// TunDevice on macOS: not yet (utun through a PF_SYSTEM control socket is the way when it comes).
import { TunError } from './tun-device.js';
import type { TunDevice, TunDeviceOptions } from './tun-device.js';

export function createDarwinTunDevice(_options: TunDeviceOptions): Promise<TunDevice> {
  return Promise.reject(
    new TunError('not-supported', 'TUN devices are not supported on this platform yet (darwin)'),
  );
}
