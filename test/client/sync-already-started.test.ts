import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SyncReport } from '../../sync/report';
import { startSync } from '../../client/start-sync';
import { runCliInProcess } from '../harness/cli';
import { createPipelineFixture, type PipelineFixture } from '../harness/pipeline';
import { connectToDevServer, devServerAddress, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';

// Every start in this file happens "in the same second": run IDs name the second a run started (workflows/ids.ts).
const SAME_SECOND = new Date('2026-11-30T02:00:00.250Z');
jest.mock('../../client/start-sync', () => {
  const actual = jest.requireActual<typeof import('../../client/start-sync')>('../../client/start-sync');
  return { ...actual, startSync: (options: Parameters<typeof actual.startSync>[0]) => actual.startSync({ ...options, now: SAME_SECOND }) };
});

/** `peakon-sync sync` twice for one tenant within one second: the second start is skipped (exit 0; `--employee`: exit 1), not an error. */
describe('sync started twice for a tenant in the same second', () => {
  let temporal: TemporalTestContext;
  let fixture: PipelineFixture;
  let configPath: string;
  const savedEnvironment = { ...process.env };

  beforeAll(async () => {
    temporal = await connectToDevServer();
    fixture = await createPipelineFixture(temporal);
    configPath = path.join(fixture.stateDirectory, 'connector.json');
    writeFileSync(configPath, JSON.stringify(fixture.config));
    process.env.TEMPORAL_ADDRESS = devServerAddress();
    process.env.TEMPORAL_NAMESPACE = TEST_NAMESPACE;
    // No worker polls this queue: the first run stays running, holding its ID.
    process.env.PEAKON_SYNC_TASK_QUEUE = temporal.taskQueue;
  });
  afterEach(() => {
    process.exitCode = undefined;
  });
  afterAll(async () => {
    process.env = savedEnvironment;
    const runId = `peakon-sync/${fixture.config.tenant}/2026-11-30T02:00:00Z`;
    await temporal.client.workflow.getHandle(runId).terminate('test over').catch(() => undefined);
    await fixture.close();
    await temporal.close();
  });

  it('reports the second start as skipped, naming the run that holds the ID, and exits 0 (with and without --wait)', async () => {
    const runId = `peakon-sync/${fixture.config.tenant}/2026-11-30T02:00:00Z`;
    expect(await runCliInProcess('sync', '--config', configPath)).toContain(`started ${runId}`);
    expect(process.exitCode ?? 0).toBe(0);

    const waited = await runCliInProcess('sync', '--config', configPath, '--wait', '--quiet');
    expect(waited).toContain(`Sync ${runId} — skipped`);
    expect(waited).toContain(`another sync of tenant ${fixture.config.tenant} started in the same second is running as ${runId}; this start did nothing`);
    expect(process.exitCode ?? 0).toBe(0);

    const report = JSON.parse(await runCliInProcess('sync', '--config', configPath, '--wait', '--json')) as SyncReport;
    expect(report).toMatchObject({ tenant: fixture.config.tenant, runId, status: 'skipped', operations: 0 });
    expect(process.exitCode ?? 0).toBe(0);

    expect(await runCliInProcess('sync', '--config', configPath)).toMatch(/^skipped: another sync of tenant .+ is running as /m);
    expect(process.exitCode ?? 0).toBe(0);

    // The run that holds the ID is untouched.
    expect((await temporal.client.workflow.getHandle(runId).describe()).status.name).toBe('RUNNING');
  });

  it('a second `sync --employee` of the same person in that second did not sync them: exit 1, and stderr says the tenant was busy', async () => {
    const email = 'someone@example.com';
    // The first start (startSync itself: `sync --employee` waits for its run, and no worker polls here).
    const first = await startSync({ client: temporal.client, namespace: TEST_NAMESPACE, taskQueue: temporal.taskQueue, config: fixture.config, employeeKey: email });
    try {
      const errors: string[] = [];
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        errors.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      });
      let printed;
      try {
        printed = await runCliInProcess('sync', '--config', configPath, '--employee', email, '--quiet');
      } finally {
        stderr.mockRestore();
      }
      expect(printed).toContain(`Sync ${first.workflowId} — skipped`);
      expect(errors.join('')).toContain(`the employee was not synced: tenant ${fixture.config.tenant} was busy (another run of it is running; the report's message names it); retry once that run ends`);
      expect(process.exitCode).toBe(1);
    } finally {
      await first.terminate('test over').catch(() => undefined);
    }
  });
});
