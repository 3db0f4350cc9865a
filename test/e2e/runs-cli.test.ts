import { msToTs } from '@temporalio/common/lib/time';
import { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { generateEncryptionKey } from '../../codec/keys';
import { connectorDataConverterFromEnv } from '../../worker/environment';
import { syncWorkflowId, tenantLockWorkflowId } from '../../workflows/ids';
import { TENANT_SEARCH_ATTRIBUTE } from '../../workflows/search-attributes';
import { generateOrg } from '../fixtures/org';
import { TEST_NAMESPACE } from '../harness/temporal';
import { useScheduleCli } from '../harness/schedule-cli';
import { runCliInProcess } from '../harness/cli';
import { eventually } from '../harness/wait';
import { configAsWrittenFor, writeConfigFile } from '../schedules/config-as-written';
import type { SyncReport } from '../../sync/report';

const peakonSync = runCliInProcess;

const RunsJsonSchema = z.array(
  z.object({
    workflowId: z.string(),
    workflowType: z.string(),
    startedAt: z.string(),
    execution: z.string(),
    outcome: z.object({ status: z.string(), counts: z.object({ created: z.number(), updated: z.number() }).optional() }).optional(),
    outcomeText: z.string(),
    dryRun: z.literal(true).optional(),
    planned: z.record(z.string(), z.number()).optional(),
  }),
);
const DescribeJsonSchema = z.object({ recentRuns: z.array(z.object({ workflowId: z.string(), execution: z.string() })) });

async function runsJson(...args: string[]) {
  return RunsJsonSchema.parse(JSON.parse(await peakonSync('runs', ...args, '--json')));
}

/** An operator who triggers a schedule, or looks for a tenant's runs, gets the workflow IDs status, approve and cancel take. */
describe('peakon-sync schedule trigger and peakon-sync runs <tenant> (the CLI against a real Temporal server)', () => {
  const cli = useScheduleCli((tenant) => `test-runs-${tenant}`);

  it("trigger prints the started run's workflow ID; runs lists the tenant's manual and scheduled runs only, newest first, with their outcome", async () => {
    const { temporal, fixture, scheduleId } = cli;
    const { tenant } = fixture.config;
    fixture.writeEmployees(generateOrg(4, 2));
    const configPath = writeConfigFile(fixture, 'config.yaml', configAsWrittenFor(fixture));
    // Another tenant whose name starts with this one's: neither its search attribute nor its ID prefix is this tenant's.
    const other = await temporal.client.workflow.start('syncTenantWorkflow', {
      taskQueue: `nobody-polls-${randomUUID()}`,
      workflowId: syncWorkflowId(`${tenant}-eu`, new Date()),
      args: [{}],
      typedSearchAttributes: [{ key: TENANT_SEARCH_ATTRIBUTE, value: `${tenant}-eu` }],
    });
    const workers = await fixture.startWorkers();
    try {
      await workers.runUntil(
        (async () => {
          // A manual run, as an operator starts it; it ends before the trigger so the scheduled run is not skipped.
          const manual = await peakonSync('sync', '--config', configPath, '--wait', '--quiet');
          const manualId = /started (\S+)/.exec(manual)?.[1] ?? (await runsJson(tenant)).find((run) => run.workflowType === 'syncTenantWorkflow')?.workflowId;
          expect(manualId).toMatch(`peakon-sync/${tenant}/`);

          await peakonSync('schedule', 'create', '--config', configPath, '--every', '1h', '--id', scheduleId, '--paused');
          const triggered = await peakonSync('schedule', 'trigger', scheduleId);
          const scheduled = await eventually('the triggered run on the schedule', async () => DescribeJsonSchema.parse(JSON.parse(await peakonSync('schedule', 'describe', scheduleId, '--json'))).recentRuns[0]);
          expect(triggered).toContain(`triggered ${scheduleId}: run ${scheduled.workflowId} started `);
          expect(triggered).toContain(`peakon-sync status '${scheduled.workflowId}'`);
          expect(triggered).toContain(`peakon-sync cancel '${scheduled.workflowId}'`);
          await temporal.client.workflow.getHandle(scheduled.workflowId).result();

          const runs = await eventually('both runs closed in visibility', async () => {
            const listed = await runsJson(tenant);
            return listed.length === 2 && listed.every((run) => run.execution === 'COMPLETED' && run.outcome) ? listed : undefined;
          });
          // Newest first: the scheduled run, then the manual one; the other tenant's run is not listed.
          expect(runs.map((run) => [run.workflowId, run.workflowType])).toEqual([
            [scheduled.workflowId, 'scheduledSyncWorkflow'],
            [manualId, 'syncTenantWorkflow'],
          ]);
          expect(runs[0]?.outcomeText).toMatch(/^completed \(created 0, updated 0, unchanged 4, failed 0; \d+ ops\)$/);
          expect(runs[1]?.outcomeText).toMatch(/^completed \(created 4, updated 0, unchanged 0, failed 0; \d+ ops\)$/);
          expect(Date.parse(runs[0]?.startedAt ?? '')).toBeGreaterThan(Date.parse(runs[1]?.startedAt ?? ''));

          expect((await runsJson(tenant, '--limit', '1')).map((run) => run.workflowId)).toEqual([scheduled.workflowId]);
          const text = await peakonSync('runs', tenant);
          expect(text).toMatch(/^STARTED\s+WORKFLOW ID\s+STATUS\s+OUTCOME$/m);
          expect(text).toMatch(new RegExp(`^\\S+Z  ${scheduled.workflowId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+COMPLETED  completed \\(created 0,`, 'm'));
          expect(text).toContain(`${manualId ?? '?'}`);
          expect(text).not.toContain(other.workflowId);
          expect(text.indexOf(scheduled.workflowId)).toBeLessThan(text.indexOf(manualId ?? '?'));
        })(),
      );
    } finally {
      await other.terminate('test over').catch(() => undefined);
    }
  }, 90_000);

  it('finds runs by their workflow ID where the namespace has no tenant search attribute', async () => {
    const { temporal, fixture } = cli;
    const { tenant } = fixture.config;
    const namespace = `runs-test-${randomUUID().slice(0, 8)}`;
    await temporal.client.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    const client = new Client({ connection: temporal.connection, namespace, dataConverter: connectorDataConverterFromEnv() });
    const taskQueue = `nobody-polls-${randomUUID()}`;
    const start = (workflowType: string, workflowId: string) =>
      eventually('the new namespace to take a workflow', async () => {
        try {
          return await client.workflow.start(workflowType, { taskQueue, workflowId, args: [{}] });
        } catch {
          return undefined;
        }
      });
    // The tenant's run, a run of a tenant whose name starts with this one's, and the tenant's lock (not a run).
    const run = await start('syncTenantWorkflow', syncWorkflowId(tenant, new Date()));
    const handles = [run, await start('syncTenantWorkflow', syncWorkflowId(`${tenant}-eu`, new Date())), await start('tenantLockWorkflow', tenantLockWorkflowId(tenant))];
    process.env.TEMPORAL_NAMESPACE = namespace;
    try {
      // All three in visibility first, so that the ones left out are left out by the query, not by its lag.
      await eventually('the three workflows in visibility', async () => ((await client.workflow.count()).count >= 3 ? true : undefined));
      const runs = await runsJson(tenant);
      expect(runs.map((listed) => [listed.workflowId, listed.execution, listed.outcomeText])).toEqual([[run.workflowId, 'RUNNING', 'RUNNING']]);
    } finally {
      process.env.TEMPORAL_NAMESPACE = TEST_NAMESPACE;
      for (const handle of handles) await handle.terminate('test over').catch(() => undefined);
    }
  }, 90_000);

  it("trigger starts a run of a schedule under a key this CLI does not hold (another deployment's): it reads nothing encrypted", async () => {
    const { temporal, fixture } = cli;
    const id = `test-trigger-other-key-${fixture.config.tenant}`;
    const configPath = writeConfigFile(fixture, 'config-other-key.yaml', configAsWrittenFor(fixture));
    const ownKey = process.env.PEAKON_SYNC_ENCRYPTION_KEY;
    // Created by another deployment: its own key, its own task queue (nobody polls it here, so the run just waits).
    process.env.PEAKON_SYNC_ENCRYPTION_KEY = generateEncryptionKey();
    process.env.PEAKON_SYNC_TASK_QUEUE = `nobody-polls-${randomUUID()}`;
    try {
      await peakonSync('schedule', 'create', '--config', configPath, '--every', '1h', '--id', id, '--paused');
    } finally {
      if (ownKey === undefined) delete process.env.PEAKON_SYNC_ENCRYPTION_KEY;
      else process.env.PEAKON_SYNC_ENCRYPTION_KEY = ownKey;
      process.env.PEAKON_SYNC_TASK_QUEUE = temporal.taskQueue;
    }
    const workflowIds: string[] = [];
    try {
      // This CLI cannot decode the schedule's memo or config (schedule describe fails), yet triggers it.
      await expect(peakonSync('schedule', 'describe', id)).rejects.toThrow('which is not configured');
      const triggered = await peakonSync('schedule', 'trigger', id);
      const workflowId = new RegExp(`^triggered ${id}: run (\\S+) started `).exec(triggered)?.[1];
      expect(workflowId).toMatch(`peakon-sync/${fixture.config.tenant}/scheduled-${id}`);
      workflowIds.push(workflowId ?? '');
    } finally {
      for (const workflowId of workflowIds) await temporal.client.workflow.getHandle(workflowId).terminate('test over').catch(() => undefined);
      await temporal.client.schedule.getHandle(id).delete().catch(() => undefined);
    }
  }, 60_000);

  it('shows a dry run as what it planned, not as a run that created nothing; the JSON keeps its fields and adds dryRun and planned', async () => {
    const { temporal, fixture } = cli;
    const { tenant } = fixture.config;
    // More people than the first test synced: some are new whichever tests ran before, so the plan creates some.
    fixture.writeEmployees(generateOrg(9, 3));
    const configPath = writeConfigFile(fixture, 'config-dry-run.yaml', configAsWrittenFor(fixture));
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const before = fixture.sandbox.ops().length;
        const started = await peakonSync('sync', '--config', configPath, '--dry-run', '--quiet');
        const workflowId = /started (\S+)/.exec(started)?.[1] ?? '';
        expect(workflowId).toMatch(`peakon-sync/${tenant}/`);
        const report = (await temporal.client.workflow.getHandle(workflowId).result()) as SyncReport;
        expect(report.dryRun).toBe(true);
        const planned = report.planned ?? {};
        expect(planned['create']).toBeGreaterThan(0);
        expect({ discover: planned['discover'], deactivate: planned['deactivate'], delete: planned['delete'], invalid: planned['invalid'] }).toEqual({ discover: 0, deactivate: 0, delete: 0, invalid: 0 });
        // Nothing written: the dry run only read.
        expect(fixture.sandbox.ops().slice(before).every((op) => op.method === 'GET')).toBe(true);

        const run = await eventually('the dry run closed in visibility', async () => (await runsJson(tenant)).find((listed) => listed.workflowId === workflowId && listed.execution === 'COMPLETED' && listed.outcome));
        const expected = `dry run: ${planned['create']} to create${planned['update'] ? `, ${planned['update']} to update` : ''} (planned, nothing written); ${report.operations} ops`;
        expect(run.outcomeText).toBe(expected);
        expect(run.dryRun).toBe(true);
        expect(run.planned).toEqual(planned);
        // The memo's counts, as before: what was written (nothing).
        expect(run.outcome).toMatchObject({ status: 'completed', counts: { created: 0, updated: 0 } });

        const line = (await peakonSync('runs', tenant)).split('\n').find((text) => text.includes(workflowId));
        expect(line).toMatch(new RegExp(`  COMPLETED +${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
        expect(line).not.toContain('created 0');
      })(),
    );
  }, 90_000);
});
