import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Loads a published known-answer vector file from test/vectors/ (copied from ../shared/vectors). */
export function loadVectors<T = unknown>(name: string): T {
  const path = fileURLToPath(new URL(`../vectors/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
