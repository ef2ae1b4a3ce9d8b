// What the connection timeline shows: the helper's milestones, minus the ones that repeat what the
// previous line already said, each with its colour. Pure, so the rules are tested without a DOM.

import type { TimelineEntry } from '../../electron/shared/ipc-schema';
import { timelineTone, type StatusTone } from './tunnel-state-view';

export interface TimelineRow {
  readonly entry: TimelineEntry;
  readonly tone: StatusTone;
}

/**
 * The rows to show. A "moved to UDP 4500" (floated-to-natt) right after a NAT detection that
 * already said so in the same attempt is dropped: one fact, one line. When the connection
 * failed (`failed`), the sentence that closed it is the failure and reads as one (danger).
 */
export function timelineRows(
  entries: readonly TimelineEntry[],
  options: { readonly failed?: boolean } = {},
): TimelineRow[] {
  const rows: TimelineRow[] = [];
  let natMoveSaid = false;
  for (const entry of entries) {
    if (entry.kind === 'ike-sa-init-sent') natMoveSaid = false;
    if (entry.kind === 'nat-detected' && /UDP 4500/.test(entry.text)) natMoveSaid = true;
    if (entry.kind === 'floated-to-natt' && natMoveSaid) continue;
    rows.push({ entry, tone: timelineTone(entry.kind) });
  }
  const last = rows.at(-1);
  if (options.failed && last?.entry.kind === 'closed') {
    rows[rows.length - 1] = { ...last, tone: 'danger' };
  }
  return rows;
}
