// Renders the app icon for the installers from assets/icon.svg with Debian's Chromium:
//   assets/icons/<N>x<N>.png   16…1024 px (Linux: electron-builder installs them into hicolor)
//   assets/icon.ico            16…256 px PNG entries (Windows, nsis)
//   assets/icon.icns           16…1024 px PNG entries (macOS, dmg)
// `node assets/render-icons.mjs`; run again after changing the SVG (assets/render-icon.mjs renders
// the 512 px assets/icon.png the app and the window use).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';

const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
// ICNS element types holding PNG data, by pixel size (what Apple's iconutil writes)
const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32],
  ['icp6', 64],
  ['ic12', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic13', 256],
  ['ic09', 512],
  ['ic14', 512],
  ['ic10', 1024],
];

const svg = await readFile(new URL('./icon.svg', import.meta.url), 'utf8');
const dataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
const png = new Map();
try {
  for (const size of SIZES) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    await page.setContent(
      `<body style="margin:0;background:transparent"><img src="${dataUrl}" width="${size}" height="${size}" style="display:block"></body>`,
    );
    await page.locator('img').evaluate((img) => img.decode());
    png.set(size, await page.screenshot({ omitBackground: true }));
    await page.close();
  }
} finally {
  await browser.close();
}

const dir = new URL('./icons/', import.meta.url);
await mkdir(dir, { recursive: true });
for (const [size, data] of png) await writeFile(new URL(`${size}x${size}.png`, dir), data);

// ICO: ICONDIR (6 bytes), one ICONDIRENTRY (16 bytes) per image, then the PNGs.
const icoImages = ICO_SIZES.map((size) => png.get(size));
const header = Buffer.alloc(6 + 16 * icoImages.length);
header.writeUInt16LE(0, 0); // reserved
header.writeUInt16LE(1, 2); // type: icon
header.writeUInt16LE(icoImages.length, 4);
let offset = header.length;
ICO_SIZES.forEach((size, i) => {
  const entry = 6 + 16 * i;
  header.writeUInt8(size >= 256 ? 0 : size, entry); // 0 means 256
  header.writeUInt8(size >= 256 ? 0 : size, entry + 1);
  header.writeUInt8(0, entry + 2); // no palette
  header.writeUInt8(0, entry + 3);
  header.writeUInt16LE(1, entry + 4); // colour planes
  header.writeUInt16LE(32, entry + 6); // bits per pixel
  header.writeUInt32LE(icoImages[i].length, entry + 8);
  header.writeUInt32LE(offset, entry + 12);
  offset += icoImages[i].length;
});
await writeFile(new URL('./icon.ico', import.meta.url), Buffer.concat([header, ...icoImages]));

// ICNS: 'icns' + total length, then per element a 4-char type, its length (with the 8-byte
// header), and the PNG.
const elements = ICNS_TYPES.map(([type, size]) => {
  const data = png.get(size);
  const head = Buffer.alloc(8);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(8 + data.length, 4);
  return Buffer.concat([head, data]);
});
const icnsHead = Buffer.alloc(8);
icnsHead.write('icns', 0, 'latin1');
icnsHead.writeUInt32BE(8 + elements.reduce((n, e) => n + e.length, 0), 4);
await writeFile(new URL('./icon.icns', import.meta.url), Buffer.concat([icnsHead, ...elements]));
