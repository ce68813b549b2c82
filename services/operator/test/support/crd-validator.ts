import { Ajv, type ValidateFunction } from 'ajv';
import { run, type CelInput } from '@bufbuild/cel';
import type { SchemaNode } from '../../scripts/crd.js';

/** JSON to CEL input: objects become maps, integers CEL ints, as the API server presents them. */
export function toCel(value: unknown): CelInput {
  if (Array.isArray(value)) return value.map(toCel);
  if (typeof value === 'object' && value !== null) return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What the API server checks on a create or update, offline: the openAPIV3Schema (ajv, which also applies
 * defaults as the server does) and every x-kubernetes-validations rule (a CEL evaluator), transition rules
 * only when an old object is given. Pruning is not emulated.
 */
export class CrdValidator {
  private readonly validate: ValidateFunction;

  constructor(private readonly schema: SchemaNode) {
    const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true, validateFormats: false });
    for (const keyword of ['x-kubernetes-validations', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-preserve-unknown-fields']) {
      ajv.addKeyword(keyword);
    }
    this.validate = ajv.compile(schema);
  }

  /** Problems in words, empty when the object would be accepted; `object` gets the schema's defaults. */
  errors(object: Record<string, unknown>, oldObject?: Record<string, unknown>): string[] {
    if (!this.validate(object)) return (this.validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
    const errors: string[] = [];
    this.checkRules(this.schema, object, oldObject, '', errors);
    return errors;
  }

  private checkRules(schema: SchemaNode, value: unknown, oldValue: unknown, path: string, errors: string[]): void {
    for (const { rule, message } of schema['x-kubernetes-validations'] ?? []) {
      const isTransition = rule.includes('oldSelf');
      if (isTransition && oldValue === undefined) continue;
      const result = run(rule, { self: toCel(value), ...(isTransition ? { oldSelf: toCel(oldValue) } : {}) });
      if (result !== true) errors.push(`${path || '/'}: ${message}${result === false ? '' : ` (rule failed: ${String(result)})`}`);
    }
    if (schema.properties && isRecord(value)) {
      for (const [key, child] of Object.entries(schema.properties)) {
        if (value[key] === undefined) continue;
        this.checkRules(child, value[key], isRecord(oldValue) ? oldValue[key] : undefined, `${path}.${key}`, errors);
      }
    }
    if (schema.items && Array.isArray(value)) {
      // Transition rules inside lists need list-type map correlation; none of ours are there.
      value.forEach((item, i) => schema.items && this.checkRules(schema.items, item, undefined, `${path}[${i}]`, errors));
    }
    if (schema.additionalProperties && isRecord(value)) {
      for (const [key, item] of Object.entries(value)) this.checkRules(schema.additionalProperties, item, undefined, `${path}.${key}`, errors);
    }
  }
}
