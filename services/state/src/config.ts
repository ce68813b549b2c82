import { z } from 'zod';
import { CommonEnv, port } from '@hookrelay/platform';

/** The state service's settings (DESIGN.md, The contract other tools rely on). */
export const StateEnv = CommonEnv.extend({
  DATABASE_PATH: z.string().min(1).default('./data/hookrelay.db'),
  STATE_PORT: port(8083),
});
export type StateConfig = z.infer<typeof StateEnv>;
