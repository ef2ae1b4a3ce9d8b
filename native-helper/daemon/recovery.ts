/**
 * Start-up after a crash: the journal says what a dead helper left behind. Routes and DNS are
 * undone (tunnel/journal.ts); a TUN device it names that still exists is deleted (a TUN vanishes
 * with its fd, so this is a safety net for devices made persistent by someone else).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { recoverFromJournal, type JournalEntry } from '../tunnel/journal.js';

const run = promisify(execFile);

export interface Recovery {
  entry: JournalEntry;
  removedTun: boolean;
}

export async function recoverAfterCrash(): Promise<Recovery | undefined> {
  const entry = await recoverFromJournal();
  if (!entry) return undefined;
  let removedTun = false;
  if (entry.tun && /^[A-Za-z0-9_.-]{1,15}$/.test(entry.tun)) {
    try {
      await run('ip', ['link', 'delete', entry.tun], { timeout: 10_000 });
      removedTun = true;
    } catch {
      // already gone with the dead process's fd: the usual case
    }
  }
  return { entry, removedTun };
}
