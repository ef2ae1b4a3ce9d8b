// The TUN device for the platform we run on, chosen once. Importing this never loads the addon:
// that happens on the first createTunDevice() on Linux.
import { createDarwinTunDevice } from './tun-darwin.js';
import { createLinuxTunDevice } from './tun-linux.js';
import { TunError } from './tun-device.js';
import type { TunDevice, TunDeviceOptions } from './tun-device.js';
import { createWin32TunDevice } from './tun-win32.js';

export type {
  TunDevice,
  TunDeviceOptions,
  TunErrorCode,
  TunPacketHandler,
  TunStats,
} from './tun-device.js';
export { TunError } from './tun-device.js';

export type CreateTunDevice = (options: TunDeviceOptions) => Promise<TunDevice>;

const FACTORIES: Partial<Record<NodeJS.Platform, CreateTunDevice>> = {
  linux: (options) => createLinuxTunDevice(options),
  darwin: createDarwinTunDevice,
  win32: createWin32TunDevice,
};

export function tunFactoryFor(platform: NodeJS.Platform): CreateTunDevice {
  return (
    FACTORIES[platform] ??
    (() =>
      Promise.reject(
        new TunError(
          'not-supported',
          `TUN devices are not supported on this platform yet (${platform})`,
        ),
      ))
  );
}

/** Opens a TUN device with its MTU and addresses and the link up; close() is its disposer. */
export const createTunDevice: CreateTunDevice = tunFactoryFor(process.platform);
