import type { JSX } from 'preact';

/** Inline icons (bundled; the console fetches nothing from elsewhere). Decorative: hidden from screen readers. */
function Icon({ children, size = 16 }: { children: JSX.Element | JSX.Element[]; size?: number }) {
  return (
    <svg class="icon" width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

export const CopyIcon = () => (
  <Icon>
    <rect x="9" y="9" width="13" height="13" rx="2" />
    <path d="M5 15H4a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h9a2 2 0 0 1 2 2v1" />
  </Icon>
);
export const CheckIcon = () => (
  <Icon>
    <path d="M20 6 9 17l-5-5" />
  </Icon>
);
export const RetryIcon = () => (
  <Icon>
    <path d="M21 12a9 9 0 1 1-3-6.7L21 8" />
    <path d="M21 3v5h-5" />
  </Icon>
);
export const ReplayIcon = () => (
  <Icon>
    <path d="m5 3 14 9-14 9V3z" />
  </Icon>
);
export const BackIcon = () => (
  <Icon>
    <path d="M19 12H5" />
    <path d="m12 19-7-7 7-7" />
  </Icon>
);
export const ArrowUpIcon = () => (
  <Icon>
    <path d="M12 19V5" />
    <path d="m5 12 7-7 7 7" />
  </Icon>
);
export const TerminalIcon = () => (
  <Icon>
    <path d="m4 17 6-6-6-6" />
    <path d="M12 19h8" />
  </Icon>
);
export const LogoMark = () => (
  <svg class="logo-mark" width="22" height="22" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
    <rect width="24" height="24" rx="6" fill="currentColor" />
    <path d="M6 8.5h7.5a3.5 3.5 0 0 1 0 7H10" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round" />
    <path d="m12 13-2.5 2.5L12 18" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
  </svg>
);
