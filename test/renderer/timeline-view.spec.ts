import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from '../../electron/shared/ipc-schema';
import { hyphenatedPieces } from '../../renderer/lib/keep-together';
import { timelineRows } from '../../renderer/lib/timeline-view';
import { FAILED_TIMELINE, TIMELINE } from './fixtures';

const e = (kind: TimelineEntry['kind'], text: string, at = 0): TimelineEntry => ({
  at,
  kind,
  text,
});

describe('timeline rows', () => {
  it('folds the float into a NAT line that already said "moved to UDP 4500"', () => {
    const rows = timelineRows(TIMELINE.slice(0, 4));
    expect(rows.map((r) => r.entry.kind)).toEqual([
      'ike-sa-init-sent',
      'nat-detected',
      'authenticated',
    ]);
  });

  it('keeps a float the NAT line did not announce, and one in a later attempt', () => {
    expect(
      timelineRows([
        e('ike-sa-init-sent', 'Contacting'),
        e('nat-detected', 'No NAT detected'),
        e('floated-to-natt', 'Moved to UDP 4500 (NAT traversal)'),
      ]).map((r) => r.entry.kind),
    ).toEqual(['ike-sa-init-sent', 'nat-detected', 'floated-to-natt']);
    expect(
      timelineRows([
        e('nat-detected', 'NAT detected on our side — moved to UDP 4500'),
        e('ike-sa-init-sent', 'Contacting the gateway again (try 2)'),
        e('floated-to-natt', 'Moved to UDP 4500 (NAT traversal)'),
      ]).map((r) => r.entry.kind),
    ).toEqual(['nat-detected', 'ike-sa-init-sent', 'floated-to-natt']);
  });

  it('a failed connection ends on its failure, in the danger tone', () => {
    const rows = timelineRows(FAILED_TIMELINE, { failed: true });
    expect(rows.at(-1)).toMatchObject({ entry: { kind: 'closed' }, tone: 'danger' });
    expect(rows.some((r) => r.tone === 'success')).toBe(false);
    // a user's own disconnect is not a failure
    expect(timelineRows([e('closed', 'Disconnected')]).at(-1)?.tone).toBe('neutral');
  });
});

describe('hyphenated words', () => {
  it('are kept whole, the rest is left as it is', () => {
    expect(hyphenatedPieces('did not accept the pre-shared key (EAP-MSCHAPv2).')).toEqual([
      { text: 'did not accept the ', whole: false },
      { text: 'pre-shared', whole: true },
      { text: ' key ', whole: false },
      { text: '(EAP-MSCHAPv2).', whole: true },
    ]);
    expect(hyphenatedPieces('no hyphen - here')).toEqual([
      { text: 'no hyphen - here', whole: false },
    ]);
    expect(hyphenatedPieces('')).toEqual([]);
  });
});
