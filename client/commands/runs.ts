import { type Client } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { extstoreInboundOptions, visit, walkListWorkflowExecutionsResponse } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import { InvalidArgumentError, type Command } from 'commander';
import { checkedTenantName } from '../../config/schema';
import { RUN_WORKFLOW_TYPES } from '../../workflows/ids';
import { TENANT_SEARCH_ATTRIBUTE } from '../../workflows/search-attributes';
import { grpcCode, GrpcStatus } from '../errors';
import { describeRunOutcome, SyncRunMemoSchema, type SyncRunMemo } from '../schedules/overview';
import { connectClient, hasSearchAttributes } from '../temporal-client';

/** One run of a tenant as `peakon-sync runs` shows it: IDs, times, statuses and counts, never personal data. */
export interface TenantRun {
  workflowId: string;
  runId: string;
  workflowType: string;
  startedAt: Date;
  closedAt?: Date;
  /** Temporal's execution status (RUNNING, COMPLETED, FAILED, TERMINATED, …). */
  execution: string;
  /** The sync's own outcome from its memo; absent when the run never wrote one (or its memo cannot be decoded). */
  outcome?: SyncRunMemo;
  /** Set when the memo is there but this client's codec cannot decode it (encrypted with a key it does not hold). */
  memoUnreadable?: true;
  /** A dry run (`sync --dry-run`, from its memo): it writes nothing, so its outcome's counts of writes stay 0. */
  dryRun?: true;
  /**
   * A completed dry run's plan, per action (`create`, `update`, `deactivate`, …: its report's `planned`), read from
   * the run's result; absent when that cannot be read. Counts only.
   */
  planned?: Record<string, number>;
}

export const DEFAULT_RUNS_LIMIT = 20;

/**
 * Visibility does not sort by start time on every store (the SQL stores reject ORDER BY and list running runs first,
 * then by close time): this many matching runs are read, then sorted. A tenant's runs in the retention period are
 * far fewer than this (one an hour for 30 days is 720).
 */
export const RUNS_READ_CAP = 2_000;

/**
 * The visibility query for a tenant's runs: by workflow ID, which always starts `peakon-sync/<tenant>/`
 * (workflows/ids.ts) — the trailing `/` keeps tenant `acme` from matching `acme-eu` — or, where the namespace has it,
 * by the tenant search attribute. Both, OR'd, where the attribute is registered: a schedule created before it was
 * registered starts its runs without it, and those runs are found by their ID. Either way only run workflow types: a
 * tenant's lock, partitions and employee steps share the ID prefix.
 */
export function tenantRunsQuery(tenant: string, withSearchAttributes: boolean): string {
  const types = RUN_WORKFLOW_TYPES.map((type) => JSON.stringify(type)).join(', ');
  // A double-quoted literal with JSON's escapes is a string in Temporal's list filter, whatever it holds.
  const byId = `WorkflowId STARTS_WITH ${JSON.stringify(`peakon-sync/${tenant}/`)}`;
  const tenantFilter = withSearchAttributes ? `(${TENANT_SEARCH_ATTRIBUTE.name} = ${JSON.stringify(tenant)} OR ${byId})` : byId;
  return `${tenantFilter} AND WorkflowType IN (${types})`;
}

/** The server refused the query because it names a search attribute the namespace does not have. */
function isUnknownAttribute(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { message } = error as { message?: unknown };
  return grpcCode(error) === GrpcStatus.INVALID_ARGUMENT && typeof message === 'string' && message.includes(TENANT_SEARCH_ATTRIBUTE.name);
}

type RawExecution = temporal.api.workflow.v1.IWorkflowExecutionInfo;

/**
 * A listed run. The memo is decoded row by row: a run whose memo this codec cannot read (an old key dropped since)
 * shows without its outcome instead of failing the whole list.
 */
async function tenantRun(client: Client, raw: RawExecution): Promise<TenantRun> {
  const converter = client.options.loadedDataConverter;
  const namespace = client.options.namespace;
  let memoUnreadable = false;
  let info;
  try {
    info = await executionInfoFromRaw(raw, converter, raw, namespace);
  } catch {
    memoUnreadable = true;
    info = await executionInfoFromRaw({ ...raw, memo: null }, converter, raw, namespace);
  }
  const outcome = SyncRunMemoSchema.safeParse(info.memo);
  const dryRun = !memoUnreadable && (info.memo as { dryRun?: unknown } | undefined)?.dryRun === true;
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    workflowType: info.type,
    startedAt: info.startTime,
    ...(info.closeTime ? { closedAt: info.closeTime } : {}),
    execution: info.status.name,
    ...(outcome.success ? { outcome: outcome.data } : {}),
    ...(memoUnreadable ? { memoUnreadable: true as const } : {}),
    ...(dryRun ? { dryRun: true as const } : {}),
  };
}

