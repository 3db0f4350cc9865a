import { WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { readEncryptionKeys } from '../codec/keys';
import { emailMatchKey } from '../mapping/email';
import { employeeRef } from '../sync/employee-ref';
import type { SyncReport } from '../sync/report';
import { describeChange } from '../sync/trace';
import type { EmployeeOutcome, SyncPhase } from '../sync/types';
import { employeeRefKeyFromEnv, employeeRefKeyOf } from '../worker/create-worker';
import { employeeWorkflowId, isRunWorkflowType, type ConnectorWorkflowType } from '../workflows/ids';
import { z } from 'zod';
import { runFailureMessage } from './format-report';
import { readReportLines } from './report-file';
import { warnWhileWaiting, type ConnectedClient, type StopChecks } from './temporal-client';

/**
 * `peakon-sync/<tenant>/<time>…` → the tenant: of a run ID, or of the prefix a schedule gives its runs' IDs
 * (`peakon-sync/<tenant>/scheduled…`, client/schedules/update.ts). `notARun` is the error's message otherwise.
 */
export function tenantOfRun(runId: string, notARun = `${runId} is not a sync run ID (peakon-sync/<tenant>/<time>)`): string {
  const tenant = runId.split('/')[1];
  if (!runId.startsWith('peakon-sync/') || !tenant) throw new Error(notARun);
  return tenant;
}

/** The steps an employee can have in a run: phase 1 (create), phase 2 (update), and a leaver's write after phase 2. */
export type EmployeeStepPhase = SyncPhase | 'leave';
const STEP_PHASES: readonly EmployeeStepPhase[] = ['create', 'update', 'leave'];

export interface EmployeeStep {
  /** `leave`: a leaver's deactivation or deletion (workflow `…/leave/<ref>`); its outcome's phase is `update`. */
  phase: EmployeeStepPhase;
  workflowId: string;
  status: string;
  outcome?: EmployeeOutcome;
}

/**
 * The keys of the employee-ref hash a run may have used: the current encryption key's, then each old key's
 * (PEAKON_SYNC_ENCRYPTION_OLD_KEYS), derived exactly as the worker derives its own (employeeRefKeyOf). A run from
 * before a key rotation named its employees with the key that was current then.
 */
function employeeRefKeys(env: NodeJS.ProcessEnv): Array<Buffer | undefined> {
  const current = employeeRefKeyFromEnv(env).employeeRefKey;
  const keys = readEncryptionKeys(env);
  if (!keys) return [current];
  const old = [...keys.decryptionKeys.values()]
    .filter((key) => key.id !== keys.current.id)
    .map((key) => employeeRefKeyOf(key.secret));
  return [current, ...old];
}

/**
 * What a run recorded of an employee it started no workflow for: an invalid record (among the run's failures), or
 * the employee's line in the run's report file (unchanged, skipped with a reason, a leaver held and not done…), or,
 * for a run whose result is no report (failed, terminated, timed out: e.g. a `sync --employee` whose plan refused
 * the person's invalid or out-of-scope record; a failed partition's failure names the report file it wrote), how it
 * ended and why, in the words plain `status` prints; or why none
 * could be asked: the run is still running, or its report file is not on this host. Only this employee's line.
 */
export type EmployeeInRun =
  | { source: 'failures'; phase: string; reason: string; errorType?: string }
  | { source: 'report file'; reportPath: string; status: string; action: string; reason?: string; error?: string }
  | { source: 'run failed'; status: string; message: string }
  | { source: 'none'; running?: true; reportPathNotHere?: string; warning?: string };

/**
 * An employee's steps: `inRun` is set when there are none, saying what the run recorded of them instead. A property of
 * the list (not enumerable), so a caller that passes the list on to formatEmployeeSteps carries it (`status --employee`),
 * and the list's JSON, equality and copies are what they always were (`steps: []`).
 */
export type EmployeeSteps = EmployeeStep[] & { readonly inRun?: EmployeeInRun };

/**
 * An employee's workflows in one run, found by their email or employee number: workflow IDs carry only the keyed ref
 * (no personal data in plain text), which this computes with the same key as the worker. After a key rotation the
 * refs of every configured key are tried (current first): the one whose workflows exist is reported, else the current.
 * With no workflow, the run's own record of the employee is looked up (employeeInRun) and carried as `steps.inRun`.
 */
export async function employeeSteps(client: Client, runId: string, employeeKey: string, env: NodeJS.ProcessEnv = process.env): Promise<{ ref: string; steps: EmployeeSteps }> {
  const tenant = tenantOfRun(runId);
  const refs = [...new Set(employeeRefKeys(env).map((key) => employeeRef(key, tenant, employeeKey)))];
  for (const ref of refs) {
    const steps = await stepsOf(client, runId, ref);
    if (steps.length > 0) return { ref, steps };
  }
  const steps: EmployeeSteps = [];
  // Not enumerable: whatever compares, copies or serialises the list sees the empty list it always was.
  Object.defineProperty(steps, 'inRun', { value: await employeeInRun(client, runId, employeeKey, refs), enumerable: false });
  return { ref: refs[0] as string, steps };
}

/**
 * The run's record of one employee, matched as their workflows are: by the key the ref is hashed from (emailMatchKey:
 * an email case-insensitively, an employee number as written), or by a report line's own ref. First the run's result
 * (its failures: invalid records), then its report file, when this host can read it.
 */
export async function employeeInRun(client: Client, runId: string, employeeKey: string, refs: readonly string[]): Promise<EmployeeInRun> {
  const key = emailMatchKey(employeeKey);
  const handle = client.workflow.getHandle(runId);
  const described = await describeOrUndefined(client, runId);
  if (!described) return { source: 'none' };
  if (described.status.name === 'RUNNING') return { source: 'none', running: true };
  let report: SyncReport;
  try {
    report = (await handle.result()) as SyncReport;
  } catch (error) {
    // Ended without a report as its result (failed, terminated, timed out): no failures to look in, but the run's
    // failure says why, as plain `status` does (a one-person run's plan refusing the person's record names the field;
    // a failed partition's names the report file the run wrote first).
    if (error instanceof WorkflowFailedError) return { source: 'run failed', status: described.status.name.toLowerCase(), message: runFailureMessage(error) };
    // A result this client cannot read (encrypted with a key it no longer holds) or a connection that failed: the
    // steps were looked up and there are none; say that, and why the run's own record could not be read.
    return { source: 'none', warning: `the run's result could not be read (${error instanceof Error ? error.message : String(error)})` };
  }
  const failure = report.failures.find((line) => emailMatchKey(line.employeeKey) === key);
  if (failure) return { source: 'failures', phase: failure.phase, reason: failure.reason, ...(failure.errorType ? { errorType: failure.errorType } : {}) };
  if (!report.reportPath) return { source: 'none' };
  const read = readReportLines(report.reportPath);
  if (read === undefined) return { source: 'none', reportPathNotHere: report.reportPath };
  if ('warning' in read) return { source: 'none', warning: read.warning };
  const line = read.lines.find((candidate) => emailMatchKey(candidate.employeeKey) === key || (candidate.employeeRef !== undefined && refs.includes(candidate.employeeRef)));
  if (!line) return { source: 'none' };
  return {
    source: 'report file',
    reportPath: report.reportPath,
    status: line.status,
    action: line.action,
    ...(line.reason ? { reason: line.reason } : {}),
    ...(line.error ? { error: line.error } : {}),
  };
}

async function stepsOf(client: Client, runId: string, ref: string): Promise<EmployeeStep[]> {
  const steps: EmployeeStep[] = [];
  for (const phase of STEP_PHASES) {
    const workflowId = employeeWorkflowId(runId, phase, ref);
    const handle = client.workflow.getHandle(workflowId);
    try {
      const description = await handle.describe();
      const status = description.status.name;
      steps.push({ phase, workflowId, status, ...(status === 'COMPLETED' ? { outcome: (await handle.result()) as EmployeeOutcome } : {}) });
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }
  return steps;
}

export function formatEmployeeSteps(employeeKey: string, ref: string, steps: readonly EmployeeStep[] & { inRun?: EmployeeInRun }): string {
  if (steps.length === 0) return `${employeeKey} (${ref}): ${formatInRun(steps.inRun)}`;
  return steps
    .map((step) => {
      const outcome = step.outcome;
      const detail = outcome ? `${outcome.status}, ${outcome.operations} operations${outcome.reason ? ` — ${outcome.reason}` : ''}${outcome.changes?.length ? `: ${outcome.changes.map(describeChange).join(', ')}` : ''}` : step.status.toLowerCase();
      return `${employeeKey} ${step.phase}: ${detail} (${step.workflowId})`;
    })
    .join('\n');
}

/** What the run recorded of an employee it started no workflow for, after `<key> (<ref>): `. */
function formatInRun(inRun: EmployeeInRun | undefined): string {
  const nothing = 'no workflow in this run — the plan found nothing to write, or the employee is not in the HR read';
  switch (inRun?.source) {
    case 'failures':
      return `${inRun.phase === 'plan' ? "rejected by the run's plan, no workflow started" : `no workflow in this run (any more); among the run's failures, ${inRun.phase} phase`} — ${inRun.reason}${inRun.errorType ? ` (${inRun.errorType})` : ''}`;
    case 'report file': {
      const why = [inRun.error, inRun.reason].filter((text): text is string => text !== undefined).join('; ');
      return `no workflow in this run; the run's report says ${inRun.status} (action ${inRun.action})${why ? ` — ${why}` : ''} (${inRun.reportPath})`;
    }
    case 'run failed':
      // Not "without a report": a run whose partition failed wrote its report file first, and its failure names it.
      return `no workflow in this run; the run ended ${inRun.status}: ${inRun.message}`;
    case 'none':
      if (inRun.running) return 'no workflow in this run yet — the run is still running (its report says what became of the employee once it ends)';
      if (inRun.reportPathNotHere) return `no workflow in this run and not among its failures; the run's report file ${inRun.reportPathNotHere} is not on this host: its line there says what the run decided for the employee`;
      return inRun.warning ? `${nothing}; ${inRun.warning}` : nothing;
    default:
      return nothing;
  }
}

/** A tenant lock: runs started before stretchable leases hold a `tenantLockWorkflow`, runs since then the other (workflows/lock.ts). */
const LOCK_WORKFLOW_TYPES: ReadonlySet<string> = new Set<ConnectorWorkflowType>(['tenantLockWorkflow', 'stretchableTenantLockWorkflow']);
/** Children a run starts, directly (partitions) or through a partition (employees): each knows its parent. */
const CHILD_KINDS: Partial<Record<string, 'partition' | 'employee'>> = {
  syncPartitionWorkflow: 'partition',
  employeeCreateWorkflow: 'employee',
  employeeUpdateWorkflow: 'employee',
} satisfies Partial<Record<ConnectorWorkflowType, 'partition' | 'employee'>>;

/** What a lock's `holder` query answers and its memo holds (workflows/lock.ts); parsed, as anything read from Temporal. */
const LockHolderSchema = z.object({ holderRunId: z.string().min(1) });

/**
 * The sync run a tenant lock names as its holder without asking it (no worker needed): its memo (upserted by its first
 * workflow task), else its parent (the run that started it). Undefined only for a lock whose first task has not run and
 * that was started by hand: then only the `holder` query can tell.
 */
export function lockHolderFromDescription(description: Pick<WorkflowExecutionDescription, 'memo' | 'parentExecution'>): string | undefined {
  const memo = LockHolderSchema.safeParse(description.memo ?? {});
  return memo.success ? memo.data.holderRunId : (description.parentExecution?.workflowId ?? undefined);
}

/** A workflow of a run that is not the run itself: what it is, and how it stands. */
export interface RunMember {
  kind: 'partition' | 'employee' | 'lock';
  workflowId: string;
  /** The member's own Temporal status, lower case (`running`, `completed`, …). */
  status: string;
  /** One line for people: which child of which run, or which run holds the lock. */
  summary: string;
}

/** The sync run a workflow ID belongs to; `member` is set when the ID was a child or a tenant lock. */
export interface ResolvedRun {
  runId: string;
  member?: RunMember;
}

/** Child IDs extend their run's ID (workflows/ids.ts): the rest names the phase, wave, partition or employee ref. */
function partOfRun(workflowId: string, runId: string): string {
  return workflowId.startsWith(`${runId}/`) ? workflowId.slice(runId.length + 1) : workflowId;
}

async function describeOrUndefined(client: Client, workflowId: string, runId?: string): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId, runId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/** Walks up parents (an employee's is its partition, a partition's is the run) to the sync run. */
async function runAbove(client: Client, child: WorkflowExecutionDescription): Promise<string> {
  let current = child;
  for (let depth = 0; depth < 3; depth += 1) {
    const parentId = current.parentExecution?.workflowId;
    if (!parentId) break;
    const described = await describeOrUndefined(client, parentId, current.parentExecution?.runId ?? undefined);
    if (!described) throw new Error(`${child.workflowId} belongs to ${parentId}, which is no longer in Temporal (past the namespace's retention)`);
    if (isRunWorkflowType(described.type)) return described.workflowId;
    current = described;
  }
  throw new Error(`${child.workflowId} is a ${child.type} workflow without a sync run above it`);
}

/**
 * The sync run that `workflowId` belongs to: the run itself, a partition or an employee step of it (its parent run),
 * or a tenant lock (the run that holds it, or held it last). Resolved by workflow type and parent, not by parsing the
 * ID, so it holds whatever shape the IDs take. An unknown ID is an error of one line, naming where it was looked for.
 * A running lock is asked who holds it (a query needs a worker: the no-worker hint goes to `hints`).
 */
export async function resolveRun(connected: ConnectedClient, workflowId: string, hints: { write(text: string): unknown }, checks: StopChecks[] = []): Promise<ResolvedRun> {
  const description = await describeOrUndefined(connected.client, workflowId);
  if (!description) {
    throw new Error(`no workflow ${workflowId} in namespace ${connected.namespace} on ${connected.address}: expected a sync run (peakon-sync/<tenant>/<time>), one of its partition or employee workflows, or a tenant lock`);
  }
  const status = description.status.name.toLowerCase();
  if (isRunWorkflowType(description.type)) return { runId: workflowId };
  const childKind = CHILD_KINDS[description.type];
  if (childKind) {
    const runId = await runAbove(connected.client, description);
    const part = partOfRun(workflowId, runId);
    const summary = childKind === 'partition' ? `${workflowId} is partition ${part} of run ${runId}; the partition is ${status}` : `${workflowId} is employee step ${part} of run ${runId}; the step is ${status}`;
    return { runId, member: { kind: childKind, workflowId, status, summary } };
  }
  if (LOCK_WORKFLOW_TYPES.has(description.type)) {
    // Its memo or parent names the holder, so an operator investigating with no worker up still gets an answer.
    const named = lockHolderFromDescription(description);
    if (description.status.name === 'RUNNING') {
      let holderRunId = named;
      if (holderRunId === undefined) {
        // The run just described, not whatever run has the ID by the time the query is answered.
        const holding = connected.client.workflow.getHandle(workflowId, description.runId).query<unknown>('holder');
        // Its stop goes to the command's checks, which its connection closes after (closeAfterChecks), answered or not.
        checks.push(warnWhileWaiting(connected, description.taskQueue, holding, hints));
        holderRunId = LockHolderSchema.parse(await holding).holderRunId;
      }
      return { runId: holderRunId, member: { kind: 'lock', workflowId, status, summary: `${workflowId} is held by run ${holderRunId}` } };
    }
    // An ended lock answers no query without a worker replaying it; its memo and its parent both name the last holder.
    const holderRunId = named;
    if (!holderRunId) throw new Error(`${workflowId} is a tenant lock that is free (it ended ${status}) and names no run that held it`);
    return { runId: holderRunId, member: { kind: 'lock', workflowId, status, summary: `${workflowId} is free (the lock ended ${status}); it was last held by run ${holderRunId}` } };
  }
  throw new Error(`${workflowId} is a ${description.type} workflow, not a sync run, partition, employee step or tenant lock of peakon-sync`);
}
