import { z } from 'zod';
import {
  BulkRetryRequest,
  FailedWebhookListQuery,
  FeedQuery,
  ProjectParams,
  ReplayRequest,
  RetryRequest,
  WebhookIdParams,
  WebhookListQuery,
  namedSchemas,
} from '@hookrelay/schemas/gateway-api';

type JsonObject = Record<string, unknown>;

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** JSON Schema of a zod schema, as OpenAPI 3.1 embeds it (no $schema or $id of its own). */
function embedded(schema: JsonObject): JsonObject {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

/** Components from a set of zod schemas; references between them become $refs. */
function components(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const generated = z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' });
  return Object.fromEntries(Object.entries(generated.schemas).map(([id, s]) => [id, embedded(s as JsonObject)]));
}

/** One OpenAPI parameter per field of a zod object (query or path). */
function parameters(schema: z.ZodObject, location: 'query' | 'path'): JsonObject[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const json = embedded(z.toJSONSchema(field as z.ZodType, { io: 'input', unrepresentable: 'any' }) as JsonObject);
    const { description, ...fieldSchema } = json;
    const parameter: JsonObject = {
      name,
      in: location,
      required: location === 'path' || !(field as z.ZodType).safeParse(undefined).success,
      schema: fieldSchema,
    };
    if (typeof description === 'string') parameter.description = description;
    if (JSON.stringify(fieldSchema).includes('"type":"array"')) Object.assign(parameter, { style: 'form', explode: true });
    return parameter;
  });
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });

const commonErrors = {
  '400': errorResponse('invalid parameters: details holds the zod issues'),
  '401': errorResponse('no token, or not a valid one'),
  '403': errorResponse('the token does not see this project, or is a read token'),
  '503': errorResponse('the state service or JetStream is not available'),
  '504': errorResponse('the state service did not answer in time'),
};

const json = (schema: JsonObject, description: string) => ({ description, content: { 'application/json': { schema } } });

const lastEventIdHeader = {
  name: 'Last-Event-ID',
  in: 'header',
  required: false,
  description: 'resume after this event id: what followed it is sent first, in order, then live events',
  schema: { type: 'string', pattern: '^\\d{1,15}$' },
};

const feedResponse = {
  description:
    'Server-Sent Events. Each event: `id` = FEED stream sequence, `data` = a FeedEntry as JSON. Comments: `: live` once ' +
    'the client is caught up, `: heartbeat` every 15 s. A client that falls too far behind is disconnected and can resume.',
  content: { 'text/event-stream': { schema: { type: 'string' }, 'x-event-data': ref('FeedEntry') } },
};

/** The OpenAPI 3.1 document of the gateway, generated from the zod schemas its handlers parse with. */
export function openApiDocument(): JsonObject {
  const schemas = {
    ...components(namedSchemas, 'output'),
    ...components({ ReplayRequest, RetryRequest, BulkRetryRequest }, 'input'),
  };
  const listQuery = parameters(WebhookListQuery, 'query');
  return {
    openapi: '3.1.0',
    info: {
      title: 'hookrelay gateway',
      version: '0.1.0',
      description:
        'History, live feeds, replay and retry of the webhooks hookrelay captured. Times are epoch milliseconds. ' +
        'The admin token (HOOKRELAY_API_TOKEN) sees and steers every project; a project token reads one project.',
    },
    security: [{ bearer: [] }],
    paths: {
      '/webhooks': {
        get: {
          summary: 'Webhooks, newest first, filtered and paged',
          parameters: listQuery,
          responses: { '200': json(ref('WebhookPage'), 'a page of webhooks'), ...commonErrors },
        },
      },
      '/webhooks/failed': {
        get: {
          summary: 'Webhooks whose status is failed or dlq, newest first',
          parameters: parameters(FailedWebhookListQuery, 'query'),
          responses: { '200': json(ref('WebhookPage'), 'a page of failed webhooks'), ...commonErrors },
        },
      },
      '/webhooks/{id}': {
        get: {
          summary: 'One webhook as captured, with its deliveries and attempts',
          parameters: parameters(WebhookIdParams, 'path'),
          responses: {
            '200': json(ref('WebhookDetail'), 'the webhook; the body as text when it is UTF-8, base64 otherwise'),
            '404': errorResponse('no such webhook'),
            ...commonErrors,
          },
        },
      },
      '/webhooks/{id}/replay': {
        post: {
          summary: "Deliver again to the route's current targets, or to one, as new deliveries (admin)",
          parameters: parameters(WebhookIdParams, 'path'),
          requestBody: { required: false, content: { 'application/json': { schema: ref('ReplayRequest') } } },
          responses: {
            '202': json(ref('DeliveriesPublished'), 'the deliveries were queued'),
            '404': errorResponse('no such webhook, or the route has no such target'),
            '409': errorResponse('the project has no route, or the body cannot be read back'),
            ...commonErrors,
          },
        },
      },
      '/webhooks/{id}/retry': {
        post: {
          summary: 'Deliver again to the targets whose current delivery is failed or dlq (admin)',
          parameters: parameters(WebhookIdParams, 'path'),
          requestBody: { required: false, content: { 'application/json': { schema: ref('RetryRequest') } } },
          responses: {
            '202': json(ref('DeliveriesPublished'), 'the deliveries were queued'),
            '404': errorResponse('no such webhook'),
            '409': errorResponse('nothing is failed or dlq, or it cannot be delivered'),
            ...commonErrors,
          },
        },
      },
      '/webhooks/retry': {
        post: {
          summary: 'Retry every failed webhook a filter matches, such as one project between two times (admin)',
          requestBody: { required: false, content: { 'application/json': { schema: ref('BulkRetryRequest') } } },
          responses: { '202': json(ref('BulkRetryResult'), 'how many were retried'), ...commonErrors },
        },
      },
      '/projects': {
        get: {
          summary: 'Each route: webhook URL, targets, delivery policy, Ready condition, counts by status',
          responses: { '200': json(ref('ProjectList'), 'the projects the token sees'), ...commonErrors },
        },
      },
      '/feed': {
        get: {
          summary: 'Live feed of every project the token sees (SSE)',
          security: [{ bearer: [] }, { accessToken: [] }],
          parameters: [...parameters(FeedQuery, 'query'), lastEventIdHeader],
          responses: { '200': feedResponse, ...commonErrors },
        },
      },
      '/projects/{projectId}/feed': {
        get: {
          summary: 'Live feed of one project (SSE)',
          security: [{ bearer: [] }, { accessToken: [] }],
          parameters: [...parameters(ProjectParams, 'path'), ...parameters(FeedQuery, 'query'), lastEventIdHeader],
          responses: { '200': feedResponse, ...commonErrors },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'alive' } } } },
      '/readyz': {
        get: { summary: 'Readiness: NATS connected, routes loaded, feed tail open', security: [], responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { '200': { description: 'text exposition format' } } } },
    },
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <token>' },
        accessToken: { type: 'apiKey', in: 'query', name: 'access_token', description: 'for EventSource clients, on the feeds only' },
      },
    },
  };
}
