import { z } from 'zod';
import { ProjectId } from '@hookrelay/schemas';
import { CommonEnv, port, shortDuration } from '@hookrelay/platform';

/** Short tokens can be guessed; every token the gateway accepts has at least this many characters. */
export const MIN_TOKEN_LENGTH = 16;

const Token = z
  .string()
  .min(MIN_TOKEN_LENGTH, `must be at least ${MIN_TOKEN_LENGTH} characters`)
  .max(512)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** `{"<projectId>": "<token>"}`; a list of tokens per project allows rotation. */
const ProjectTokens = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON: {"<projectId>": "<token>" | ["<token>", ...]}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(ProjectId, z.union([Token, z.array(Token).min(1).max(8)])))
  .transform((map) => Object.entries(map).map(([projectId, tokens]) => ({ projectId, tokens: Array.isArray(tokens) ? tokens : [tokens] })));

const bytes = (fallback: number, max: number) => z.coerce.number().int().min(1024).max(max).default(fallback);

export const GatewayConfig = CommonEnv.extend({
  GATEWAY_PORT: port(8081),
  GATEWAY_HOST: z.string().default('0.0.0.0'),
  /** The admin token: sees and steers every project. Unset: only project tokens are accepted. */
  HOOKRELAY_API_TOKEN: Token.optional(),
  /** Read tokens per project, until the operator resolves each route's apiTokenSecretRef. */
  GATEWAY_PROJECT_TOKENS: ProjectTokens.optional(),
  /** How long one query to the state service may take before the caller gets 504. */
  GATEWAY_STATE_TIMEOUT: shortDuration('5s'),
  /** A REST request (not a feed) that has not been answered by then gets 503. */
  GATEWAY_REQUEST_TIMEOUT: shortDuration('30s'),
  /** Largest JSON body a POST may carry. */
  GATEWAY_MAX_BODY_BYTES: bytes(16 * 1024, 1024 * 1024),
  /** A comment line on every feed this often, so proxies keep idle streams open. */
  GATEWAY_SSE_HEARTBEAT: shortDuration('15s'),
  /** A feed client with this much unsent data is too slow: it is disconnected (it can resume). */
  GATEWAY_SSE_MAX_BUFFER_BYTES: bytes(1024 * 1024, 256 * 1024 * 1024),
  /** Feed connections at once; more are refused with 503. */
  GATEWAY_SSE_MAX_CLIENTS: z.coerce.number().int().min(1).max(100_000).default(10_000),
});
export type GatewayConfig = z.infer<typeof GatewayConfig>;
