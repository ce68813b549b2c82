import { createLogger, loadConfig, runAsProcess } from '@hookrelay/platform';
import { IngestConfig, startIngest } from './index.js';

const log = createLogger('ingest');
runAsProcess('ingest', log, async () => startIngest(loadConfig(IngestConfig), log));
