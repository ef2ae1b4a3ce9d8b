/** `tsunagi down`: asks the helper to disconnect and waits until it has. */
import type { CliIo } from './main.js';
import { describeState, waitForState, withHelper } from './helper-client.js';

export const DOWN_USAGE = `tsunagi down
  Disconnects the helper's tunnel (deletes the SAs, restores routes and DNS).`;

export async function downCommand(args: readonly string[], io: CliIo): Promise<number> {
  if (args.length) {
    io.err(`usage: ${DOWN_USAGE}\n`);
    return 2;
  }
  return withHelper('down', io, async (client) => {
    const done = waitForState(client, ['disconnected'], (s) => io.out(`${describeState(s)}\n`));
    await client.request({ method: 'subscribe', topics: ['state'] });
    await client.request({ method: 'disconnect' });
    await done;
    return 0;
  });
}
