import { z } from 'zod';
import { formatDuration } from './options';
import type { StoredConfigStatus } from './stored-config';

/**
 * What `schedule list` and `schedule describe` show: plain data gathered from Temporal (see inspect.ts) and turned
 * into text here, so the layout is testable without a server.
 */

/** The memo a sync run keeps up to date (workflows/sync.ts `publish`): its outcome without fetching its result. */
export const SyncRunMemoSchema = z.object({
  status: z.enum(['running', 'awaiting_approval', 'completed', 'completed_with_failures', 'failed', 'skipped', 'cancelled', 'quarantined', 'lock_lost']),
  counts: z.object({ created: z.number(), updated: z.number(), deactivated: z.number().optional(), unchanged: z.number(), failed: z.number(), skipped: z.number() }).optional(),
  /** Set while the guard holds the run's leaver writes for a person's decision (null once decided). */
  awaitingApproval: z.object({ leavers: z.number(), reason: z.string().optional() }).nullable().optional(),
  /** Set at the end of a run whose guard held leaver writes: how many, and what became of them (no one named). */
  leavers: z.object({ held: z.number(), decision: z.enum(['approved', 'rejected', 'timed out', 'cancelled']) }).optional().catch(undefined),
  failures: z.number().optional(),
  operations: z.number().optional(),
  /** Why a scheduled run stopped before its sync began (workflows/scheduled.ts): a stored config that no longer validates. */
  message: z.string().optional(),
});
export type SyncRunMemo = z.infer<typeof SyncRunMemoSchema>;

export interface ScheduledRun {
  workflowId: string;
  runId: string;
  scheduledAt: Date;
  startedAt: Date;
  /** Temporal's execution status (RUNNING, COMPLETED, FAILED, TERMINATED, …) or NOT_FOUND once retention removed it. */
  execution: string;
  /** The sync's own outcome from its memo; absent when the run never got that far. */
  outcome?: SyncRunMemo;
  /** Set when the run's memo cannot be decoded here (encrypted with a key not configured): the codec's reason. */
  memoUnreadable?: string;
}

export interface SyncScheduleSummaryRow {
  scheduleId: string;
  tenant?: string;
  timing?: string;
  paused: boolean;
  note?: string;
  nextRunTimes: Date[];
  lastRunAt?: Date;
  /** `schedule list`: the key id(s) the memo is encrypted with when not the current key; `schedule rekey` re-encrypts it. */
  oldKey?: string;
}

export interface SyncScheduleOverview extends SyncScheduleSummaryRow {
  taskQueue?: string;
  workflowIdPrefix?: string;
  /** The config the schedule stores, and whether it still validates; absent when the action is not one this version reads. */
  storedConfig?: StoredConfigStatus;
  overlapPolicy: string;
  catchupWindowMs: number;
  actionsTaken: number;
  skippedBecauseStillRunning: number;
  missedCatchupWindow: number;
  /** Workflow IDs of runs this schedule started that are still running (all but one end quickly, skipped at the tenant lock). */
  running: string[];
  /** A running run whose leaver writes wait for approval: it holds the tenant lock, so the schedule's runs are skipped. */
  awaitingApproval?: { workflowId: string; leavers: number; reason?: string };
  /** Oldest first, as Temporal keeps them (the last 10 or so). */
  recentRuns: ScheduledRun[];
}

