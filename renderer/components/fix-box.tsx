import { useState } from 'react';
import { splitFix } from '../lib/fix-text';

/** A fix in words, and its command (if any) in a selectable box with a Copy button. */
export function FixBox({ fix, title = 'How to fix it' }: { fix: string; title?: string }) {
  const { prose, command, after } = splitFix(fix);
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = (text: string) =>
    navigator.clipboard.writeText(text).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  return (
    <div className="fix-box">
      <p className="fix-box__title">{title}</p>
      {/* the helper words fixes as clauses ("check the server address…"): a sentence here */}
      <p className="fix-box__prose">{prose.charAt(0).toUpperCase() + prose.slice(1)}</p>
      {command && (
        <div className="fix-box__command">
          <code className="selectable">{command}</code>
          <button
            type="button"
            className="link-button"
            aria-label={`Copy the command ${command}`}
            onClick={() => void copy(command)}
          >
            {copied === 'yes' ? 'Copied' : 'Copy'}
          </button>
        </div>
      )}
      {after && <p className="fix-box__prose fix-box__after">{after}</p>}
      {copied === 'failed' && (
        <p className="fix-box__note" role="status">
          Could not copy: select the command and copy it by hand.
        </p>
      )}
    </div>
  );
}
