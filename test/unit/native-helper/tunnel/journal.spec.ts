import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearJournal, writeJournal } from '../../../../native-helper/tunnel/journal.js';

describe('the crash journal file', () => {
  let root: string;
  let saved: string | undefined;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tsunagi-journal-'));
    saved = process.env.TSUNAGI_STATE_DIR;
    process.env.TSUNAGI_STATE_DIR = join(root, 'run', 'tsunagi');
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TSUNAGI_STATE_DIR;
    else process.env.TSUNAGI_STATE_DIR = saved;
    rmSync(root, { recursive: true, force: true });
  });

  it('makes its private directory on the first write and keeps the record private', async () => {
    const file = join(root, 'run', 'tsunagi', 'connection.journal.json');
    await writeJournal({ pid: 7, tun: 'tsunagi0', routes: [['0.0.0.0/1', 'dev', 'tsunagi0']] });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      pid: 7,
      tun: 'tsunagi0',
      routes: [['0.0.0.0/1', 'dev', 'tsunagi0']],
    });
    expect(statSync(join(root, 'run', 'tsunagi')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // a changed record is written; clearing removes it, and the next record is written again
    await writeJournal({ pid: 7, tun: 'tsunagi0', routes: [] });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ routes: [] });
    await clearJournal();
    expect(existsSync(file)).toBe(false);
    await writeJournal({ pid: 7, tun: 'tsunagi0', routes: [] });
    expect(existsSync(file)).toBe(true);
    // the directory removed under a running helper (tmpfs cleared): made again
    await clearJournal();
    rmSync(join(root, 'run'), { recursive: true });
    await writeJournal({ pid: 8, routes: [] });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ pid: 8, routes: [] });
    await clearJournal();
  });
});
