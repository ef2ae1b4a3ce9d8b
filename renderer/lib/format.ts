// Numbers and times as people read them. Pure: the clock and locale come from the caller (times
// are shown in the machine's local time zone, as the rest of the desktop does).

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;
const BIT_RATE_UNITS = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'] as const;

/** Three significant digits at most: 1.23, 12.3, 123. */
function short(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function scaled(value: number, units: readonly string[]): string {
  if (!Number.isFinite(value) || value <= 0) return `0 ${units[0]}`;
  let unit = 0;
  let v = value;
  // 999.6 would print as "1000": move up a unit before rounding does it for us.
  while (v >= 999.5 && unit < units.length - 1) {
    v /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(v)} ${units[0]}` : `${short(v)} ${units[unit]}`;
}

/** A byte count in SI units (1 KB = 1000 B), as network counters usually are: "12.3 MB". */
export function formatBytes(bytes: number): string {
  return scaled(bytes, BYTE_UNITS);
}

/** A rate given in bytes per second, shown in bits per second: "8.40 Mbit/s". */
export function formatBitRate(bytesPerSecond: number): string {
  return scaled(bytesPerSecond * 8, BIT_RATE_UNITS);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** How long something has been going: "0:42", "3:05", "1:02:03", "2 d 01:02:03". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days > 0) return `${days} d ${pad(hours)}:${pad(minutes)}:${pad(seconds)}`;
  if (hours > 0) return `${hours}:${pad(minutes)}:${pad(seconds)}`;
  return `${minutes}:${pad(seconds)}`;
}

/** The same duration in words, for screen readers and summaries: "1 hour 2 minutes 3 seconds". */
export function describeDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const parts: [number, string][] = [
    [Math.floor(total / 86_400), 'day'],
    [Math.floor((total % 86_400) / 3600), 'hour'],
    [Math.floor((total % 3600) / 60), 'minute'],
    [total % 60, 'second'],
  ];
  const words = parts
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n} ${unit}${n === 1 ? '' : 's'}`);
  return words.length === 0 ? '0 seconds' : words.join(' ');
}

/** Local wall-clock time of an epoch-ms instant: "06:39:37". */
export function formatClock(at: number): string {
  const d = new Date(at);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local time with milliseconds, for log lines: "06:39:37.123". */
export function formatClockMs(at: number): string {
  return `${formatClock(at)}.${pad(new Date(at).getMilliseconds(), 3)}`;
}

/** Local date and time with milliseconds, for copied and exported logs: "2026-11-24 06:39:37.123". */
export function formatTimestamp(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatClockMs(at)}`;
}

/** Time since the first milestone of a connection: "+0.21 s", "+12 s", "+3:05". */
export function formatOffset(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `+${s.toFixed(2)} s`;
  if (s < 60) return `+${Math.floor(s)} s`;
  return `+${formatDuration(ms)}`;
}

/** Whether a server is given as an IPv4 or IPv6 address rather than a host name. */
export function isIpAddress(text: string): boolean {
  return (
    /^\d{1,3}(\.\d{1,3}){3}$/.test(text) || (text.includes(':') && /^[0-9a-fA-F:.]+$/.test(text))
  );
}

/** A span for "in …" / "… ago": "42 s", "14 min", "2 h 05 min". */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${pad(min % 60)} min`;
}

/**
 * An SA's rekeying for the tunnel facts: "14 min ago · next in 46 min", "not yet · next in
 * 3 h 42 min", "12 s ago" (no rekey armed).
 */
export function describeRekey(
  times: { readonly last: number | null; readonly next: number | null },
  now: number,
): string {
  const last = times.last === null ? 'not yet' : `${formatSpan(now - times.last)} ago`;
  if (times.next === null) return last;
  const next = times.next <= now ? 'now' : `in ${formatSpan(times.next - now)}`;
  return `${last} · next ${next}`;
}
