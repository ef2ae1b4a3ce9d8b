// TunDevice on Windows: not yet (Wintun is the way when it comes).
import { TunError } from './tun-device.js';
import type { TunDevice, TunDeviceOptions } from './tun-device.js';

export function createWin32TunDevice(_options: TunDeviceOptions): Promise<TunDevice> {
  return Promise.reject(
    new TunError('not-supported', 'TUN devices are not supported on this platform yet (win32)'),
  );
}