/**
 * What a completed dry run planned: its memo counts what was written (nothing), so the plan's counts come from the
 * run's result, its report's `planned`. Only the counts are kept (the report's plan lines name people). Undefined
 * when the result cannot be read (gone, or encrypted with a key this client does not hold).
 */
/** How many dry runs' results `runs` fetches at once. */
const DRY_RUN_RESULTS_AT_ONCE = 4;

async function dryRunPlanned(client: Client, run: TenantRun): Promise<Record<string, number> | undefined> {
  try {
    const report: unknown = await client.workflow.getHandle(run.workflowId, run.runId).result();
    const planned = (report as { planned?: unknown } | null)?.planned;
    if (typeof planned !== 'object' || planned === null) return undefined;
    return Object.fromEntries(Object.entries(planned).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1])));
  } catch {
    return undefined;
  }
}

/** The tenant's runs, manual and scheduled, newest first, through Temporal visibility (a second or so behind). */
export async function listTenantRuns(client: Client, tenant: string, options: { limit: number; withSearchAttributes: boolean }): Promise<{ runs: TenantRun[]; capped: boolean }> {
  let query = tenantRunsQuery(tenant, options.withSearchAttributes);
  const runs: TenantRun[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const request = { namespace: client.options.namespace, pageSize: 500, ...(nextPageToken ? { nextPageToken } : {}) };
    let response;
    try {
      response = await client.workflowService.listWorkflowExecutions({ ...request, query });
    } catch (error) {
      // The attribute was thought registered but is not (removed since, or another namespace's answer): by ID alone.
      if (nextPageToken || !options.withSearchAttributes || !isUnknownAttribute(error)) throw error;
      query = tenantRunsQuery(tenant, false);
      response = await client.workflowService.listWorkflowExecutions({ ...request, query });
    }
    await visit(response, walkListWorkflowExecutionsResponse, extstoreInboundOptions(client.options.loadedDataConverter.externalStorage));
    for (const raw of response.executions ?? []) runs.push(await tenantRun(client, raw));
    nextPageToken = response.nextPageToken && response.nextPageToken.length > 0 ? response.nextPageToken : undefined;
  } while (nextPageToken && runs.length < RUNS_READ_CAP);
  runs.sort((left, right) => right.startedAt.getTime() - left.startedAt.getTime() || left.workflowId.localeCompare(right.workflowId));
  const shown = runs.slice(0, options.limit);
  // Completed dry runs' results a few at a time, not one after another nor all at once: each is a whole report
  // (downloaded and decrypted for its counts alone, which is all dryRunPlanned keeps), and a large --limit must not
  // hold hundreds in memory or burst the frontend's rate limit.
  const dryRuns = shown.filter((run) => run.dryRun === true && run.execution === 'COMPLETED');
  let next = 0;
  const fetchNext = async (): Promise<void> => {
    for (let run = dryRuns[next++]; run; run = dryRuns[next++]) {
      const planned = await dryRunPlanned(client, run);
      if (planned) run.planned = planned;
    }
  };
  await Promise.all(Array.from({ length: DRY_RUN_RESULTS_AT_ONCE }, fetchNext));
  return { runs: shown, capped: nextPageToken !== undefined };
}

