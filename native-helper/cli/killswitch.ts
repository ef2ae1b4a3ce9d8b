/** `tsunagi killswitch on|off`: block traffic outside the tunnel while it is not up. */
import type { Settings } from '../ipc/protocol.js';
import type { CliIo } from './main.js';
import { withHelper } from './helper-client.js';

export const KILLSWITCH_USAGE = `tsunagi killswitch on|off
  On: while connecting, reconnecting or in error only IKE/ESP to the gateway may leave.`;

export async function setSwitch(
  command: string,
  key: keyof Settings,
  usage: string,
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  const value = args[0];
  if (args.length !== 1 || (value !== 'on' && value !== 'off')) {
    io.err(`usage: ${usage}\n`);
    return 2;
  }
  return withHelper(command, io, async (client) => {
    const r = await client.request({ method: 'set-settings', settings: { [key]: value === 'on' } });
    if (r.kind !== 'settings') throw new Error(`unexpected answer ${r.kind}`);
    io.out(`${command} ${r.settings[key] ? 'on' : 'off'}\n`);
    return 0;
  });
}

export const killswitchCommand = (args: readonly string[], io: CliIo): Promise<number> =>
  setSwitch('killswitch', 'killSwitch', KILLSWITCH_USAGE, args, io);
