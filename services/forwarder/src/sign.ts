import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks signatures (`webhook-signature: v1,<base64> [v1,<base64>]`) over `id.timestamp.body`,
 * one per secret, so a target that still knows only the previous secret verifies during a rotation. The HMAC
 * covers the body's exact bytes (the standardwebhooks package signs a string, which would alter binary
 * bodies); a secret is `whsec_<base64 key>` as that package reads it.
 */
export function standardWebhookSignature(secrets: readonly string[], webhookId: string, timestampSeconds: number, body: Uint8Array): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
      const mac = createHmac('sha256', key).update(`${webhookId}.${timestampSeconds}.`).update(body).digest('base64');
      return `v1,${mac}`;
    })
    .join(' ');
}
