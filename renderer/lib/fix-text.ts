// A "fix" from main or the helper often ends in a command ("Start it: sudo systemctl enable --now
// tsunagi-helper"). The command is shown on its own, in a box that is easy to select and copy.

export interface FixText {
  /** The words before the command, or the whole fix when there is no command. */
  readonly prose: string;
  readonly command?: string;
  /** Words after the command ("…$USER, then log out and in" → "Then log out and in."). */
  readonly after?: string;
}

const COMMAND = /^(sudo|systemctl|journalctl|tsunagi|tsunagi-helper|ip|nft|resolvectl)\s/;

export function splitFix(fix: string): FixText {
  const at = fix.lastIndexOf(': ');
  if (at < 0) return { prose: fix };
  const rest = fix.slice(at + 2).trim();
  if (!COMMAND.test(rest)) return { prose: fix };
  // A comma or semicolon followed by a space ends the command: shell commands rarely have one.
  const cut = /[,;] /.exec(rest);
  const command = (cut ? rest.slice(0, cut.index) : rest).replace(/\.$/, '');
  const after = cut ? rest.slice(cut.index + 2).trim() : '';
  return {
    prose: `${fix.slice(0, at)}:`,
    command,
    ...(after
      ? {
          after: `${after.charAt(0).toUpperCase()}${after.slice(1)}${/[.!?]$/.test(after) ? '' : '.'}`,
        }
      : {}),
  };
}
