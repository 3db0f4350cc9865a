import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSync } from '../client/start-sync';
import { generateEncryptionKey, readEncryptionKeys } from '../codec/keys';
import { connectClient } from '../client/temporal-client';
import { loadConfigFile } from '../config/load';
import { startDevServer } from '../devserver/dev-server';
import { startSandbox } from '../sandbox';
import type { SyncReport } from '../sync/report';
import { createSyncWorkers, defaultActivityDeps } from '../worker/create-worker';
import { parseSyncOperationsArgs, runProblems, syncOperationsResultFile, type RunWork } from './options';
import { orgShape, writeOrgCsv } from './org-data';

/**
 * What a sync spends of Peakon's budget (25,000 operations/hour/tenant): a first load and an immediate re-sync,
 * each with list discovery (the default) and with the guide's per-employee filter.
 * Pacing is lifted so the run measures operations, not the hour; time at the budget is computed from the counts.
 * It also reports the events in the parent workflow's history and in the longest partition's, against Temporal's
 * 51,200-event limit (4,096 suggests continue-as-new); employee workflows (a few events each) and the tenant lock are
 * not read (`npm run bench` reads every kind).
 * Run from the repository root: `npm run build && node dist/bench/sync-operations.js [employees] [list|filter]`;
 * figures go to bench/results/sync-operations-<employees>[-<discovery>].json, so a run of one discovery keeps the others'.
 */
const ARGS = parseSyncOperationsArgs(process.argv.slice(2));
const EMPLOYEES = ARGS.employees;
const DISCOVERIES = ARGS.discoveries;
const BUDGET_PER_HOUR = 25_000;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = mkdtempSync(path.join(tmpdir(), 'peakon-bench-sync-'));
  // Also when a start below fails (the dev server, the connections) and the finally further down is never reached.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  // Workers and clients refuse to start without a key: encrypt as production does (the workers read process.env).
  if (!readEncryptionKeys()) process.env.PEAKON_SYNC_ENCRYPTION_KEY = generateEncryptionKey();
  // The generated HR exports live here; workers read CSV files only inside their data directories.
  process.env.PEAKON_SYNC_DATA_DIR = dir;
  // The in-process workers' payloads, ownership ledgers and plan pages go here too, never to the operator's store (on a
  // worker host PEAKON_SYNC_PAYLOAD_STORE / PEAKON_SYNC_STATE_DIR name the production one), and go with it at the end.
  process.env.PEAKON_SYNC_PAYLOAD_STORE = `local:${path.join(dir, 'payloads')}`;
  process.env.PEAKON_SYNC_STATE_DIR = path.join(dir, 'state');
  const server = await startDevServer();
  const connection = await NativeConnection.connect({ address: server.address });
  const connected = await connectClient({ ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace });
  const results: Record<string, unknown>[] = [];
  // Runs whose figures are no measurement of a clean sync: not completed, failed employees, users missing, or other
  // work than expected (a first load not creating every active employee, a re-sync writing).
  const invalid: string[] = [];
  const shape = orgShape(EMPLOYEES);
  try {
    for (const discovery of DISCOVERIES) {
      const sandbox = await startSandbox({ token: 'bench', quotaPerHour: 10_000_000 });
      const csv = path.join(dir, `${discovery}.csv`);
      await writeOrgCsv(csv, shape);
      const base = loadConfigFile(path.resolve('examples/sample-config.yaml'));
      const config = {
        ...base,
        tenant: `bench-${discovery}`,
        peakon: { ...base.peakon, baseUrl: sandbox.baseUrl, operationsPerHour: 10_000_000 },
        source: { ...base.source, path: csv } as typeof base.source,
        sync: { ...base.sync, discovery, maxConcurrentEmployees: 50, maxConcurrentPartitions: 4 },
      };
      const taskQueue = `bench-${discovery}`;
      const workers = await createSyncWorkers({ connection, namespace: server.namespace, taskQueue, deps: { ...defaultActivityDeps(path.join(dir, discovery)), resolveSecret: () => sandbox.token }, maxConcurrentScimActivities: 50 });
      const runOnce = async (label: string, work: RunWork) => {
        const before = sandbox.ops().length;
        const started = performance.now();
        const handle = await startSync({ client: connected.client, namespace: server.namespace, taskQueue, config });
        const report: SyncReport = await handle.result();
        const ops = sandbox.ops().slice(before);
        const operations = ops.length;
        const operationsByMethod: Record<string, number> = {};
        for (const op of ops) operationsByMethod[op.method] = (operationsByMethod[op.method] ?? 0) + 1;
        const historyLength = async (workflowId: string) => (await connected.client.workflow.getHandle(workflowId).fetchHistory()).events?.length ?? 0;
        const partitionIds: string[] = [];
        for await (const execution of connected.client.workflow.list({ query: `WorkflowId STARTS_WITH "${handle.workflowId}/" AND WorkflowType = "syncPartitionWorkflow"` })) partitionIds.push(execution.workflowId);
        const partitionHistories = await Promise.all(
          partitionIds.map((workflowId) => historyLength(workflowId).catch(() => 0)),
        );
        const problems = runProblems({ status: report.status, failed: report.failuresTotal, users: sandbox.users().length, counts: { ...report.counts }, operationsByMethod }, { users: shape.employees - shape.leavers, work });
        if (problems.length) invalid.push(`${discovery} ${label}: ${problems.join(', ')}`);
        results.push({
          discovery,
          run: label,
          status: report.status,
          employees: report.employees,
          created: report.counts.created,
          updated: report.counts.updated,
          unchanged: report.counts.unchanged,
          failed: report.counts.failed,
          failuresTotal: report.failuresTotal,
          operations,
          operationsByMethod,
          operationsPerEmployee: Number((operations / EMPLOYEES).toFixed(3)),
          minutesAtPeakonBudget: Number((operations / (BUDGET_PER_HOUR / 60)).toFixed(1)),
          wallSecondsUnpaced: Number(((performance.now() - started) / 1000).toFixed(1)),
          parentHistoryEvents: await historyLength(handle.workflowId),
          largestPartitionHistoryEvents: Math.max(0, ...partitionHistories),
        });
        process.stderr.write(`${discovery} ${label}: ${operations} operations, status ${report.status}${problems.length ? `; INVALID: ${problems.join(', ')}` : ''}\n`);
      };
      await workers.runUntil(
        (async () => {
          await runOnce('first load', { kind: 'first load', created: shape.employees - shape.leavers });
          await runOnce('re-sync, nothing changed', { kind: 'unchanged re-sync' });
        })(),
      );
      await sandbox.close();
    }
    const output = { employees: EMPLOYEES, valid: invalid.length === 0, ...(invalid.length ? { invalidBecause: invalid } : {}), budgetPerHour: BUDGET_PER_HOUR, node: process.version, results };
    mkdirSync('bench/results', { recursive: true });
    const file = syncOperationsResultFile(ARGS);
    writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(output, null, 2)}\nwritten to ${file}\n`);
    if (invalid.length) {
      process.stderr.write(`INVALID: ${invalid.join('; ')}\n`);
      process.exitCode = 1;
    }
  } finally {
    try {
      await connected.close();
      await connection.close();
      await server.stop();
    } finally {
      // The CSVs, payloads, ledgers and plan pages: removed even when closing failed.
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
