export { startState, type RunningState, type StateOptions } from './service.js';
export { StateEnv, type StateConfig } from './config.js';
export { StateConsumers } from './consumers.js';
