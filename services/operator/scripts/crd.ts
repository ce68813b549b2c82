/**
 * The WebhookRoute CustomResourceDefinition, generated from the zod schemas: the spec from libs/schemas
 * (the one definition every service validates with), the status from the operator. zod's JSON Schema is
 * made structural (what the API server requires) and given what JSON Schema alone cannot say: bounds for
 * CEL's cost estimator, CEL rules for zod's refinements, defaults for `delivery`.
 */
import { z } from 'zod';
import { stringify } from 'yaml';
import { API_GROUP, API_VERSION, DNS_LABEL, IsoDuration, WebhookRouteSpec } from '@hookrelay/schemas';
import { WebhookRouteStatus } from '../src/route-status.js';

export const CRD_FILE = 'crds/webhookroutes.hookrelay.dev.yaml';

export interface ValidationRule {
  rule: string;
  message: string;
  reason?: string;
  fieldPath?: string;
}

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps this CRD uses. */
export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  additionalProperties?: SchemaNode;
  enum?: (string | number)[];
  default?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  'x-kubernetes-validations'?: ValidationRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

const KEPT_KEYWORDS = new Set([
  'type', 'description', 'format', 'properties', 'required', 'items', 'additionalProperties', 'enum', 'default',
  'pattern', 'minLength', 'maxLength', 'minItems', 'maxItems', 'minimum', 'maximum',
]);
/** Dropped on purpose: structural schemas forbid `additionalProperties: false` (unknown fields are pruned instead). */
const DROPPED_KEYWORDS = new Set(['$schema', 'propertyNames']);

/** A pattern already caps a string's length; stated as maxLength so CEL's cost estimator knows it too. */
const LENGTH_OF_PATTERN = new Map<string, number>([
  [DNS_LABEL.source, 63],
  ['^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$', 253],
  ['^[A-Za-z_][A-Za-z0-9_]{0,127}$', 128],
]);
/** A target may send at most this many extra headers (the zod schema leaves the map unbounded). */
const MAX_TARGET_HEADERS = 64;

const ISO_DURATION_PATTERN = z.toJSONSchema(IsoDuration).pattern;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON Schema (zod's draft 2020-12) to a structural schema; throws on anything the API server would refuse. */
export function structural(input: unknown, path = ''): SchemaNode {
  if (!isRecord(input)) throw new Error(`${path || '/'}: not a schema object`);
  const node: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (DROPPED_KEYWORDS.has(key)) continue;
    if (key === 'additionalProperties' && value === false) continue;
    if (!KEPT_KEYWORDS.has(key)) throw new Error(`${path || '/'}: "${key}" has no structural equivalent`);
    if (key === 'properties' && isRecord(value)) {
      node.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structural(v, `${path}/${k}`)]));
    } else if (key === 'items' || key === 'additionalProperties') {
      node[key] = structural(value, `${path}/${key === 'items' ? '[]' : '*'}`);
    } else node[key] = value;
  }
  if (typeof node.type !== 'string') throw new Error(`${path || '/'}: every node needs a type`);
  const typed = node as SchemaNode;
  // The API server knows date-time (and CEL reads it as a timestamp); zod's long regex for it adds nothing.
  if (typed.format === 'date-time') delete typed.pattern;
  if (typed.type === 'string' && typed.maxLength === undefined && typed.enum === undefined && typed.format !== 'date-time') {
    const bound = typed.pattern ? LENGTH_OF_PATTERN.get(typed.pattern) : undefined;
    if (bound === undefined) throw new Error(`${path}: a string needs a maxLength`);
    typed.maxLength = bound;
  }
  if (typed.type === 'array' && typed.maxItems === undefined) throw new Error(`${path}: a list needs a maxItems`);
  return typed;
}

function withRule(node: SchemaNode | undefined, rule: ValidationRule): void {
  if (!node) throw new Error(`no schema node for the rule ${rule.rule}`);
  node['x-kubernetes-validations'] = [...(node['x-kubernetes-validations'] ?? []), rule];
}

/** Visits every node with its path (`targets[].url`). */
function walk(node: SchemaNode, visit: (node: SchemaNode, path: string) => void, path = ''): void {
  visit(node, path);
  for (const [key, child] of Object.entries(node.properties ?? {})) walk(child, visit, path ? `${path}.${key}` : key);
  if (node.items) walk(node.items, visit, `${path}[]`);
  if (node.additionalProperties) walk(node.additionalProperties, visit, `${path}.*`);
}