function time(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A dry run's plan's writes, in the order a run makes them: `47 to create, 3 to update`. */
const PLANNED_WRITES: readonly (readonly [string, string])[] = [
  ['create', 'to create'],
  ['update', 'to update'],
  ['discover', 'to discover (create or update)'],
  ['deactivate', 'to deactivate'],
  ['delete', 'to delete'],
];

/**
 * A completed dry run: `dry run: 47 to create, 3 to update (planned, nothing written); 2 ops`, with the invalid
 * records when there are some. Without its plan's counts (result unreadable) it still says it was a dry run.
 */
function dryRunOutcome(run: TenantRun & { outcome: SyncRunMemo }): string {
  const ops = run.outcome.operations !== undefined ? `; ${run.outcome.operations} ops` : '';
  const invalid = run.planned?.['invalid'] ?? run.outcome.counts?.failed ?? 0;
  const invalidText = invalid > 0 ? `, ${invalid} invalid record(s)` : '';
  if (!run.planned) return `dry run: nothing written (what it planned cannot be read here: peakon-sync status '${run.workflowId}'${invalidText})${ops}`;
  const planned = run.planned;
  const writes = PLANNED_WRITES.filter(([action]) => (planned[action] ?? 0) > 0).map(([action, words]) => `${planned[action]} ${words}`);
  return `dry run: ${writes.join(', ') || 'nothing to write'}${invalidText} (planned, nothing written)${ops}`;
}

/** The run's own outcome, worded as `schedule describe` words it (schedules/overview.ts); a dry run says what it planned. */
export function tenantRunOutcome(run: TenantRun): string {
  if (run.memoUnreadable) return `${run.execution} (its memo is encrypted with a key this client does not hold)`;
  const { outcome } = run;
  if (run.dryRun && outcome && run.execution === 'COMPLETED' && (outcome.status === 'completed' || outcome.status === 'completed_with_failures')) return dryRunOutcome({ ...run, outcome });
  // describeRunOutcome reads only the ID, the Temporal status and the memo; a manual run has no scheduled time.
  const described = describeRunOutcome({ workflowId: run.workflowId, runId: run.runId, scheduledAt: run.startedAt, startedAt: run.startedAt, execution: run.execution, ...(outcome ? { outcome } : {}) });
  return run.dryRun ? `dry run, ${described}` : described;
}

/** Said when listTenantRuns stopped at RUNS_READ_CAP: the newest of the runs read may not be the tenant's newest. */
const RUNS_CAPPED_NOTE = `read the first ${RUNS_READ_CAP} runs visibility returned; older runs may be missing`;

/**
 * What `runs` prints: the table, or with `--json` the runs as JSON alone on stdout (a script parses it) and the note
 * that the read was capped (the line the table ends with) on stderr: a JSON reader is told too, and the JSON keeps its shape.
 */
export function tenantRunsOutput(tenant: string, runs: readonly TenantRun[], capped: boolean, json: boolean): { stdout: string; stderr: string } {
  if (!json) return { stdout: `${formatTenantRuns(tenant, runs, capped)}\n`, stderr: '' };
  return {
    stdout: `${JSON.stringify(runs.map((run) => ({ ...run, outcomeText: tenantRunOutcome(run) })), null, 2)}\n`,
    stderr: capped ? `(${RUNS_CAPPED_NOTE})\n` : '',
  };
}

export function formatTenantRuns(tenant: string, runs: readonly TenantRun[], capped: boolean): string {
  if (runs.length === 0) return `No runs of tenant ${tenant} found (visibility lists a run a second or so after it starts; closed runs go after the namespace's retention period).`;
  const header = ['STARTED', 'WORKFLOW ID', 'STATUS', 'OUTCOME'];
  const table = runs.map((run) => [time(run.startedAt), run.workflowId, run.execution, tenantRunOutcome(run)]);
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((cells) => (cells[column] ?? '').length)));
  const lines = [header, ...table].map((cells) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
  if (capped) lines.push(`(${RUNS_CAPPED_NOTE})`);
  lines.push('', `Follow one: peakon-sync status '<workflow ID>'`);
  return lines.join('\n');
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('a whole number, 1 or more');
  return parsed;
}

/** `peakon-sync runs <tenant>`: the tenant's recent runs, whoever started them, with their workflow IDs for status, approve and cancel. */
export function registerRunsCommand(program: Command): void {
  program
    .command('runs <tenant>')
    .description("a tenant's recent runs, manual and scheduled, newest first: workflow ID (for status, approve, cancel), Temporal status and the run's outcome")
    .option('--limit <n>', `at most this many runs (default ${DEFAULT_RUNS_LIMIT})`, positiveInteger)
    .option('--json', 'print as JSON (stdout holds only the JSON; when the read was capped, the note goes to stderr)')
    .action(async (tenantArgument: string, flags: { limit?: number; json?: boolean }) => {
      const tenant = checkedTenantName(tenantArgument);
      const connected = await connectClient();
      try {
        const withSearchAttributes = await hasSearchAttributes(connected.client, connected.namespace);
        const { runs, capped } = await listTenantRuns(connected.client, tenant, { limit: flags.limit ?? DEFAULT_RUNS_LIMIT, withSearchAttributes });
        const output = tenantRunsOutput(tenant, runs, capped, flags.json === true);
        process.stdout.write(output.stdout);
        if (output.stderr) process.stderr.write(output.stderr);
      } finally {
        await connected.close();
      }
    });
}
