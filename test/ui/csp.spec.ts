// The built page's Content Security Policy: strict in dist/renderer/index.html, in force in a real
// Chromium (an inline script and eval are refused), and the app itself never trips it while every
// view is used.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonFileProfileStore } from '../../electron/main/profile-store';
import { parseProfile } from '../../native-helper/profile/profile';
import {
  AUTH_ERROR,
  connectedSince,
  FAILED_TIMELINE,
  LOG_LINES,
  statsSeries,
} from '../renderer/fixtures';
import {
  assertRendererBuilt,
  CHROMIUM_ARGS,
  installUiBridge,
  RENDERER_INDEX,
  RENDERER_URL,
  type UiBridge,
} from '../support/ui-bridge';

/** The policy the page must carry, directive by directive. */
const EXPECTED_CSP: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'none'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
};

function parseCsp(policy: string): Record<string, string[]> {
  return Object.fromEntries(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

interface Violation {
  directive: string;
  blocked: string;
  sample: string;
}

let dir: string;
let context: BrowserContext;
let page: Page;
let bridge: UiBridge;
const consoleErrors: string[] = [];

beforeAll(async () => {
  assertRendererBuilt();
  dir = await mkdtemp(path.join(tmpdir(), 'tsunagi-csp-'));
  context = await chromium.launchPersistentContext(path.join(dir, 'chromium'), {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: { width: 960, height: 720 },
    reducedMotion: 'reduce',
  });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text());
  });
  // Before any of the page's own scripts: every violation the page reports, in order.
  await page.addInitScript(() => {
    const seen: Violation[] = [];
    (window as unknown as { __cspViolations: Violation[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) =>
      seen.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample }),
    );
  });
  const store = new JsonFileProfileStore(path.join(dir, 'profiles.json'));
  await store.save({
    id: 'office',
    profile: parseProfile({
      version: 1,
      name: 'Office',
      server: 'vpn.example.com',
      auth: { method: 'psk', secret: { keychain: 'profile/office/secret' } },
    }),
  });
  bridge = await installUiBridge(page, { profileStore: store });
  await page.goto(RENDERER_URL);
}, 60_000);

afterAll(async () => {
  bridge?.dispose();
  await context?.close();
  await rm(dir, { recursive: true, force: true });
});

const violations = (p: Page) =>
  p.evaluate(() => (window as unknown as { __cspViolations: Violation[] }).__cspViolations);

describe('content security policy', () => {
  it('the built index.html carries the strict policy, first in <head>, and no inline script', async () => {
    const html = await readFile(RENDERER_INDEX, 'utf8');
    const metas = [
      ...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/g),
    ];
    expect(metas).toHaveLength(1);
    const policy = metas[0]![1]!;
    expect(parseCsp(policy)).toEqual(EXPECTED_CSP);
    expect(policy).not.toMatch(/unsafe-|\*|https?:|blob:/);
    // the policy comes before anything it governs
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<script'));
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<link'));
    for (const [, attrs, body] of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
      expect(attrs).toMatch(/\ssrc="\.\/assets\/[^"]+\.js"/);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+=|style="/i);
  });

  it('is in force in the page: an inline script and eval are refused and reported', async () => {
    await page.getByRole('heading', { name: 'Connection', level: 2 }).waitFor();
    const before = (await violations(page)).length;
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      document.head.append(script);
      // a string handler is compiled by the page (eval): 'unsafe-eval' is not allowed.
      // (eval() in page.evaluate itself runs as DevTools code, which CSP exempts.)
      (setTimeout as (code: string, ms: number) => number)('window.__stringRan = true', 0);
    });
    await page.waitForTimeout(100);
    const outcome = await page.evaluate(() => {
      const w = window as unknown as { __inlineRan?: boolean; __stringRan?: boolean };
      return { inlineRan: w.__inlineRan === true, evalRan: w.__stringRan === true };
    });
    expect(outcome).toEqual({ inlineRan: false, evalRan: false });
    await expect
      .poll(async () => (await violations(page)).slice(before).map((v) => v.directive))
      .toEqual(expect.arrayContaining([expect.stringMatching(/^script-src/)]));
    const seen = (await violations(page)).slice(before);
    expect(seen.map((v) => v.blocked)).toEqual(expect.arrayContaining(['inline', 'eval']));
  });

  it('the app trips nothing while every view is used', async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'Connection', level: 2 }).waitFor();
    consoleErrors.length = 0;
    const now = Date.now();
    const stats = statsSeries(30, now - 29_000);
    bridge.main.notify.connection.changed({
      helper: { status: 'ready', helperVersion: '0.1.0' },
      tunnel: connectedSince(now - 60_000),
      profileId: 'office',
      stats: stats[0]!,
      timeline: [],
    });
    for (const s of stats.slice(1)) bridge.main.notify.connection.stats(s);
    await page.getByRole('img', { name: /^Throughput over the last/ }).waitFor();
    bridge.main.notify.connection.changed({
      helper: { status: 'ready', helperVersion: '0.1.0' },
      tunnel: AUTH_ERROR,
      profileId: 'office',
      stats: stats[0]!,
      timeline: FAILED_TIMELINE,
    });
    await page.getByText('How to fix it').first().waitFor();
    const nav = page.getByRole('navigation', { name: 'Sections' });
    await nav.getByRole('button', { name: 'Logs' }).click();
    for (const entry of LOG_LINES) bridge.main.notify.logs.entry(entry);
    await page.getByRole('region', { name: 'Log lines' }).getByText(/DPD/).waitFor();
    await nav.getByRole('button', { name: 'Profiles' }).click();
    await page.getByRole('button', { name: 'Edit Office' }).click();
    await page.getByRole('heading', { name: 'Edit Office' }).waitFor();
    await page.getByLabel('Preset').selectOption('cnsa');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await nav.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await page.getByLabel('Theme').selectOption('dark');
    await page.getByText('Not connected to a network').waitFor();
    expect(await violations(page)).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
