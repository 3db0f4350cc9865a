/**
 * A tenant's budget is the rate limit of its SCIM task queue, and Temporal splits a queue's rate limit across its
 * partitions (4 by default), pacing a run at about ×1.2 its operations ÷ budget. The pace bounds of
 * test/workflows/multi-worker.test.ts allow for a loaded CI machine (up to 1.5×), so they would not notice the partitions
 * coming back: this checks the setting itself, where both servers get it (the dev server's command line, and the
 * compose server's dynamic config file).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { startDevArguments } from '../../devserver/dev-server';

const PARTITION_KEYS = ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions'];

describe('one partition per task queue', () => {
  it('is asked of the dev server, for both reads and writes', () => {
    const args = startDevArguments({ ip: '127.0.0.1', port: 7233, uiPort: 8233, namespace: 'default' });
    const values = args.flatMap((arg, index) => (args[index - 1] === '--dynamic-config-value' ? [arg] : []));
    for (const key of PARTITION_KEYS) expect(values).toContain(`${key}=1`);
  });

  it("is in the compose server's dynamic config, for every task queue", () => {
    const compose = YAML.parse(readFileSync(path.resolve(__dirname, '../../docker-compose.yml'), 'utf8')) as { services: Record<string, { environment?: Record<string, string> }> };
    const file = path.basename(String(compose.services.temporal?.environment?.DYNAMIC_CONFIG_FILE_PATH));
    const config = YAML.parse(readFileSync(path.resolve(__dirname, '../../deploy/temporal/dynamicconfig', file), 'utf8')) as Record<string, { value: unknown; constraints?: object }[]>;
    for (const key of PARTITION_KEYS) expect(config[key]).toEqual([{ value: 1, constraints: {} }]);
  });
});
