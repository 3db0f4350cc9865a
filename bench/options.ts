import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SQLITE_PRAGMAS } from '../devserver/dev-server';

/**
 * The benchmarks' options and the names of their result files, pure so tests can check them: one result file per set
 * of options that changes the figures, the defaults leaving the names as they always were.
 */

export interface PipelineOptions {
  employees: number;
  changes: number;
  workers: number;
  latencyMs: number;
  maxEmployees: number;
  maxPartitions: number;
  historySample: number;
  firstLoadOnly: boolean;
  baseline: boolean;
  /** Every worker in its own process (none in the bench process), so worker memory is measured without the sandbox. */
  separateWorkers: boolean;
  /** Peakon's budget for the Temporal runs (config and sandbox quota); undefined: lifted. */
  budgetPerHour: number | undefined;
  /** Folder of the dev server's SQLite file (default: the run's temp folder); `memory`: no file. */
  dbDir: string | undefined;
  /** V8's old-space limit of each worker process (MiB); undefined: Node's default, sized from the host's memory. */
  workerHeapMiB: number | undefined;
}

export const DEFAULT_HISTORY_SAMPLE = 2000;

/** The default database folder (tmpfs), named as the default: `--db-dir /dev/shm` measures what no `--db-dir` does. */
const DEFAULT_DB_PARENT = '/dev/shm';

/** A folder in a file name: `/var/tmp` → `var_tmp`. */
const folderPart = (dir: string) => path.resolve(dir).replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]+/g, '_') || 'root';

/** `--db-dir` in a result file name; undefined for the default folder. */
function dbPart(dbDir: string | undefined): string | undefined {
  if (dbDir === undefined) return undefined;
  if (dbDir === 'memory') return 'db-memory';
  return path.resolve(dbDir) === DEFAULT_DB_PARENT ? undefined : `db-${folderPart(dbDir)}`;
}

/** One file per set of options that changes the figures, so runs at another latency or budget keep each other's. */
export function pipelineResultFile(options: PipelineOptions): string {
  const parts = [
    `pipeline-${options.employees}`,
    options.changes > 0 ? `changes-${options.changes}` : undefined,
    `latency-${options.latencyMs}`,
    options.workers > 1 ? `workers-${options.workers}` : undefined,
    options.separateWorkers ? 'separate-workers' : undefined,
    options.workerHeapMiB !== undefined ? `heap-${options.workerHeapMiB}` : undefined,
    options.budgetPerHour !== undefined ? `budget-${options.budgetPerHour}` : undefined,
    options.firstLoadOnly ? 'first-load-only' : undefined,
    options.maxEmployees ? `max-employees-${options.maxEmployees}` : undefined,
    options.maxPartitions ? `max-partitions-${options.maxPartitions}` : undefined,
    options.historySample !== DEFAULT_HISTORY_SAMPLE ? `history-sample-${options.historySample}` : undefined,
    // A paced run has no baseline anyway (its name says budget-B).
    !options.baseline && options.budgetPerHour === undefined ? 'no-baseline' : undefined,
    dbPart(options.dbDir),
  ];
  return resultFileNamed(parts);
}

