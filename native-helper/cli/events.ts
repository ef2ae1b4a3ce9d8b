/**
 * `tsunagi events [--json]`: the helper's current state and the current connection's timeline,
 * then its state, statistics, settings, timeline and log events as they come.
 */
import type { CliIo } from './main.js';
import { describeEvent, describeState, describeTimeline, withHelper } from './helper-client.js';

export const EVENTS_USAGE = `tsunagi events [--json]
  Shows the state and the current connection's timeline, then streams the helper's events
  (state, statistics, settings, timeline, log) until Ctrl-C. --json: one JSON object a line,
  first {"type":"snapshot","status":…,"history":{"timeline":[…],"logs":[…]}}.`;

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
    if (r.kind !== 'subscribed') throw new Error(`unexpected answer ${r.kind}`);
    if (json)
      io.out(`${JSON.stringify({ type: 'snapshot', status: r.status, history: r.history })}\n`);
    else {
      io.out(`${describeState(r.status.state)}\n`);
      for (const entry of r.history.timeline) io.out(`${describeTimeline(entry)}\n`);
    }
    return closed;
  });
}
