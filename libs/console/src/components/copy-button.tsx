import { useEffect, useState } from 'preact/hooks';
import { announce } from './announcer.js';
import { CheckIcon, CopyIcon } from './icons.js';

/** The clipboard API needs a secure context; a console on plain HTTP inside a cluster falls back to execCommand. */
async function copyText(text: string): Promise<void> {
  if (window.isSecureContext && navigator.clipboard) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('the browser refused to copy');
}

export function CopyButton({ text, label, what, compact = false }: { text: string; label: string; what: string; compact?: boolean }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1600);
    return () => clearTimeout(timer);
  }, [copied]);
  const onClick = () => {
    copyText(text).then(
      () => {
        setCopied(true);
        announce(`Copied ${what}`);
      },
      (err: unknown) => announce(`Could not copy ${what}: ${err instanceof Error ? err.message : String(err)}`, 'error'),
    );
  };
  return (
    <button type="button" class={`button button-ghost ${compact ? 'button-icon' : ''}`} onClick={onClick} aria-label={compact ? label : undefined} title={label}>
      {copied ? <CheckIcon /> : <CopyIcon />}
      {compact ? null : <span>{copied ? 'Copied' : label}</span>}
    </button>
  );
}
