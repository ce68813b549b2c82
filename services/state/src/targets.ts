import { worstStatus, type DeliveryStatus, type TargetState, type WebhookStatus } from '@hookrelay/schemas';

/** The delivery columns the feed, the lists and the webhook status are made of. */
export interface DeliveryStateRow {
  id: string;
  target: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: number | null;
  first_seen_at: number;
}

export const DELIVERY_STATE_COLUMNS =
  'id, target, status, attempts, last_status_code, last_error, next_attempt_at, first_seen_at';

/**
 * The current delivery of each target: the latest dispatch or replay (first seen last; the id breaks a
 * tie so the choice never depends on arrival order). A successful replay so supersedes an earlier failure.
 */
export function currentDeliveries(rows: readonly DeliveryStateRow[]): DeliveryStateRow[] {
  const byTarget = new Map<string, DeliveryStateRow>();
  for (const row of rows) {
    const held = byTarget.get(row.target);
    if (!held || row.first_seen_at > held.first_seen_at || (row.first_seen_at === held.first_seen_at && row.id > held.id)) {
      byTarget.set(row.target, row);
    }
  }
  return [...byTarget.values()].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

export function targetState(row: DeliveryStateRow): TargetState {
  const state: TargetState = { target: row.target, status: row.status, attempts: row.attempts };
  if (row.last_status_code !== null) state.lastStatusCode = row.last_status_code;
  if (row.last_error !== null) state.lastError = row.last_error;
  if (row.next_attempt_at !== null) state.nextAttemptAt = row.next_attempt_at;
  return state;
}

/** A webhook's targets and its status: `received` with no delivery yet, else the worst current delivery. */
export function webhookProgress(rows: readonly DeliveryStateRow[]): { status: WebhookStatus; targets: TargetState[] } {
  const current = currentDeliveries(rows);
  return { status: worstStatus(current.map((d) => d.status)), targets: current.map(targetState) };
}
