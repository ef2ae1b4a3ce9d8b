// A "fix" from main or the helper often ends in a command ("Start it with: sudo systemctl start
// tsunagi-helper"). The command is shown on its own, in a box that is easy to select and copy.

export interface FixText {
  /** The words before the command, or the whole fix when there is no command. */
  readonly prose: string;
  readonly command?: string;
}

const COMMAND = /^(sudo|systemctl|journalctl|tsunagi|tsunagi-helper|ip|nft|resolvectl)\s/;

export function splitFix(fix: string): FixText {
  const at = fix.lastIndexOf(': ');
  if (at < 0) return { prose: fix };
  const command = fix
    .slice(at + 2)
    .trim()
    .replace(/\.$/, '');
  if (!COMMAND.test(command)) return { prose: fix };
  return { prose: `${fix.slice(0, at)}:`, command };
}