export function parsePipelineOptions(args: string[]): PipelineOptions {
  const { values } = parseArgs({
    args,
    options: {
      employees: { type: 'string', default: '1000' },
      changes: { type: 'string', default: '0' },
      workers: { type: 'string', default: '1' },
      'latency-ms': { type: 'string', default: '0' },
      'max-employees': { type: 'string' },
      'max-partitions': { type: 'string' },
      'history-sample': { type: 'string', default: String(DEFAULT_HISTORY_SAMPLE) },
      'first-load-only': { type: 'boolean', default: false },
      'no-baseline': { type: 'boolean', default: false },
      'db-dir': { type: 'string' },
      'separate-workers': { type: 'boolean', default: false },
      'budget-per-hour': { type: 'string' },
      'worker-heap-mb': { type: 'string' },
    },
    strict: true,
  });
  const integer = (name: string, text: string | undefined, min: number): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${String(text)}`);
    return value;
  };
  const options: PipelineOptions = {
    employees: integer('employees', values.employees, 1),
    changes: integer('changes', values.changes, 0),
    workers: integer('workers', values.workers, 1),
    latencyMs: integer('latency-ms', values['latency-ms'], 0),
    // 0: the config's own (schema default) value.
    maxEmployees: values['max-employees'] === undefined ? 0 : integer('max-employees', values['max-employees'], 1),
    maxPartitions: values['max-partitions'] === undefined ? 0 : integer('max-partitions', values['max-partitions'], 1),
    historySample: integer('history-sample', values['history-sample'], 0),
    firstLoadOnly: values['first-load-only'] ?? false,
    // The baseline has no pacer: comparing it with a paced run would measure the budget.
    baseline: !(values['no-baseline'] ?? false) && values['budget-per-hour'] === undefined,
    budgetPerHour: values['budget-per-hour'] === undefined ? undefined : integer('budget-per-hour', values['budget-per-hour'], 1),
    dbDir: values['db-dir'],
    separateWorkers: values['separate-workers'] ?? false,
    workerHeapMiB: values['worker-heap-mb'] === undefined ? undefined : integer('worker-heap-mb', values['worker-heap-mb'], 64),
  };
  if (options.workerHeapMiB !== undefined && !options.separateWorkers) throw new Error('--worker-heap-mb limits worker processes: use it with --separate-workers');
  return options;
}

export interface ChildFloorNameOptions {
  employees: string;
  kind: string;
  likeBench: boolean;
  cliPragmas: boolean;
  inMemory: boolean;
  dbDir: string | undefined;
  sqlitePragmas: string[] | undefined;
}

/** child-floor's result file: one per set of options that changes the figures. */
export function childFloorResultFile(options: ChildFloorNameOptions): string {
  const parts = [
    `child-floor-${options.employees}`,
    options.kind === 'child-activity' ? undefined : options.kind,
    options.likeBench ? 'like-bench' : undefined,
  ];
  if (options.inMemory) {
    // No SQLite file: the folder and the pragmas change nothing.
    parts.push('in-memory');
  } else {
    parts.push(options.cliPragmas ? 'cli-pragmas' : undefined);
    // --cli-pragmas drops the pragmas; the connector's own list, spelt out, is the default.
    const pragmas = options.cliPragmas ? undefined : options.sqlitePragmas;
    const isDefault = pragmas === undefined || (pragmas.length === DEFAULT_SQLITE_PRAGMAS.length && pragmas.every((pragma, index) => pragma === DEFAULT_SQLITE_PRAGMAS[index]));
    if (!isDefault) parts.push(`pragmas-${pragmas.map((pragma) => pragma.replace(/[^A-Za-z0-9._-]+/g, '_')).join('-')}`);
    parts.push(dbPart(options.dbDir));
  }
  return resultFileNamed(parts);
}

/** `bench/results/<the parts given, joined by '-'>.json`: each option that changes the figures names its own file. */
export function resultFileNamed(parts: readonly (string | undefined)[]): string {
  return `bench/results/${parts.filter((part) => part !== undefined).join('-')}.json`;
}

/** What a run of the benchmarks must have done for its figures to measure that work. */
export type RunWork =
  /** Creates every active employee of the generated org (bench/org-data.ts: leavers are never created): one POST each, no other write. */
  | { kind: 'first load'; created: number }
  /** Writes nothing: no POST, PUT, PATCH or DELETE. */
  | { kind: 'unchanged re-sync' }
  /** Updates exactly the changed employees (one PATCH each, no other write). */
  | { kind: 'changed re-sync'; updated: number };

export interface RunOutcome {
  status: string;
  failed: number;
  /** Users in the sandbox after the run. */
  users: number;
  counts: Readonly<Record<string, number | undefined>>;
  /** Requests the sandbox received during the run, by HTTP method. */
  operationsByMethod: Readonly<Record<string, number>>;
}

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Why a run's figures are no measurement of a clean sync doing the expected work (none: they are). A run that did
 * less than its work (5 of 10 PATCHes) would otherwise publish better figures.
 */
export function runProblems(run: RunOutcome, expected: { users: number; work: RunWork }): string[] {
  const problems: string[] = [];
  if (run.status !== 'completed') problems.push(`status ${run.status}`);
  if (run.failed !== 0) problems.push(`${run.failed} failed`);
  if (run.users !== expected.users) problems.push(`${run.users} users in the sandbox, expected ${expected.users}`);
  const work = expected.work;
  if (work.kind === 'first load' && run.counts.created !== work.created) {
    problems.push(`first load created ${String(run.counts.created ?? 0)}, expected ${work.created} (every active employee)`);
  }
  if (work.kind === 'unchanged re-sync') {
    const writes = WRITE_METHODS.filter((method) => (run.operationsByMethod[method] ?? 0) > 0);
    if (writes.length) problems.push(`unchanged re-sync wrote ${writes.map((method) => `${run.operationsByMethod[method]} ${method}`).join(', ')}, expected no POST, PUT, PATCH or DELETE`);
  }
  if (work.kind === 'changed re-sync' && run.counts.updated !== work.updated) {
    problems.push(`re-sync updated ${String(run.counts.updated ?? 0)}, expected ${work.updated} (the changed employees)`);
  }
  // The report is the connector's own word: the sandbox's log must show the same writes, one request each (a report
  // of 10 updates with 5 PATCHes sent, or creates POSTed twice, is no measurement of the work).
  if (work.kind !== 'unchanged re-sync') {
    const [method, count, who] = work.kind === 'first load' ? ['POST', work.created, 'active employee'] : ['PATCH', work.updated, 'changed employee'];
    const sent = run.operationsByMethod[method] ?? 0;
    if (sent !== count) problems.push(`the sandbox received ${sent} ${method}, expected ${count} (one per ${who})`);
    const others = WRITE_METHODS.filter((other) => other !== method && (run.operationsByMethod[other] ?? 0) > 0);
    if (others.length) problems.push(`the sandbox also received ${others.map((other) => `${run.operationsByMethod[other]} ${other}`).join(', ')}, expected no write but ${method}`);
  }
  return problems;
}

/** How Temporal's run and the baseline's of the same work differ in requests by method (none: they sent the same). */
export function operationsMismatch(temporal: Readonly<Record<string, number>>, baseline: Readonly<Record<string, number>>): string[] {
  const methods = [...new Set([...Object.keys(temporal), ...Object.keys(baseline)])].sort();
  const differing = methods.filter((method) => (temporal[method] ?? 0) !== (baseline[method] ?? 0));
  if (differing.length === 0) return [];
  return [`requests differ from the baseline's: ${differing.map((method) => `${method} ${temporal[method] ?? 0} (baseline ${baseline[method] ?? 0})`).join(', ')}`];
}

