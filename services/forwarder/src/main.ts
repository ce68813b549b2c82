import { createLogger, loadConfig, runAsProcess } from '@hookrelay/platform';
import { ForwarderConfig, startForwarder } from './index.js';

const log = createLogger('forwarder');
runAsProcess('forwarder', log, async () => startForwarder(loadConfig(ForwarderConfig), log));
