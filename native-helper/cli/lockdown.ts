/** `tsunagi lockdown on|off`: block everything outside the tunnel, even when disconnected. */
import type { CliIo } from './main.js';
import { setSwitch } from './killswitch.js';

export const LOCKDOWN_USAGE = `tsunagi lockdown on|off
  On: block all traffic outside the tunnel even when disconnected (survives helper restarts).`;

export const lockdownCommand = (args: readonly string[], io: CliIo): Promise<number> =>
  setSwitch('lockdown', 'lockdown', LOCKDOWN_USAGE, args, io);
