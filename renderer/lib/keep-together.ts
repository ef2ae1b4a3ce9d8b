// Browsers may break a line after any hyphen: "pre-|shared key", "(EAP-|MSCHAPv2)". Words that
// carry a hyphen are kept whole by wrapping them in a no-wrap span; this finds them.

/** The text in pieces: `whole` pieces contain a hyphen between two non-spaces. */
export function hyphenatedPieces(text: string): { text: string; whole: boolean }[] {
  const pieces: { text: string; whole: boolean }[] = [];
  const word = /\S*\S-\S\S*/g;
  let at = 0;
  for (const match of text.matchAll(word)) {
    const start = match.index;
    if (start > at) pieces.push({ text: text.slice(at, start), whole: false });
    pieces.push({ text: match[0], whole: true });
    at = start + match[0].length;
  }
  if (at < text.length) pieces.push({ text: text.slice(at), whole: false });
  return pieces;
}
