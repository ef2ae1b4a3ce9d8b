// Draws the tray icons: one SVG per tunnel status × panel theme, rendered to PNG at 1× (32 px) and
// 2× (64 px, Electron picks `name@2x.png` on HiDPI) with Debian's Chromium:
// `node assets/tray/render-tray-icons.mjs`. The glyph is the app icon's two chain links, drawn
// monochrome for the panel (dark glyph on a light panel, light glyph on a dark one); the status is
// a badge in the lower right corner, so the shape reads at 16 px even without colour.
import { writeFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';

const STATUSES = ['disconnected', 'connecting', 'connected', 'error', 'blocked'];
const THEMES = { light: '#1f2329', dark: '#f4f6fa' };
const BADGE = { connected: '#1f9d55', connecting: '#e0a100', error: '#d93025', blocked: '#d93025' };

function svg(status, theme) {
  const ink = THEMES[theme];
  const panel = theme === 'light' ? '#ffffff' : '#1f2329';
  // no tunnel: the links fade (blocked too: the lock says traffic cannot pass without one)
  const faded = status === 'disconnected' || status === 'blocked' ? ' opacity="0.55"' : '';
  // The links, as in assets/icon.svg, scaled into the upper-left of a 32-unit box.
  const links = `
  <g fill="none" stroke="${ink}" stroke-width="3.2"${faded} transform="translate(1 1) scale(0.47) rotate(-45 32 32)">
    <rect x="10" y="23.5" width="26" height="17" rx="8.5"/>
    <rect x="28" y="23.5" width="26" height="17" rx="8.5"/>
  </g>`;
  let badge = '';
  if (status === 'connected') {
    badge = `<circle cx="24" cy="24" r="7" fill="${panel}"/><circle cx="24" cy="24" r="5.5" fill="${BADGE.connected}"/>
    <path d="M21.3 24.2l2 2 3.6-3.9" fill="none" stroke="#fff" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round"/>`;
  } else if (status === 'connecting') {
    badge = `<circle cx="24" cy="24" r="7" fill="${panel}"/><circle cx="24" cy="24" r="5.5" fill="${BADGE.connecting}"/>
    <circle cx="21.4" cy="24" r="1" fill="#fff"/><circle cx="24" cy="24" r="1" fill="#fff"/><circle cx="26.6" cy="24" r="1" fill="#fff"/>`;
  } else if (status === 'error') {
    badge = `<circle cx="24" cy="24" r="7" fill="${panel}"/><circle cx="24" cy="24" r="5.5" fill="${BADGE.error}"/>
    <path d="M24 20.8v3.6" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/><circle cx="24" cy="27" r="1" fill="#fff"/>`;
  } else if (status === 'blocked') {
    // a padlock: no tunnel, and the firewall lets nothing out (lockdown, kill switch)
    badge = `<circle cx="24" cy="24" r="7" fill="${panel}"/><circle cx="24" cy="24" r="5.5" fill="${BADGE.blocked}"/>
    <path d="M22.3 23.4v-1.2a1.7 1.7 0 0 1 3.4 0v1.2" fill="none" stroke="#fff" stroke-width="1.2"/>
    <rect x="21.2" y="23.3" width="5.6" height="4.2" rx="0.8" fill="#fff"/>`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">${links}
  ${badge}
</svg>
`;
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  for (const status of STATUSES) {
    for (const theme of Object.keys(THEMES)) {
      const name = `tray-${status}-${theme}`;
      const text = svg(status, theme);
      await writeFile(new URL(`./${name}.svg`, import.meta.url), text);
      for (const [suffix, size] of [
        ['', 32],
        ['@2x', 64],
      ]) {
        await page.setViewportSize({ width: size, height: size });
        const dataUrl = `data:image/svg+xml;base64,${Buffer.from(text).toString('base64')}`;
        await page.setContent(
          `<body style="margin:0;background:transparent"><img src="${dataUrl}" width="${size}" height="${size}" style="display:block"></body>`,
        );
        await page.locator('img').evaluate((img) => img.decode());
        await page.screenshot({
          path: new URL(`./${name}${suffix}.png`, import.meta.url).pathname,
          omitBackground: true,
        });
      }
    }
  }
  // A contact sheet to look at: every icon at 2× on its own panel colour.
  await page.setViewportSize({ width: STATUSES.length * 80 + 16, height: 2 * 80 + 16 });
  const cells = Object.entries(THEMES)
    .map(([theme]) =>
      STATUSES.map(
        (status) =>
          `<div style="width:80px;height:80px;display:flex;align-items:center;justify-content:center;background:${theme === 'light' ? '#fff' : '#1f2329'}"><img src="tray-${status}-${theme}@2x.png" width="64" height="64"></div>`,
      ).join(''),
    )
    .join('');
  await page.goto(new URL('./', import.meta.url).href);
  await page.setContent(
    `<body style="margin:8px;display:grid;grid-template-columns:repeat(${STATUSES.length},80px)">${cells}</body>`,
  );
  await page.screenshot({ path: '/tmp/tray-contact-sheet.png' });
} finally {
  await browser.close();
}
