/**
 * `sync` without `--wait` (nor `--dry-run` / `--employee`, which wait too) only starts the run and prints that it did:
 * `--json` and `--fail-on` would be silently ignored, so they are refused, before any run is started (`--quiet`, which
 * has nothing to silence there, is not). The built CLI against the real dev server.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtCliWithDevServer, runBuiltCli } from '../harness/cli';
import { devServerAddress, TEST_NAMESPACE } from '../harness/temporal';

const SAMPLE = path.resolve(__dirname, '../../examples');

describe('peakon-sync sync: options that need --wait', () => {
  const connected = builtCliWithDevServer();

  it('--json and --fail-on without --wait exit 1 naming them, and start no run', async () => {
    const temporal = connected();
    // The bundled sample under a tenant of its own, so a run it started (it must not) would be this test's alone.
    const tenant = `needs-wait-${randomUUID().slice(0, 8)}`;
    const folder = mkdtempSync(path.join(tmpdir(), 'sync-needs-wait-'));
    const configFile = path.join(folder, 'connector.yaml');
    const sample = readFileSync(path.join(SAMPLE, 'sample-config.yaml'), 'utf8');
    writeFileSync(configFile, sample.replace(/^tenant: demo$/m, `tenant: ${tenant}`).replace('path: ./sample-hr.csv', `path: ${JSON.stringify(path.join(SAMPLE, 'sample-hr.csv'))}`));
    const environment = { TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: TEST_NAMESPACE, PEAKON_SYNC_TASK_QUEUE: temporal.taskQueue };
    const sync = (...args: string[]) => runBuiltCli(['sync', '--config', configFile, ...args], environment);

    const cases: [string[], string][] = [
      [['--json'], '--json needs'],
      [['--fail-on', 'invalid-records'], '--fail-on invalid-records needs'],
      [['--json', '-q', '--fail-on', 'invalid-records'], '--json, --fail-on invalid-records need'],
    ];
    for (const [args, named] of cases) {
      const refused = await sync(...args);
      expect({ args, ...refused }).toEqual({ args, exitCode: 1, stdout: '', stderr: `${named} --wait (or --dry-run / --employee): without it the command only starts the run; nothing was started\n` });
    }
    // --quiet alone has nothing to silence there: accepted, the run started (a cron line with -q keeps working).
    const quiet = await sync('--quiet');
    expect(quiet).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(new RegExp(`^started peakon-sync/${tenant}/\\S+ on task queue `)) });
    const quietRun = /^started (\S+)/.exec(quiet.stdout)?.[1];
    // Only that run was started on the task queue the command used (the list catches up within moments: polled).
    const listed = async (): Promise<string[]> => {
      const started: string[] = [];
      for await (const run of temporal.client.workflow.list({ query: `TaskQueue = '${temporal.taskQueue}'` })) started.push(run.workflowId);
      return started;
    };
    let started = await listed();
    for (let tries = 0; tries < 20 && started.length === 0; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      started = await listed();
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    started = await listed();
    // (No worker polls the queue: a started run would wait forever. End them.)
    for (const workflowId of started) await temporal.client.workflow.getHandle(workflowId).terminate('started by this test').catch(() => undefined);
    expect(started).toEqual([quietRun]);
  }, 60_000);
});
