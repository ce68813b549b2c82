import { RequestError, TimeoutError, type Msg, type NatsConnection } from '@nats-io/transport-node';
import {
  StateQueries,
  decodeStateReply,
  type GetWebhookResponse,
  type StateQueryName,
  type StateQueryRequest,
  type StateQueryResponse,
} from '@hookrelay/schemas';
import { InvalidRequestError, StateFailedError, StateTimeoutError, StateUnavailableError, WebhookNotFoundError } from './errors.js';
import type { GatewayMetrics } from './metrics.js';

/**
 * Asks the state service (the only reader of the database) over NATS request/reply, with the contracts of
 * libs/schemas `StateQueries`. Replies are validated; failures become the API's errors.
 */
export class StateClient {
  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** The webhook with its deliveries and attempts; 404 when unknown (or, with `projectId`, of another project). */
  getWebhook(id: string, projectId?: string): Promise<GetWebhookResponse> {
    return this.query('getWebhook', projectId === undefined ? { id } : { id, projectId }, id);
  }

  listWebhooks(request: StateQueryRequest<'listWebhooks'>): Promise<StateQueryResponse<'listWebhooks'>> {
    return this.query('listWebhooks', request);
  }

  listFailedWebhooks(request: StateQueryRequest<'listFailedWebhooks'>): Promise<StateQueryResponse<'listFailedWebhooks'>> {
    return this.query('listFailedWebhooks', request);
  }

  countWebhooks(projectId?: string): Promise<StateQueryResponse<'countWebhooks'>> {
    return this.query('countWebhooks', projectId === undefined ? {} : { projectId });
  }

  private async query<Q extends StateQueryName>(name: Q, request: StateQueryRequest<Q>, webhookId?: string): Promise<StateQueryResponse<Q>> {
    // Our own requests are built from parsed input; parsing again catches a contract drift here, not in state.
    const payload = JSON.stringify(StateQueries[name].request.parse(request));
    let reply: Msg;
    try {
      reply = await this.nc.request(StateQueries[name].subject, payload, { timeout: this.timeoutMs });
    } catch (err) {
      this.metrics.stateQueries.inc({ query: name, outcome: err instanceof TimeoutError ? 'timeout' : 'unavailable' });
      if (err instanceof TimeoutError) throw new StateTimeoutError(this.timeoutMs);
      if (err instanceof RequestError) throw new StateUnavailableError(err);
      throw new StateUnavailableError(err);
    }
    const decoded = decodeStateReply(name, reply.data);
    this.metrics.stateQueries.inc({ query: name, outcome: decoded.ok ? 'ok' : decoded.error.code });
    if (decoded.ok) return decoded.value;
    const { code, message, details } = decoded.error;
    if (code === 'not_found' && webhookId !== undefined) throw new WebhookNotFoundError(webhookId);
    // A bad request that got past our schemas is something only state can judge, such as a stale cursor.
    if (code === 'bad_request') throw new InvalidRequestError(message, details);
    throw new StateFailedError(message);
  }
}