/** `completed (created 3, updated 1, failed 0; 12 ops)`, `skipped`, `FAILED`. */
export function describeRunOutcome(run: ScheduledRun): string {
  const { outcome } = run;
  if (run.memoUnreadable !== undefined) return `${run.execution} (memo unreadable: ${run.memoUnreadable})`;
  if (!outcome) return run.execution;
  if (outcome.message !== undefined && !outcome.counts) return `${outcome.status}: ${outcome.message.replace(/\s*\n\s*/g, ' ')}`;
  if (outcome.status === 'awaiting_approval' && run.execution === 'RUNNING') return `awaiting approval of ${outcome.awaitingApproval?.leavers ?? '?'} leaver write(s): peakon-sync approve|reject ${run.workflowId}`;
  if ((outcome.status === 'running' || outcome.status === 'awaiting_approval') && run.execution !== 'RUNNING') return `${run.execution.toLowerCase()} (the run ended without a report)`;
  // The memo's counts change only when its status does (workflows/sync.ts `publish`): while it runs they are those of
  // its start (or of the guard's decision), not what it has written so far.
  if (outcome.status === 'running') return `running (its counts show once it ends; its progress: peakon-sync status '${run.workflowId}')`;
  // The outcome was published, then the run was terminated, timed out or cancelled by Temporal: while its report was
  // being written, or after (releasing its lock, a workflow task failing after a bad deploy); it did not end so.
  if (run.execution !== 'RUNNING' && run.execution !== 'COMPLETED' && run.execution !== 'FAILED') return `${run.execution.toLowerCase()} after it recorded ${outcome.status} (its report may not have been written)`;
  const counts = outcome.counts;
  if (!counts || outcome.status === 'skipped') return outcome.status;
  const details = `created ${counts.created}, updated ${counts.updated}${counts.deactivated ? `, deactivated ${counts.deactivated}` : ''}, unchanged ${counts.unchanged}, failed ${counts.failed}`;
  const guard = outcome.leavers ? `; ${heldLeaversOutcome(outcome.leavers)}` : '';
  return `${outcome.status} (${details}${outcome.operations !== undefined ? `; ${outcome.operations} ops` : ''}${guard})`;
}

/** What became of the leaver writes the guard held: `300 leaver write(s) held, dropped: nobody approved in time`. */
export function heldLeaversOutcome(leavers: NonNullable<SyncRunMemo['leavers']>): string {
  const what = {
    approved: 'approved',
    rejected: 'rejected: dropped',
    'timed out': 'dropped: nobody approved in time',
    cancelled: 'dropped: the run stopped before anyone decided',
  }[leavers.decision];
  return `${leavers.held} leaver write(s) held, ${what}`;
}

function time(date: Date | undefined): string {
  return date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '—';
}

