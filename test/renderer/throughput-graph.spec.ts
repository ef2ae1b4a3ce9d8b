import { describe, expect, it } from 'vitest';
import {
  graphGeometry,
  graphWindowMs,
  niceScaleMax,
  throughputSummary,
  visibleSamples,
  windowStartLabel,
  type RateSample,
} from '../../renderer/lib/throughput-graph';

const s = (at: number, rateIn: number, rateOut: number): RateSample => ({ at, rateIn, rateOut });

describe('throughput graph', () => {
  it('rounds the scale up to 1, 2 or 5 × 10ⁿ bit/s, never below 10 kbit/s', () => {
    expect(niceScaleMax(0)).toBe(10_000 / 8);
    expect(niceScaleMax(100)).toBe(10_000 / 8);
    expect(niceScaleMax(125_000)).toBe(125_000); // exactly 1 Mbit/s
    expect(niceScaleMax(125_001)).toBe(250_000); // just over → 2 Mbit/s
    expect(niceScaleMax(250_000)).toBe(250_000);
    expect(niceScaleMax(300_000)).toBe(625_000); // 2.4 Mbit/s → 5 Mbit/s
    expect(niceScaleMax(700_000)).toBe(1_250_000); // 5.6 Mbit/s → 10 Mbit/s
  });

  it('shows the window that ends at the newest sample', () => {
    // The edge is inclusive: 122 000 − 120 000 = 2 000 stays, 1 999 goes.
    const samples = [
      s(0, 1, 1),
      s(1_999, 1, 1),
      s(2_000, 1, 1),
      s(121_000, 1, 1),
      s(122_000, 1, 1),
    ];
    expect(visibleSamples(samples, 120_000).map((x) => x.at)).toEqual([2_000, 121_000, 122_000]);
    expect(visibleSamples([], 120_000)).toEqual([]);
  });

  it('puts the newest sample on the right edge and the scale top at y = 0', () => {
    // 1 Mbit/s peak → scale 1 Mbit/s (125 000 B/s); height 100, width 120 (1 px per second).
    const g = graphGeometry([s(0, 62_500, 0), s(60_000, 125_000, 31_250)], 120, 100, 120_000);
    expect(g.max).toBe(125_000);
    expect(g.inLine).toBe('M60 50 L120 0');
    expect(g.outLine).toBe('M60 100 L120 75');
    expect(g.inArea).toBe('M60 50 L120 0 L120 100 L60 100 Z');
    expect(g.gridlines).toEqual([
      { y: 0, label: '1 Mbit/s' },
      { y: 50, label: '500 kbit/s' },
    ]);
  });

  it('labels the scale with round numbers', () => {
    const labels = (peak: number) =>
      graphGeometry([s(0, peak, 0)], 100, 50).gridlines.map((g) => g.label);
    expect(labels(700_000)).toEqual(['10 Mbit/s', '5 Mbit/s']);
    expect(labels(300_000)).toEqual(['5 Mbit/s', '2.5 Mbit/s']);
    expect(labels(0)).toEqual(['10 kbit/s', '5 kbit/s']);
  });

  it('draws nothing without samples, and clamps negative rates to the axis', () => {
    const empty = graphGeometry([], 100, 50);
    expect(empty.inLine).toBe('');
    expect(empty.inArea).toBe('');
    const g = graphGeometry([s(0, -10, 0)], 100, 50);
    expect(g.inLine).toBe('M100 50');
  });

  it('says what the graph shows in words', () => {
    expect(throughputSummary([])).toBe('No traffic measured yet.');
    expect(throughputSummary([s(0, 125_000, 12_500)])).toBe(
      'Now receiving 1.00 Mbit/s and sending 100 kbit/s.',
    );
    expect(
      throughputSummary([s(0, 0, 12_500), s(60_000, 250_000, 12_500), s(120_000, 125_000, 37_500)]),
    ).toBe(
      'Now receiving 1.00 Mbit/s and sending 300 kbit/s. Over the last 2 minutes: received on ' +
        'average 1.00 Mbit/s (peak 2.00 Mbit/s), sent on average 167 kbit/s (peak 300 kbit/s).',
    );
  });

  it('fits the window to a young connection, in round steps up to 2 minutes', () => {
    const history = (seconds: number) =>
      Array.from({ length: seconds + 1 }, (_, i) => s(1_000 * i, 1, 1));
    expect(graphWindowMs([])).toBe(10_000);
    // the first seconds fill the plot (at least 2 s, whole seconds)
    expect(graphWindowMs(history(0))).toBe(2_000);
    expect(graphWindowMs(history(4))).toBe(4_000);
    expect(graphWindowMs([s(0, 1, 1), s(2_300, 1, 1)])).toBe(3_000);
    expect(graphWindowMs(history(10))).toBe(10_000);
    // then round steps
    expect(graphWindowMs(history(11))).toBe(15_000);
    expect(graphWindowMs(history(29))).toBe(30_000);
    expect(graphWindowMs(history(61))).toBe(90_000);
    expect(graphWindowMs(history(119))).toBe(120_000);
    expect(graphWindowMs(history(300))).toBe(120_000);
    // 4 s of data span the whole plot, not the last 3 % of two minutes
    const g = graphGeometry(history(4), 100, 50, graphWindowMs(history(4)));
    expect(g.inLine.startsWith('M0 ')).toBe(true);
    // 12 s in a 15 s window: the right 80 %
    expect(graphGeometry(history(12), 100, 50, graphWindowMs(history(12))).inLine).toMatch(/^M20 /);
    expect(windowStartLabel(10_000)).toBe('10 s ago');
    expect(windowStartLabel(3_000)).toBe('3 s ago');
    expect(windowStartLabel(90_000)).toBe('1 min 30 s ago');
    expect(windowStartLabel(120_000)).toBe('2 min ago');
  });
});
