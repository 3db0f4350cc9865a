/**
 * `peakon-sync runs <tenant>` lists runs that do not carry the tenant search attribute though the namespace has it:
 * runs started by a schedule created before the attribute was registered (its action sets none). They are found by
 * their workflow ID, OR'd with the attribute. Against the real dev server's visibility.
 */
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { listTenantRuns } from '../../client/commands/runs';
import { hasSearchAttributes } from '../../client/temporal-client';
import { connectorDataConverterFromEnv } from '../../worker/environment';
import { scheduledSyncWorkflowIdPrefix, syncWorkflowId, tenantLockWorkflowId } from '../../workflows/ids';
import { TENANT_SEARCH_ATTRIBUTE } from '../../workflows/search-attributes';
import { runCliInProcess, useCliEnvironment } from '../harness/cli';
import { connectToDevServer, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';
import { eventually } from '../harness/wait';

const RunsJsonSchema = z.array(z.object({ workflowId: z.string(), workflowType: z.string(), execution: z.string() }));

describe('peakon-sync runs <tenant>: runs without the tenant search attribute', () => {
  useCliEnvironment();
  let temporal: TemporalTestContext;
  const tenant = `legacy-${randomUUID().slice(0, 8)}`;
  const scheduleId = `test-legacy-${tenant}`;
  const taskQueue = `nobody-polls-${randomUUID()}`;
  const workflowIds: string[] = [];

  beforeAll(async () => {
    temporal = await connectToDevServer();
  });
  afterAll(async () => {
    await temporal.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    for (const workflowId of workflowIds) await temporal.client.workflow.getHandle(workflowId).terminate('test over').catch(() => undefined);
    await temporal.close();
  });

  it("lists a run started by a schedule that sets no tenant attribute, beside a run that has it, and no other tenant's", async () => {
    const { client } = temporal;
    // The namespace has the attribute: the query is the attribute OR the workflow ID.
    expect(await hasSearchAttributes(client, TEST_NAMESPACE)).toBe(true);
    // A schedule as created before the attribute was registered: its runs carry no search attribute.
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'scheduledSyncWorkflow', workflowId: `${scheduledSyncWorkflowIdPrefix(tenant)}-${scheduleId}`, taskQueue, args: [{}] },
      state: { paused: true },
    });
    await client.schedule.getHandle(scheduleId).trigger();
    const scheduled = await eventually('the scheduled run', async () => (await client.schedule.getHandle(scheduleId).describe()).info.recentActions[0]?.action.workflow.workflowId);
    workflowIds.push(scheduled);
    // A manual run with the attribute; another tenant whose name starts with this one's (no attribute), and the lock.
    const manual = await client.workflow.start('syncTenantWorkflow', { taskQueue, workflowId: syncWorkflowId(tenant, new Date()), args: [{}], typedSearchAttributes: [{ key: TENANT_SEARCH_ATTRIBUTE, value: tenant }] });
    const other = await client.workflow.start('syncTenantWorkflow', { taskQueue, workflowId: syncWorkflowId(`${tenant}-eu`, new Date()), args: [{}] });
    const lock = await client.workflow.start('tenantLockWorkflow', { taskQueue, workflowId: tenantLockWorkflowId(tenant), args: [{}] });
    workflowIds.push(manual.workflowId, other.workflowId, lock.workflowId);
    // All four in visibility first, so that the ones left out are left out by the query, not by its lag.
    const everyId = [scheduled, manual.workflowId, other.workflowId, lock.workflowId];
    await eventually('the four workflows in visibility', async () => {
      const listed: string[] = [];
      for await (const execution of client.workflow.list({ query: `WorkflowId STARTS_WITH "peakon-sync/${tenant}"` })) listed.push(execution.workflowId);
      return everyId.every((id) => listed.includes(id)) ? true : undefined;
    });

    const runs = RunsJsonSchema.parse(JSON.parse(await runCliInProcess('runs', tenant, '--json')));
    expect(runs.map((run) => run.workflowId).sort()).toEqual([manual.workflowId, scheduled].sort());
    expect(runs.find((run) => run.workflowId === scheduled)).toMatchObject({ workflowType: 'scheduledSyncWorkflow', execution: 'RUNNING' });
  }, 60_000);

  it('falls back to the workflow ID alone when the server does not know the attribute it was told the namespace has', async () => {
    const namespace = `runs-fallback-${randomUUID().slice(0, 8)}`;
    await temporal.client.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    const client = new Client({ connection: temporal.connection, namespace, dataConverter: connectorDataConverterFromEnv() });
    const run = await eventually('the new namespace to take a workflow', async () => {
      try {
        return await client.workflow.start('syncTenantWorkflow', { taskQueue, workflowId: syncWorkflowId(tenant, new Date()), args: [{}] });
      } catch {
        return undefined;
      }
    });
    try {
      await eventually('the run in visibility', async () => ((await client.workflow.count()).count >= 1 ? true : undefined));
      const { runs } = await listTenantRuns(client, tenant, { limit: 20, withSearchAttributes: true });
      expect(runs.map((listed) => listed.workflowId)).toEqual([run.workflowId]);
    } finally {
      await run.terminate('test over').catch(() => undefined);
    }
  }, 60_000);
});
