import { useId } from 'react';

const CROSSING_ARC = 'M20 23.5h7.5a8.5 8.5 0 0 1 8.5 8.5v3';

/** Tsunagi's mark: two chain links joined (つなぎ). Same drawing as assets/icon.svg. */
export function LogoMark({ size = 28 }: { size?: number }) {
  const clipId = `${useId()}-crossing`;
  return (
    <svg
      className="logo-mark"
      width={size}
      height={size}
      viewBox="0 0 64 64"
      aria-hidden="true"
      focusable="false"
    >
      <defs>
        <clipPath id={clipId}>
          <rect x="24" y="16" width="16" height="16" />
        </clipPath>
      </defs>
      <rect width="64" height="64" rx="15" className="logo-mark__tile" />
      <g fill="none" strokeWidth="5" transform="rotate(-45 32 32)">
        <rect x="10" y="23.5" width="26" height="17" rx="8.5" className="logo-mark__link" />
        <rect x="28" y="23.5" width="26" height="17" rx="8.5" className="logo-mark__link" />
        <path
          d={CROSSING_ARC}
          className="logo-mark__gap"
          strokeWidth="10"
          clipPath={`url(#${clipId})`}
        />
        <path d={CROSSING_ARC} className="logo-mark__link" />
      </g>
    </svg>
  );
}
