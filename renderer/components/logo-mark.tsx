/** Tsunagi's mark: two links joined (つなぎ, "connection"). Same drawing as assets/icon.svg. */
export function LogoMark({ size = 28 }: { size?: number }) {
  return (
    <svg
      className="logo-mark"
      width={size}
      height={size}
      viewBox="0 0 64 64"
      aria-hidden="true"
      focusable="false"
    >
      <rect width="64" height="64" rx="15" className="logo-mark__tile" />
      <g fill="none" strokeWidth="5.5" strokeLinecap="round" className="logo-mark__links">
        <path d="M30 24h-6a8 8 0 0 0 0 16h6" />
        <path d="M34 40h6a8 8 0 0 0 0-16h-6" />
        <path d="M25 32h14" />
      </g>
    </svg>
  );
}
