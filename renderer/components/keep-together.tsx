import { hyphenatedPieces } from '../lib/keep-together';

/** Text whose hyphenated words never break at the hyphen ("pre-shared", "EAP-MSCHAPv2"). */
export function KeepTogether({ text }: { text: string }) {
  return (
    <>
      {hyphenatedPieces(text).map((piece, i) =>
        piece.whole ? (
          <span key={i} className="nowrap">
            {piece.text}
          </span>
        ) : (
          piece.text
        ),
      )}
    </>
  );
}
