import { createLogger, loadConfig, runAsProcess } from '@hookrelay/platform';
import { OperatorConfig, startOperator } from './index.js';

const log = createLogger('operator');
runAsProcess('operator', log, async () => startOperator(loadConfig(OperatorConfig), log));
