/**
 * The crash journal: before changing routes or DNS the helper records how to undo it, and clears
 * the record after a clean teardown. A later start that finds a record whose process is gone
 * undoes it (a SIGKILLed helper must not leave the machine's routing or DNS broken).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { restoreResolvConf } from '../platform/dns/dns-linux.js';
import { removeRoutes } from '../platform/routes/routes-linux.js';

export interface JournalEntry {
  pid: number;
  tun?: string;
  routes: string[][];
  dns?:
    | { kind: 'resolv-conf'; path: string; original: string }
    | { kind: 'resolved'; interface: string };
}

export function stateDir(): string {
  return process.env.TSUNAGI_STATE_DIR ?? '/run/tsunagi';
}

const file = () => join(stateDir(), 'connection.journal.json');

/** What this process last wrote where (a write that would not change it is skipped). */
let written: { path: string; text: string } | undefined;

export async function writeJournal(entry: JournalEntry): Promise<void> {
  // A few hundred bytes to tmpfs, several times on the way to `connected`: written on this
  // thread, since each thread-pool round trip costs more than the write itself; the same record
  // again (a step that changed nothing it describes) is not written twice.
  const path = file();
  const text = JSON.stringify(entry);
  if (written?.path === path && written.text === text) return Promise.resolve();
  written = undefined;
  try {
    writeFileSync(path, text, { mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    // the state directory is not there yet (first connect since boot)
    mkdirSync(stateDir(), { recursive: true, mode: 0o700 });
    writeFileSync(path, text, { mode: 0o600 });
  }
  written = { path, text };
  return Promise.resolve();
}

export async function clearJournal(): Promise<void> {
  written = undefined;
  await rm(file(), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Undoes what a dead process left behind. Returns what it repaired (for the log), or undefined
 * when there was nothing to do. A journal of a live process is left alone.
 */
export async function recoverFromJournal(): Promise<JournalEntry | undefined> {
  let entry: JournalEntry;
  try {
    // read on this thread (tmpfs, usually absent): it is the first step of every connect
    entry = JSON.parse(readFileSync(file(), 'utf8')) as JournalEntry;
  } catch {
    return undefined;
  }
  if (entry.pid !== process.pid && alive(entry.pid)) return undefined;
  await removeRoutes(entry.routes);
  if (entry.dns?.kind === 'resolv-conf')
    await restoreResolvConf(entry.dns.path, entry.dns.original);
  await clearJournal();
  return entry;
}
