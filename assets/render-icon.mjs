// Renders assets/icon.svg to assets/icon.png (512×512, transparent corners) with Debian's
// Chromium: `node assets/render-icon.mjs`. Run again after changing the SVG.
import { readFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';

const SIZE = 512;
const svg = await readFile(new URL('./icon.svg', import.meta.url), 'utf8');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE } });
  const dataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
  await page.setContent(
    `<body style="margin:0;background:transparent"><img src="${dataUrl}" width="${SIZE}" height="${SIZE}" style="display:block"></body>`,
  );
  await page.locator('img').evaluate((img) => img.decode());
  await page.screenshot({
    path: new URL('./icon.png', import.meta.url).pathname,
    omitBackground: true,
  });
} finally {
  await browser.close();
}
