import { describe, expect, it } from 'vitest';
import {
  NetworkDebouncer,
  type Clock,
} from '../../../../../electron/main/network/network-debouncer.js';
import type { NetworkInfo } from '../../../../../electron/main/network/network-info.js';

class FakeClock implements Clock {
  time = 0;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private next = 1;
  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = end;
  }
  get pending(): number {
    return this.timers.size;
  }
}

const home: NetworkInfo = { type: 'wifi', interface: 'wlan0', ssid: 'Home', open: false };
const cafe: NetworkInfo = { type: 'wifi', interface: 'wlan0', ssid: 'Cafe', open: true };
const none: NetworkInfo = { type: 'none' };

function setup() {
  const clock = new FakeClock();
  const settled: string[] = [];
  const debouncer = new NetworkDebouncer(
    (n) => settled.push(n.type === 'none' ? 'none' : (n.ssid ?? '?')),
    clock,
    { settleMs: 3000, minIntervalMs: 10_000 },
  );
  return { clock, settled, debouncer };
}

describe('NetworkDebouncer', () => {
  it('passes a network on once it stayed the same for settleMs', () => {
    const { clock, settled, debouncer } = setup();
    debouncer.observe(home);
    clock.advance(2999);
    expect(settled).toEqual([]);
    clock.advance(1);
    expect(settled).toEqual(['Home']);
  });

  it('repeated observations of the same network neither restart nor repeat', () => {
    const { clock, settled, debouncer } = setup();
    debouncer.observe(home);
    clock.advance(2000);
    debouncer.observe({ ...home });
    clock.advance(1000);
    expect(settled).toEqual(['Home']);
    debouncer.observe(home);
    clock.advance(60_000);
    expect(settled).toEqual(['Home']);
  });

  it('a flapping link causes no action until it settles', () => {
    const { clock, settled, debouncer } = setup();
    for (let i = 0; i < 20; i++) {
      debouncer.observe(i % 2 === 0 ? home : none);
      clock.advance(500);
    }
    expect(settled).toEqual([]);
    // Ends on `none` (i = 19); it settles 3 s after the last change.
    clock.advance(2500);
    expect(settled).toEqual(['none']);
  });

  it('a blip away and back to the acted-on network does nothing', () => {
    const { clock, settled, debouncer } = setup();
    debouncer.observe(home);
    clock.advance(3000);
    debouncer.observe(none);
    clock.advance(1000);
    debouncer.observe(home);
    clock.advance(60_000);
    expect(settled).toEqual(['Home']);
    expect(clock.pending).toBe(0);
  });

  it('spaces settled networks at least minIntervalMs apart', () => {
    const { clock, settled, debouncer } = setup();
    debouncer.observe(home);
    clock.advance(3000); // t=3000: Home
    debouncer.observe(cafe);
    clock.advance(3000); // t=6000: too soon (needs t >= 13000)
    expect(settled).toEqual(['Home']);
    clock.advance(6999);
    expect(settled).toEqual(['Home']);
    clock.advance(1);
    expect(settled).toEqual(['Home', 'Cafe']);
  });

  it('reset() makes the same network act again; dispose() cancels the pending one', () => {
    const { clock, settled, debouncer } = setup();
    debouncer.observe(home);
    clock.advance(3000);
    debouncer.reset();
    debouncer.observe(home);
    clock.advance(10_000);
    expect(settled).toEqual(['Home', 'Home']);
    debouncer.observe(cafe);
    debouncer.dispose();
    clock.advance(60_000);
    expect(settled).toEqual(['Home', 'Home']);
  });
});
