/** `tsunagi status [--json]`: the helper's tunnel state, settings and counters. */
import type { CliIo } from './main.js';
import { describeState, withHelper } from './helper-client.js';

export const STATUS_USAGE = `tsunagi status [--json]
  Shows the helper's tunnel state, kill switch settings and traffic counters.`;

export async function statusCommand(args: readonly string[], io: CliIo): Promise<number> {
  const json = args.includes('--json');
  if (args.some((a) => a !== '--json')) {
    io.err(`usage: ${STATUS_USAGE}\n`);
    return 2;
  }
  return withHelper('status', io, async (client) => {
    const r = await client.request({ method: 'status' });
    if (r.kind !== 'status') throw new Error(`unexpected answer ${r.kind}`);
    const s = r.status;
    if (json) {
      io.out(`${JSON.stringify(s)}\n`);
      return 0;
    }
    io.out(`${describeState(s.state)}\n`);
    io.out(
      `kill switch: ${s.settings.killSwitch ? 'on' : 'off'}  lockdown: ${s.settings.lockdown ? 'on' : 'off'}  allow LAN: ${s.settings.allowLan ? 'on' : 'off'}\n`,
    );
    if (s.state.state === 'connected')
      io.out(
        `traffic: in ${s.stats.bytesIn} B (${s.stats.packetsIn} packets), out ${s.stats.bytesOut} B (${s.stats.packetsOut} packets)\n`,
      );
    io.out(`helper ${s.helper}, protocol ${s.protocolVersion}\n`);
    return 0;
  });
}
