/**
 * Start-up after a crash: the journal says what a dead helper left behind. Routes and the
 * resolv.conf copy are undone by tunnel/journal.ts. Here, explicitly, what only the daemon does:
 * in systemd-resolved mode the TUN's per-link DNS is reverted (`resolvectl revert`) when the link
 * still exists — resolved forgets a link's DNS when the link goes, so a vanished TUN needs
 * nothing — and then a TUN device it names that still exists is deleted (a TUN vanishes with its
 * fd, so this is a safety net for devices made persistent by someone else).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { recoverFromJournal, type JournalEntry } from '../tunnel/journal.js';

const exec = promisify(execFile);

/** Runs a command; rejects when it fails (tests inject a recorder). */
export type CommandRunner = (command: string, args: string[]) => Promise<void>;

const runCommand: CommandRunner = async (command, args) => {
  await exec(command, args, { timeout: 10_000 });
};

export interface Recovery {
  entry: JournalEntry;
  /** systemd-resolved mode: whether the link's DNS was reverted (false: the link was gone). */
  revertedDns: boolean;
  removedTun: boolean;
  /** What could not be undone, for the log. */
  problems: string[];
}

const LINK_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

export async function recoverAfterCrash(
  run: CommandRunner = runCommand,
  recover: () => Promise<JournalEntry | undefined> = recoverFromJournal,
): Promise<Recovery | undefined> {
  const entry = await recover();
  if (!entry) return undefined;
  const problems: string[] = [];
  const linkExists = (name: string) =>
    run('ip', ['link', 'show', 'dev', name]).then(
      () => true,
      () => false,
    );
  let revertedDns = false;
  if (entry.dns?.kind === 'resolved') {
    const link = entry.dns.interface;
    if (!LINK_NAME.test(link)) problems.push(`the journal names no valid link (${link})`);
    else if (await linkExists(link)) {
      try {
        await run('resolvectl', ['revert', link]);
        revertedDns = true;
      } catch (e) {
        problems.push(`resolvectl revert ${link} failed: ${(e as Error).message}`);
      }
    }
  }
  let removedTun = false;
  if (entry.tun && LINK_NAME.test(entry.tun) && (await linkExists(entry.tun))) {
    try {
      await run('ip', ['link', 'delete', entry.tun]);
      removedTun = true;
    } catch (e) {
      problems.push(`cannot delete ${entry.tun}: ${(e as Error).message}`);
    }
  }
  return { entry, revertedDns, removedTun, problems };
}
