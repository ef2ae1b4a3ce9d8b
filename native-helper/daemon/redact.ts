/** Removes secrets from text before it is logged or sent to clients. */
export const REDACTED = '<redacted>';

export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join(REDACTED);
  return out;
}