/** map-csv's result file: one per row count, so a small run keeps the 50,000-row figures. */
export function mapCsvResultFile(rows: number): string {
  return resultFileNamed([`map-csv-${rows}`]);
}

/** Why a map-csv run is no measurement of mapping every row cleanly (none: it is). */
export function mapCsvProblems(rows: number, summary: { recordsRead: number; employees: number; problems: number }): string[] {
  const problems: string[] = [];
  if (summary.recordsRead !== rows) problems.push(`${summary.recordsRead} records read, expected ${rows}`);
  if (summary.employees !== rows) problems.push(`${summary.employees} employees mapped, expected ${rows}`);
  if (summary.problems > 0) problems.push(`${summary.problems} mapping problems`);
  return problems;
}

export const SYNC_OPERATIONS_DISCOVERIES = ['list', 'filter'] as const;
export type SyncOperationsDiscovery = (typeof SYNC_OPERATIONS_DISCOVERIES)[number];

/** `node dist/bench/sync-operations.js [employees] [list|filter]`. */
export function parseSyncOperationsArgs(args: readonly string[]): { employees: number; discoveries: SyncOperationsDiscovery[] } {
  const employees = Number(args[0] ?? 1000);
  if (!Number.isInteger(employees) || employees < 1) throw new Error(`employees must be an integer ≥ 1, got ${String(args[0])}`);
  const discovery = args[1];
  if (discovery !== undefined && !(SYNC_OPERATIONS_DISCOVERIES as readonly string[]).includes(discovery)) throw new Error(`discovery must be list or filter, got ${discovery}`);
  return { employees, discoveries: discovery === undefined ? [...SYNC_OPERATIONS_DISCOVERIES] : [discovery as SyncOperationsDiscovery] };
}

/** sync-operations' result file: one per size and discovery, so `… 1000 filter` keeps the list run's figures. */
export function syncOperationsResultFile(options: { employees: number; discoveries: readonly SyncOperationsDiscovery[] }): string {
  const both = SYNC_OPERATIONS_DISCOVERIES.every((discovery) => options.discoveries.includes(discovery));
  return resultFileNamed([`sync-operations-${options.employees}`, ...(both ? [] : options.discoveries)]);
}