const HEADER_NAME_RULE = "^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$";
const cel = (text: string): string => JSON.stringify(text);

export function specSchema(): SchemaNode {
  const spec = structural(z.toJSONSchema(WebhookRouteSpec, { io: 'input' }));
  walk(spec, (node, path) => {
    if (node.pattern === ISO_DURATION_PATTERN) {
      withRule(node, { rule: "self != 'P' && !self.endsWith('T')", message: 'must be an ISO-8601 duration such as PT2S, PT1M or P1D' });
    }
    if (path === 'targets[].url') {
      withRule(node, { rule: `self.matches(${cel('^https?://[^\\s/?#@]+(@[^\\s/?#@]+)?([/?#]\\S*)?$')})`, message: 'must be an http:// or https:// URL' });
    }
    if (path === 'targets[].headers') {
      node.maxProperties = MAX_TARGET_HEADERS;
      withRule(node, { rule: `self.all(name, name.matches(${cel(HEADER_NAME_RULE)}))`, message: 'header names must be HTTP header names' });
    }
    if (node.properties?.env && node.properties.file && node.properties.key) {
      withRule(node, {
        rule: '(has(self.name) && has(self.key)) || has(self.env) || has(self.file)',
        message: 'needs name and key (a Secret), or env, or file',
      });
    }
  });
  withRule(spec.properties?.targets, {
    rule: 'self.all(t, self.exists_one(u, u.name == t.name))',
    message: 'target names must be unique',
  });
  const delivery = spec.properties?.delivery;
  if (!delivery) throw new Error('spec.delivery is missing');
  // Without it the API server applies no inner default when `delivery` is left out.
  delivery.default = {};
  return spec;
}

export function statusSchema(): SchemaNode {
  const status = structural(z.toJSONSchema(WebhookRouteStatus, { io: 'input' }));
  const conditions = status.properties?.conditions;
  if (!conditions?.items) throw new Error('status.conditions is missing');
  conditions['x-kubernetes-list-type'] = 'map';
  conditions['x-kubernetes-list-map-keys'] = ['type'];
  return status;
}

const PROJECT_ID = (self: string) => `(has(${self}.spec.projectId) ? ${self}.spec.projectId : ${self}.metadata.name)`;

export function webhookRouteCrd() {
  const root: SchemaNode = {
    type: 'object',
    description: 'A webhook route: where the webhooks sent to /hooks/<projectId> are forwarded, and how.',
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: specSchema(),
      status: statusSchema(),
    },
    'x-kubernetes-validations': [
      {
        rule: `${PROJECT_ID('self')} == ${PROJECT_ID('oldSelf')}`,
        message: 'the projectId is immutable (spec.projectId, or metadata.name when it is not set): create a new route instead',
        reason: 'FieldValueForbidden',
      },
      {
        rule: `has(self.spec.projectId) || self.metadata.name.matches(${cel(DNS_LABEL.source)})`,
        message: 'metadata.name is not a DNS label (lowercase letters, digits and "-", at most 63): set spec.projectId',
      },
    ],
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `webhookroutes.${API_GROUP}`, labels: { 'app.kubernetes.io/part-of': 'hookrelay' } },
    spec: {
      group: API_GROUP,
      scope: 'Namespaced',
      names: {
        kind: 'WebhookRoute',
        listKind: 'WebhookRouteList',
        plural: 'webhookroutes',
        singular: 'webhookroute',
        shortNames: ['whr'],
        categories: ['hookrelay'],
      },
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Project', type: 'string', jsonPath: '.status.projectId' },
            { name: 'Targets', type: 'string', jsonPath: '.spec.targets[*].name' },
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
            { name: 'URL', type: 'string', jsonPath: '.status.webhookUrl', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: root },
        },
      ],
    },
  };
}

/** The committed file's text. */
export function webhookRouteCrdYaml(): string {
  return (
    '# Generated from the zod schemas by `npm run gen:crd -w @hookrelay/operator`; do not edit by hand.\n' +
    stringify(webhookRouteCrd(), { lineWidth: 0 })
  );
}
