/**
 * The architecture rules in eslint.config.mjs must actually fire: the real config lints virtual
 * files placed where the rules apply (paths listed in LINT_FIXTURES) and where they do not.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function ruleHits(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  const fatal = result!.messages.filter((m) => m.fatal);
  expect(fatal, `parse errors in ${filePath}`).toEqual([]);
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('sans-I/O core (native-helper/**/ike, native-helper/**/esp)', () => {
  it('rejects importing node:dgram under ike/', async () => {
    const hits = await ruleHits(
      "import dgram from 'node:dgram';\nexport const socket = dgram.createSocket('udp4');\n",
      'native-helper/ike/lint-fixture.ts',
    );
    expect(hits).toEqual([
      expect.stringMatching(/^no-restricted-imports: 'node:dgram' import is restricted/),
    ]);
  });

  it('rejects node:net, node:fs and node:child_process under esp/', async () => {
    const hits = await ruleHits(
      [
        "import { connect } from 'node:net';",
        "import { readFileSync } from 'node:fs';",
        "import { spawn } from 'node:child_process';",
        'export const all = [connect, readFileSync, spawn];',
      ].join('\n'),
      'native-helper/esp/lint-fixture.ts',
    );
    expect(hits.filter((h) => h.startsWith('no-restricted-imports'))).toHaveLength(3);
  });

  it('rejects timers, the clock and ambient randomness', async () => {
    const hits = await ruleHits(
      [
        'export const a = setTimeout(() => undefined, 1);',
        'export const b = setInterval(() => undefined, 1);',
        'export const c = Date.now();',
        'export const d = Math.random();',
        "import { randomBytes } from 'node:crypto';",
        'export const e = randomBytes(8);',
      ].join('\n'),
      'native-helper/ike/lint-fixture.ts',
    );
    expect(hits).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^no-restricted-globals: Unexpected use of 'setTimeout'/),
        expect.stringMatching(/^no-restricted-globals: Unexpected use of 'setInterval'/),
        expect.stringMatching(/^no-restricted-syntax: The sans-I\/O core reads no clock/),
        expect.stringMatching(/^no-restricted-syntax: Randomness is injected/),
        expect.stringMatching(
          /^no-restricted-imports: 'randomBytes' import from 'node:crypto' is restricted/,
        ),
      ]),
    );
  });

  it('allows node:crypto ciphers in the core (no I/O, no randomness)', async () => {
    const hits = await ruleHits(
      "import { createHmac } from 'node:crypto';\nexport const h = createHmac('sha256', 'k');\n",
      'native-helper/esp/lint-fixture.ts',
    );
    expect(hits).toEqual([]);
  });
});

describe('renderer (sandboxed page)', () => {
  it('rejects node:* and electron imports', async () => {
    const hits = await ruleHits(
      [
        "import { readFileSync } from 'node:fs';",
        "import path from 'path';",
        "import { ipcRenderer } from 'electron';",
        'export const all = [readFileSync, path, ipcRenderer];',
      ].join('\n'),
      'renderer/lint-fixture.ts',
    );
    expect(hits.filter((h) => h.startsWith('no-restricted-imports'))).toHaveLength(3);
  });
});

describe('promises', () => {
  it('flags a floating promise anywhere', async () => {
    const hits = await ruleHits(
      'async function work(): Promise<number> { return 1; }\nexport function go(): void { work(); }\n',
      'native-helper/ike/lint-fixture.ts',
    );
    expect(hits).toEqual([expect.stringMatching(/^@typescript-eslint\/no-floating-promises/)]);
  });
});
