import { createLogger, loadConfig, runAsProcess } from '@hookrelay/platform';
import { StateEnv } from './config.js';
import { startState } from './service.js';

const log = createLogger('state');
runAsProcess('state', log, async () => startState(loadConfig(StateEnv), log));
