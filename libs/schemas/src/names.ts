import { z } from 'zod';

/** A DNS label: what a projectId and a target name may be. Nothing else can reach a NATS subject token. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const ProjectId = z
  .string()
  .regex(DNS_LABEL, 'must be a DNS label: lowercase letters, digits and "-", at most 63, starting and ending alphanumeric');
export type ProjectId = z.infer<typeof ProjectId>;

export const TargetName = ProjectId;

/** An HTTP header name (RFC 9110 token). */
export const HeaderName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be an HTTP header name');
