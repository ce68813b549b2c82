// The console reads the gateway's answers with its own copy of the response schemas (a lib must not import
// a service); this fails when the copy and the gateway's contract drift apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import * as gateway from '../../../services/gateway/src/api-schemas.js';
import * as console from '../src/api/schemas.js';

/** The JSON Schema of a response, without the descriptions (documentation, not shape). */
function shapeOf(schema: z.ZodType): unknown {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'description').map(([key, v]) => [key, strip(v)]));
  };
  return strip(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }));
}

const pairs: [string, z.ZodType, z.ZodType][] = [
  ['WebhookPage', console.WebhookPage, gateway.WebhookPage],
  ['WebhookDetail', console.WebhookDetail, gateway.WebhookDetail],
  ['DeliveriesPublished', console.DeliveriesPublished, gateway.DeliveriesPublished],
  ['BulkRetryResult', console.BulkRetryResult, gateway.BulkRetryResult],
  ['ProjectList', console.ProjectList, gateway.ProjectList],
  ['ErrorResponse', console.ErrorResponse, gateway.ErrorResponse],
];

for (const [name, mine, theirs] of pairs) {
  test(`the console reads ${name} as the gateway writes it`, () => {
    assert.deepEqual(shapeOf(mine), shapeOf(theirs));
  });
}
