// The throughput graph as numbers: which samples are shown, the scale, the SVG paths and the text
// alternative. Pure, so scaling is tested without a DOM; the component only draws the result.

import { describeDuration, formatBitRate } from './format';

/** One point of the graph: the rates of one stats event (bytes per second). */
export interface RateSample {
  readonly at: number;
  readonly rateIn: number;
  readonly rateOut: number;
}

/** How much history the store keeps and the graph shows (stats come about once a second). */
export const GRAPH_SAMPLES = 120;
export const GRAPH_WINDOW_MS = 120_000;

/**
 * The windows a young connection's graph uses: the shortest that holds its history, so the first
 * seconds fill the plot instead of a sliver at the right edge of two empty minutes. A few round
 * steps (not the exact age) keep the time axis from changing every second.
 */
const WINDOW_STEPS_MS = [
  10_000,
  15_000,
  20_000,
  30_000,
  45_000,
  60_000,
  90_000,
  GRAPH_WINDOW_MS,
] as const;
/** The shortest window: the first seconds of a connection, drawn across the plot. */
const MIN_WINDOW_MS = 2_000;

/**
 * The time span the graph shows for this history: its own length in whole seconds for the first
 * 10 s, then 15 s … 2 min in steps.
 */
export function graphWindowMs(samples: readonly RateSample[]): number {
  const newest = samples.at(-1);
  const oldest = samples[0];
  if (!newest || !oldest) return WINDOW_STEPS_MS[0];
  const span = newest.at - oldest.at;
  if (span <= WINDOW_STEPS_MS[0]) return Math.max(MIN_WINDOW_MS, Math.ceil(span / 1000) * 1000);
  return WINDOW_STEPS_MS.find((step) => step >= span) ?? GRAPH_WINDOW_MS;
}

/** The left end of the time axis: "10 s ago", "1 min ago", "1 min 30 s ago", "2 min ago". */
export function windowStartLabel(windowMs: number): string {
  const s = Math.round(windowMs / 1000);
  if (s < 60) return `${s} s ago`;
  const min = Math.floor(s / 60);
  return s % 60 === 0 ? `${min} min ago` : `${min} min ${s % 60} s ago`;
}

/** The smallest top of the scale: an idle tunnel draws a flat line near zero, not a full-height one. */
const MIN_SCALE_BITS = 10_000;

/**
 * The top of the y axis for a peak rate (bytes/s): the next 1, 2 or 5 × 10ⁿ bit/s at or above it,
 * so the gridline labels are round numbers ("5 Mbit/s", not "4.37 Mbit/s").
 */
export function niceScaleMax(peakBytesPerSecond: number): number {
  const bits = Math.max(MIN_SCALE_BITS, peakBytesPerSecond * 8);
  const magnitude = 10 ** Math.floor(Math.log10(bits));
  for (const step of [1, 2, 5, 10]) {
    // The tiny tolerance keeps 2 000 000 at 2 Mbit/s despite floating point.
    if (step * magnitude >= bits * (1 - 1e-9)) return (step * magnitude) / 8;
  }
  return (10 * magnitude) / 8;
}

/** The samples inside the window that ends at the newest one, oldest first. */
export function visibleSamples(
  samples: readonly RateSample[],
  windowMs = GRAPH_WINDOW_MS,
): RateSample[] {
  const newest = samples.at(-1);
  if (!newest) return [];
  return samples.filter((s) => s.at >= newest.at - windowMs && s.at <= newest.at);
}

export interface GraphGeometry {
  /** Top of the scale in bytes per second. */
  readonly max: number;
  readonly inLine: string;
  readonly inArea: string;
  readonly outLine: string;
  readonly outArea: string;
  /** Horizontal gridlines (top, middle), with their labels. */
  readonly gridlines: readonly { readonly y: number; readonly label: string }[];
}

/**
 * Paths for a width × height drawing: time runs left to right and the newest sample sits on the
 * right edge; a rate of `max` touches the top.
 */
export function graphGeometry(
  samples: readonly RateSample[],
  width: number,
  height: number,
  windowMs = GRAPH_WINDOW_MS,
): GraphGeometry {
  const shown = visibleSamples(samples, windowMs);
  const peak = shown.reduce((m, s) => Math.max(m, s.rateIn, s.rateOut), 0);
  const max = niceScaleMax(peak);
  const newest = shown.at(-1)?.at ?? 0;
  const x = (at: number) => round(width - ((newest - at) / windowMs) * width);
  const y = (rate: number) => round(height - (Math.min(Math.max(rate, 0), max) / max) * height);
  const line = (pick: (s: RateSample) => number) =>
    shown.map((s, i) => `${i === 0 ? 'M' : 'L'}${x(s.at)} ${y(pick(s))}`).join(' ');
  const area = (pick: (s: RateSample) => number) => {
    if (shown.length === 0) return '';
    return `${line(pick)} L${x(newest)} ${height} L${x(shown[0]!.at)} ${height} Z`;
  };
  return {
    max,
    inLine: line((s) => s.rateIn),
    inArea: area((s) => s.rateIn),
    outLine: line((s) => s.rateOut),
    outArea: area((s) => s.rateOut),
    gridlines: [
      { y: 0, label: roundLabel(formatBitRate(max)) },
      { y: round(height / 2), label: roundLabel(formatBitRate(max / 2)) },
    ],
  };
}

/** Scale labels are round numbers: "5 Mbit/s", "2.5 Mbit/s", not "5.00 Mbit/s". */
function roundLabel(text: string): string {
  return text.replace(/(\.\d*?[1-9])0+ /, '$1 ').replace(/\.0+ /, ' ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** What the graph shows, in one or two sentences: the graph's text alternative. */
export function throughputSummary(
  samples: readonly RateSample[],
  windowMs = GRAPH_WINDOW_MS,
): string {
  const shown = visibleSamples(samples, windowMs);
  const newest = shown.at(-1);
  if (!newest) return 'No traffic measured yet.';
  const span = newest.at - shown[0]!.at;
  const stats = (pick: (s: RateSample) => number) => {
    const values = shown.map(pick);
    const average = values.reduce((a, b) => a + b, 0) / values.length;
    return { average, peak: Math.max(...values) };
  };
  const received = stats((s) => s.rateIn);
  const sent = stats((s) => s.rateOut);
  const now = `Now receiving ${formatBitRate(newest.rateIn)} and sending ${formatBitRate(newest.rateOut)}.`;
  if (shown.length < 2) return now;
  return (
    `${now} Over the last ${describeDuration(span)}: received on average ` +
    `${formatBitRate(received.average)} (peak ${formatBitRate(received.peak)}), sent on average ` +
    `${formatBitRate(sent.average)} (peak ${formatBitRate(sent.peak)}).`
  );
}
