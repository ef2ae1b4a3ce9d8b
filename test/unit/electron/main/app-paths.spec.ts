import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createSenderPolicy,
  isOwnPageUrl,
  resolveAppPaths,
} from '../../../../electron/main/app-paths.js';

const paths = resolveAppPaths('/opt/tsunagi/dist/electron');
const page = pathToFileURL(paths.rendererIndex).href;

describe('resolveAppPaths', () => {
  it('finds the renderer page and the preload beside the bundled main', () => {
    expect(paths).toEqual({
      rendererIndex: path.resolve('/opt/tsunagi/dist/renderer/index.html'),
      preload: path.resolve('/opt/tsunagi/dist/electron/preload.cjs'),
      trayIcons: path.resolve('/opt/tsunagi/assets/tray'),
    });
  });
});

describe('isOwnPageUrl', () => {
  it('accepts our page, with or without a fragment or query', () => {
    expect(isOwnPageUrl(page, paths.rendererIndex)).toBe(true);
    expect(isOwnPageUrl(`${page}#/profiles`, paths.rendererIndex)).toBe(true);
    expect(isOwnPageUrl(`${page}?x=1`, paths.rendererIndex)).toBe(true);
  });

  it('refuses other pages, schemes, hosts and tricks', () => {
    for (const url of [
      'https://evil.example/index.html',
      'http://localhost:5173/',
      'file:///opt/tsunagi/dist/renderer/other.html',
      'file:///tmp/index.html',
      'file://evil.example/opt/tsunagi/dist/renderer/index.html',
      'file:///opt/tsunagi/dist/renderer/../renderer-copy/index.html',
      'data:text/html,<p>hi</p>',
      'about:blank',
      'devtools://devtools/bundled/index.html',
      '',
      'not a url',
    ]) {
      expect(isOwnPageUrl(url, paths.rendererIndex), url).toBe(false);
    }
  });
});

describe('createSenderPolicy', () => {
  it('allows only the top frame of our page', () => {
    const allowed = createSenderPolicy(paths.rendererIndex);
    const top = { url: page, parent: null };
    expect(allowed(top)).toBe(true);
    expect(allowed({ url: page, parent: top })).toBe(false);
    expect(allowed({ url: 'https://evil.example/', parent: null })).toBe(false);
  });
});