export function formatScheduleList(rows: readonly SyncScheduleSummaryRow[]): string {
  if (rows.length === 0) return 'No sync schedules. Create one with: peakon-sync schedule create --config <file> --every 1h';
  // A KEY column only while some schedule is under an old key: it fails once that key is dropped.
  const anyOldKey = rows.some((row) => row.oldKey !== undefined);
  const header = ['SCHEDULE', 'TENANT', 'WHEN', 'STATE', 'NEXT RUN', 'LAST RUN', ...(anyOldKey ? ['KEY'] : [])];
  const table = rows.map((row) => [
    row.scheduleId,
    row.tenant ?? '?',
    row.timing ?? '?',
    row.paused ? 'paused' : 'active',
    row.paused ? '—' : time(row.nextRunTimes[0]),
    time(row.lastRunAt),
    ...(anyOldKey ? [row.oldKey !== undefined ? `old key ${row.oldKey}: run peakon-sync schedule rekey ${row.scheduleId}` : 'current'] : []),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((cells) => (cells[column] ?? '').length)));
  return [header, ...table].map((cells) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** Where the config comes from, what it syncs, and whether the next run will accept it. */
function storedConfigLines(scheduleId: string, stored: StoredConfigStatus): string[] {
  const what = [stored.tenant !== undefined ? `tenant ${stored.tenant}` : undefined, stored.source !== undefined ? `source ${stored.source}` : undefined].filter((part) => part !== undefined).join(', ');
  const lines =
    stored.form === 'as-written'
      ? [`  config:        as written${stored.configFile !== undefined ? ` in ${stored.configFile}` : ''}${what ? `: ${what}` : ''}`]
      : [
          `  config:        a parsed copy stored by an earlier version${what ? `: ${what}` : ''}`,
          `                 its runs get no default for a setting added since; store it as written: peakon-sync schedule update ${scheduleId}`,
        ];
  if (stored.validates) return [...lines, '  validates:     yes, with this version (every run checks again before it starts)'];
  const problem = (stored.problem ?? '').split('\n').map((line) => `                 ${line}`);
  const consequence =
    stored.form === 'as-written'
      ? `runs fail until it is fixed: peakon-sync schedule update ${scheduleId} --config <file>`
      : `its runs use it unchecked; migrate with peakon-sync schedule update ${scheduleId} --config <file>`;
  return [...lines, `  validates:     NO, with this version: ${consequence}`, ...problem];
}

/**
 * What became of the runs the schedule started. Under ALLOW_ALL every due time starts a run, and one that meets another
 * sync of the tenant ends `skipped` at the tenant lock: those are counted among the recent runs (all Temporal keeps).
 * Temporal's own count of due times skipped while a run was running only counts under SKIP (schedules made before
 * ALLOW_ALL), so it is shown only there, or when it is not 0.
 */
function runsStartedDetails(overview: SyncScheduleOverview): string {
  const recent = overview.recentRuns.length;
  const skippedAtLock = overview.recentRuns.filter((run) => run.outcome?.status === 'skipped').length;
  const parts = [
    recent > 0 ? `skipped at the tenant lock: ${skippedAtLock} of the last ${recent}` : undefined,
    overview.overlapPolicy !== 'ALLOW_ALL' || overview.skippedBecauseStillRunning > 0 ? `not started while one was running: ${overview.skippedBecauseStillRunning}` : undefined,
    `missed the catch-up window: ${overview.missedCatchupWindow}`,
  ];
  return parts.filter((part) => part !== undefined).join(', ');
}

export function formatScheduleOverview(overview: SyncScheduleOverview): string {
  const lines = [
    `Schedule ${overview.scheduleId}${overview.tenant ? ` — tenant ${overview.tenant}` : ''}`,
    `  when:          ${overview.timing ?? '?'}`,
    `  state:         ${overview.paused ? 'paused' : 'active'}${overview.note ? ` (${overview.note})` : ''}`,
    `  task queue:    ${overview.taskQueue ?? '?'}`,
    ...(overview.storedConfig ? storedConfigLines(overview.scheduleId, overview.storedConfig) : []),
    `  overlap:       ${overview.overlapPolicy}, catch-up window ${formatDuration(overview.catchupWindowMs)}`,
    // Schedules made before ALLOW_ALL: a run stuck without ending skips every due time until it is terminated.
    ...(overview.overlapPolicy === 'SKIP' ? [`                 a stuck run blocks every later run; switch to ALLOW_ALL (the tenant lock keeps one sync at a time): peakon-sync schedule update ${overview.scheduleId}`] : []),
    `  runs started:  ${overview.actionsTaken} (${runsStartedDetails(overview)})`,
    `  running now:   ${overview.running.length > 0 ? overview.running.join(', ') : 'none'}`,
  ];
  const waiting = overview.awaitingApproval;
  if (waiting) {
    lines.push(
      `  AWAITING APPROVAL: ${waiting.workflowId} holds ${waiting.leavers} leaver write(s)${waiting.reason ? ` (${waiting.reason})` : ''};`,
      `                 it keeps the tenant lock, so this schedule's runs are skipped until someone decides:`,
      `                 peakon-sync approve ${waiting.workflowId}   or   peakon-sync reject ${waiting.workflowId}`,
    );
  }
  lines.push('', overview.paused ? 'Next runs: none while paused' : 'Next runs:');
  if (!overview.paused) for (const next of overview.nextRunTimes) lines.push(`  ${time(next)}`);
  lines.push('', overview.recentRuns.length > 0 ? 'Recent runs (newest first):' : 'Recent runs: none yet');
  for (const run of [...overview.recentRuns].reverse()) lines.push(`  ${time(run.startedAt)}  ${run.workflowId}  ${describeRunOutcome(run)}`);
  return lines.join('\n');
}
