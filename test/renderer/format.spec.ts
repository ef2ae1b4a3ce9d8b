import { describe, expect, it } from 'vitest';
import {
  describeDuration,
  describeRekey,
  isIpAddress,
  formatBitRate,
  formatBytes,
  formatClock,
  formatClockMs,
  formatDuration,
  formatOffset,
  formatTimestamp,
} from '../../renderer/lib/format';

describe('format', () => {
  it('counts bytes in SI units with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.00 KB');
    expect(formatBytes(12_345)).toBe('12.3 KB');
    expect(formatBytes(999_600)).toBe('1.00 MB');
    expect(formatBytes(1_234_567_890)).toBe('1.23 GB');
    expect(formatBytes(-5)).toBe('0 B');
    expect(formatBytes(Number.NaN)).toBe('0 B');
  });

  it('shows byte rates as bit rates', () => {
    expect(formatBitRate(0)).toBe('0 bit/s');
    expect(formatBitRate(100)).toBe('800 bit/s');
    expect(formatBitRate(125_000)).toBe('1.00 Mbit/s');
    expect(formatBitRate(1_050_000)).toBe('8.40 Mbit/s');
    expect(formatBitRate(125_000_000)).toBe('1.00 Gbit/s');
  });

  it('ticks an uptime as m:ss, h:mm:ss, then days', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(42_999)).toBe('0:42');
    expect(formatDuration(185_000)).toBe('3:05');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(2 * 86_400_000 + 3_723_000)).toBe('2 d 01:02:03');
    expect(formatDuration(-1)).toBe('0:00');
    expect(describeDuration(3_723_000)).toBe('1 hour 2 minutes 3 seconds');
    expect(describeDuration(120_000)).toBe('2 minutes');
    expect(describeDuration(500)).toBe('0 seconds');
  });

  it('writes local times, with and without milliseconds and date', () => {
    const at = new Date(2026, 10, 24, 6, 9, 7, 45).getTime();
    expect(formatClock(at)).toBe('06:09:07');
    expect(formatClockMs(at)).toBe('06:09:07.045');
    expect(formatTimestamp(at)).toBe('2026-11-24 06:09:07.045');
  });

  it('writes offsets from the start of a connection', () => {
    expect(formatOffset(210)).toBe('+0.21 s');
    expect(formatOffset(12_400)).toBe('+12 s');
    expect(formatOffset(185_000)).toBe('+3:05');
  });

  it('says when an SA was rekeyed and when it will be next', () => {
    const now = 10_000_000;
    expect(describeRekey({ last: now - 14 * 60_000, next: now + 46 * 60_000 }, now)).toBe(
      '14 min ago · next in 46 min',
    );
    expect(describeRekey({ last: null, next: now + 13_320_000 }, now)).toBe(
      'not yet · next in 3 h 42 min',
    );
    expect(describeRekey({ last: now - 12_000, next: null }, now)).toBe('12 s ago');
    expect(describeRekey({ last: null, next: now - 5 }, now)).toBe('not yet · next now');
  });

  it('tells an address from a host name', () => {
    expect(isIpAddress('198.51.100.10')).toBe(true);
    expect(isIpAddress('2001:db8::1')).toBe(true);
    expect(isIpAddress('vpn.example.com')).toBe(false);
    expect(isIpAddress('cafe')).toBe(false);
  });
});
