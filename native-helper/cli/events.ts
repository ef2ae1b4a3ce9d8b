/** `tsunagi events [--json]`: streams the helper's state, statistics, settings and log events. */
import type { CliIo } from './main.js';
import { describeEvent, describeState, withHelper } from './helper-client.js';

export const EVENTS_USAGE = `tsunagi events [--json]
  Streams the helper's events (state, statistics, settings, log) until Ctrl-C.`;

export async function eventsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const json = args.includes('--json');
  if (args.some((a) => a !== '--json')) {
    io.err(`usage: ${EVENTS_USAGE}\n`);
    return 2;
  }
  return withHelper('events', io, async (client) => {
    client.onEvent((e) => io.out(json ? `${JSON.stringify(e)}\n` : `${describeEvent(e)}\n`));
    const closed = new Promise<number>((resolve) => {
      const stop = () => resolve(0);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      client.onClose(() => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve(1);
      });
    });
    const r = await client.request({ method: 'subscribe' });
    if (r.kind === 'subscribed')
      io.out(
        json
          ? `${JSON.stringify({ type: 'snapshot', status: r.status })}\n`
          : `${describeState(r.status.state)}\n`,
      );
    return closed;
  });
}
