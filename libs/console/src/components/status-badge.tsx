import type { DeliveryStatus } from '@hookrelay/schemas';
import type { WebhookStatus } from '../api/schemas.js';
import { STATUS_LABEL, STATUS_MEANING } from '../format.js';

/** A status in words and colour (never colour alone), with what it means on hover. */
export function StatusBadge({ status, size = 'normal' }: { status: WebhookStatus | DeliveryStatus; size?: 'normal' | 'small' }) {
  return (
    <span class={`badge badge-${status} ${size === 'small' ? 'badge-small' : ''}`} title={STATUS_MEANING[status]} data-status={status}>
      <span class="badge-dot" aria-hidden="true" />
      {STATUS_LABEL[status]}
    </span>
  );
}
