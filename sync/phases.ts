/**
 * How the parent workflow turns the plan into work, phase by phase. Pure and deterministic (workflow code runs it):
 * no I/O, no clocks. Phase 1 runs wave by wave (managers before their reports); phase 2 after every create.
 */
import { createBodyWithout, deferredReferencesWrite, withoutReferences } from './payloads';
import type { LightPlanEntry, PlanEntry } from './plan';
import type { CreateWork, EmployeeChange, EmployeeOutcome, UpdateMethod, UpdateWork } from './types';

/** A partition child's input stays well below Temporal's 512 KB payload warning even before external storage. */
export const MAX_PARTITION_BYTES = 256 * 1024;

/** Splits work into partitions of at most `maxCount` items and about `maxBytes` of JSON each (never empty). */
export function partitionBySize<T>(items: readonly T[], maxCount: number, maxBytes: number = MAX_PARTITION_BYTES): T[][] {
  const partitions: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = JSON.stringify(item).length;
    if (current.length > 0 && (current.length >= maxCount || bytes + size > maxBytes)) {
      partitions.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) partitions.push(current);
  return partitions;
}

/**
 * The most partitions one phase makes (phase 1 across all its waves, phase 2, the leavers), whatever the tenant's size
 * and `sync.partitionSize` (minimum 1). Each partition costs the parent about 9 history events (child initiated,
 * started, completed, and the workflow tasks that see them), so three phases of at most 200 partitions, plus one
 * partial partition per wave (at most MAX_CREATE_WAVES), stay under 5,600 events: about half of Temporal's 10,240-event
 * warning, the rest left for the lease renewals of long phases. Without it 50,000 employees at partitionSize ≤ 9 pass
 * the 51,200-event limit, where the server terminates the run. At the default settings the cap first bites at about
 * 40,000 employees in one phase.
 */
export const MAX_PARTITIONS_PER_PHASE = 200;

/** A batch's partition size: `usual` by the settings alone, `capped` the size the cap on partitions asks for. */
export interface PartitionSizing {
  usual: number;
  capped: number;
}

/**
 * The partition sizes of one phase whose batches (phase 1: one per wave, in wave order; phases 2 and leavers: one) hold
 * `batches[i]` employees. `usual`: no larger than needed to keep every partition slot busy (a wave of 400 with 2 slots
 * runs as 2 × 200, not as 200 + 200 + a small last partition that runs alone), at most `partitionSize`. When the usual
 * sizes make no more than MAX_PARTITIONS_PER_PHASE partitions, `capped` equals `usual`: ordinary runs are untouched.
 * Otherwise each batch gets at most ⌈n / floor⌉ partitions of even size, floor = ⌈phase total / the cap⌉, so the phase
 * makes at most the cap plus one partition per batch. Pure: the workflow decides which size a run may use.
 */
export function partitionSizesOfPhase(batches: readonly number[], settings: { partitionSize: number; maxConcurrentPartitions: number }): PartitionSizing[] {
  const usual = batches.map((count) => Math.max(1, Math.min(settings.partitionSize, Math.ceil(count / settings.maxConcurrentPartitions))));
  const usualPartitions = batches.reduce((sum, count, index) => sum + Math.ceil(count / (usual[index] ?? 1)), 0);
  if (usualPartitions <= MAX_PARTITIONS_PER_PHASE) return usual.map((size) => ({ usual: size, capped: size }));
  const floor = Math.ceil(batches.reduce((sum, count) => sum + count, 0) / MAX_PARTITIONS_PER_PHASE);
  return batches.map((count, index) => {
    const size = usual[index] ?? 1;
    return { usual: size, capped: count === 0 ? size : Math.max(size, Math.ceil(count / Math.ceil(count / floor))) };
  });
}

/**
 * Why a reference to a person is left out (the warning's words after "left out: "): a reference the plan or phase 1
 * cannot resolve yet is never sent, rather than a write Peakon refuses or gives to someone else.
 */
export const COULD_NOT_BE_CREATED = 'that person could not be created in Peakon';
/**
 * A person this run gives a new email (a listing plan's rename, sync/plan.ts withoutUnreachableReferences; filter
 * discovery's found update, missingPeople): Peakon holds the new email only once their own update ran, which phase 2
 * does not order, so a reference to it is written by the next run.
 */
export const RENAMED_BY_THIS_RUN = 'the person is renamed to it by this run; written by the next run';

/** Emails (lower-case) a reference must not name yet, each with why it is left out (missingPeople). */
export type Unreferable = ReadonlyMap<string, string>;

/**
 * Emails (lower-case) of people phase 1 did not bring into Peakon, among the waves before `beforeWave`: a reference
 * to them would be rejected; with why (COULD_NOT_BE_CREATED, RENAMED_BY_THIS_RUN).
 * Also, when `renamed()` says so (the workflow's patched() marker, asked only when there is such a person), those
 * filter discovery found under another email: their found update writes the HR email only in phase 2, so until then
 * Peakon would reject a reference to it (a create sent twice, the second without it), and phase 2 does not order a
 * report's write after their manager's rename.
 */
export function missingPeople(entries: readonly LightPlanEntry[], outcomes: ReadonlyMap<string, EmployeeOutcome>, beforeWave = Number.POSITIVE_INFINITY, options: { renamed?: () => boolean } = {}): Map<string, string> {
  const missing = new Map<string, string>();
  for (const entry of entries) {
    if (!entry.create || entry.wave >= beforeWave) continue;
    const outcome = outcomes.get(entry.ref);
    // A skipped person with a Peakon id exists (someone else created them after the plan's listing): referable.
    if (!outcome || outcome.status === 'failed' || (outcome.status === 'skipped' && outcome.peakonUserId === undefined)) missing.set(entry.create.userName.toLowerCase(), COULD_NOT_BE_CREATED);
    else if (renamedByFoundUpdate(outcome) && options.renamed?.() === true) missing.set(entry.create.userName.toLowerCase(), RENAMED_BY_THIS_RUN);
  }
  return missing;
}

/** Filter discovery found the person's user under another email: the found update (phase 2) changes its userName. */
function renamedByFoundUpdate(outcome: EmployeeOutcome): boolean {
  return outcome.status === 'found' && outcome.update?.changes.some((change) => change.field === 'userName' && change.peakon !== true) === true;
}

function referencesTo(missing: Unreferable, references: Record<string, string>): string[] {
  return Object.entries(references).filter(([, email]) => missing.has(email.toLowerCase())).map(([attribute]) => attribute);
}

const leftOut = (missing: Unreferable, attribute: string, email: string | undefined) => `${attribute} (${email ?? '?'}) left out: ${(email !== undefined ? missing.get(email.toLowerCase()) : undefined) ?? COULD_NOT_BE_CREATED}`;

/**
 * One employee's step of a phase, by position (`at`): the plan entry's index, or its slot in a stored plan. The parent
 * decides steps from light entries; the work itself (`createWorkOf`, `updateWorkOf`) needs the full entry, which the
 * parent has only for a plan that was not stored.
 */
export interface CreateStep {
  at: number;
  /** Employee references to leave out of the create: their targets' creates failed in an earlier wave. */
  drop?: string[];
}

export type UpdateStep =
  /** The planned update (or leaver write) of a person already in Peakon; `drop`: references to people phase 1 could not create. */
  | { at: number; kind: 'planned'; drop?: string[] }
  /**
   * The references a create this run could not carry; `dropFromCreate`: those its create left out (their targets could
   * not be created, or Peakon rejected them), for a PUT body.
   */
  | { at: number; kind: 'deferred'; peakonUserId: string; references: Record<string, string>; dropFromCreate?: string[] }
  /** What filter discovery found to differ (the outcome carries the write). */
  | { at: number; kind: 'found'; ref: string; employeeKey: string; peakonUserId: string; update: EmployeeChange };

/** Where an entry is: its slot when the plan is stored, else its index. */
const positionOf = (entry: LightPlanEntry, index: number) => entry.slot ?? index;

/** Phase-1 steps of one wave; references to people whose create failed in an earlier wave are left out with a warning. */
export function createStepsOfWave(entries: readonly LightPlanEntry[], wave: number, missing: Unreferable): { steps: CreateStep[]; warnings: Map<string, string[]> } {
  const steps: CreateStep[] = [];
  const warnings = new Map<string, string[]>();
  entries.forEach((entry, index) => {
    if (!entry.create || entry.wave !== wave) return;
    const dropped = referencesTo(missing, entry.create.createReferences);
    if (dropped.length === 0) {
      steps.push({ at: positionOf(entry, index) });
      return;
    }
    steps.push({ at: positionOf(entry, index), drop: dropped });
    warnings.set(entry.ref, dropped.map((attribute) => leftOut(missing, attribute, entry.create?.createReferences[attribute])));
  });
  return { steps, warnings };
}

/** The create a step asks for: the entry's own, or a copy without the dropped references. */
export function createWorkOf(entry: PlanEntry, step: CreateStep): CreateWork {
  const create = entry.create;
  if (!create) throw new Error(`plan entry ${entry.ref} has no create`);
  if (!step.drop?.length) return create;
  const dropped = step.drop;
  const createReferences = Object.fromEntries(Object.entries(create.createReferences).filter(([attribute]) => !dropped.includes(attribute)));
  return { ...create, createBody: createBodyWithout(create.createBody, dropped), createReferences };
}

/** The creates of steps into a plan held in full (positions are indexes). */
export function createWorkOfSteps(entries: readonly PlanEntry[], steps: readonly CreateStep[]): CreateWork[] {
  return steps.map((step) => createWorkOf(entries[step.at] as PlanEntry, step));
}

/** Phase-1 work of one wave, for a plan the parent holds in full. */
export function createWorkOfWave(entries: readonly PlanEntry[], wave: number, missing: Unreferable): { work: CreateWork[]; warnings: Map<string, string[]> } {
  const { steps, warnings } = createStepsOfWave(entries, wave, missing);
  return { work: createWorkOfSteps(entries, steps), warnings };
}

/**
 * Phase-2 steps: the planned updates of people already in Peakon, the references that creates could not carry, and
 * what filter discovery found to differ. References to people phase 1 could not create are left out with a warning;
 * from what filter discovery found only when `dropFromFound()` says so (the workflow's patched() marker: runs recorded
 * before sent them, so replaying them must schedule the same writes). Asked only when such a reference is there.
 */
export function updateSteps(entries: readonly LightPlanEntry[], outcomes: ReadonlyMap<string, EmployeeOutcome>, missing: Unreferable, options: { dropFromFound?: () => boolean } = {}): { steps: UpdateStep[]; warnings: Map<string, string[]> } {
  const steps: UpdateStep[] = [];
  const warnings = new Map<string, string[]>();
  entries.forEach((entry, index) => {
    const at = positionOf(entry, index);
    if (entry.action === 'update' && entry.update) {
      // A new manager whose create failed: Peakon would reject the reference (a wasted operation, then a retry without it).
      const dropped = referencesTo(missing, entry.update.references);
      if (dropped.length) warnings.set(entry.ref, dropped.map((attribute) => leftOut(missing, attribute, entry.update?.references[attribute])));
      steps.push({ at, kind: 'planned', ...(dropped.length ? { drop: dropped } : {}) });
      return;
    }
    if (!entry.create) return;
    const outcome = outcomes.get(entry.ref);
    if (!outcome?.peakonUserId) return;
    if (outcome.status === 'created' && entry.deferredReferences) {
      const dropped = referencesTo(missing, entry.deferredReferences);
      if (dropped.length) warnings.set(entry.ref, dropped.map((attribute) => leftOut(missing, attribute, entry.deferredReferences?.[attribute])));
      const references = Object.fromEntries(Object.entries(entry.deferredReferences).filter(([attribute]) => !dropped.includes(attribute)));
      if (Object.keys(references).length === 0) return;
      const dropFromCreate = [...new Set([...referencesTo(missing, entry.create.createReferences), ...(outcome.referencesLeftOut ?? [])])];
      steps.push({ at, kind: 'deferred', peakonUserId: outcome.peakonUserId, references, ...(dropFromCreate.length ? { dropFromCreate } : {}) });
    } else if (outcome.status === 'found' && outcome.update) {
      const { update } = outcome;
      // A report's new manager filter discovery did not bring into Peakon: their create failed, or they were skipped
      // because their key is another person's user, which Peakon would take the reference for.
      const dropped = referencesTo(missing, update.references);
      if (dropped.length === 0 || options.dropFromFound?.() !== true) {
        steps.push({ at, kind: 'found', ref: entry.ref, employeeKey: entry.employeeKey, peakonUserId: outcome.peakonUserId, update });
        return;
      }
      warnings.set(entry.ref, dropped.map((attribute) => leftOut(missing, attribute, update.references[attribute])));
      // Pushed also when nothing is left: the employee's step then reports them unchanged, with the warning, as for a
      // planned update whose only change was such a reference (and is counted, which a step left out would not be).
      steps.push({ at, kind: 'found', ref: entry.ref, employeeKey: entry.employeeKey, peakonUserId: outcome.peakonUserId, update: changeWithout(update, dropped) });
    }
  });
  return { steps, warnings };
}

/** A change without the `dropped` references: not in its write, its references or its listed changes. */
function changeWithout<Change extends Pick<EmployeeChange, 'write' | 'references' | 'changes'>>(change: Change, dropped: readonly string[]): Change {
  const { write, references, changes } = change;
  return {
    ...change,
    write: withoutReferences(write, dropped, changes),
    references: Object.fromEntries(Object.entries(references).filter(([attribute]) => !dropped.includes(attribute))),
    changes: changes.filter((fieldChange) => !dropped.includes(fieldChange.field)),
  };
}

/** The write of a phase-2 step; `entry` is needed for planned and deferred steps (a found step carries its own). */
export function updateWorkOf(entry: PlanEntry | undefined, step: UpdateStep, method: UpdateMethod): UpdateWork {
  if (step.kind === 'found') return { ref: step.ref, employeeKey: step.employeeKey, peakonUserId: step.peakonUserId, ...step.update, createdThisRun: false };
  if (!entry) throw new Error(`phase-2 step at ${step.at} needs its plan entry`);
  if (step.kind === 'planned') {
    if (!entry.update) throw new Error(`plan entry ${entry.ref} has no update`);
    if (!step.drop?.length) return { ...entry.update, createdThisRun: false };
    return { ...changeWithout(entry.update, step.drop), createdThisRun: false };
  }
  if (!entry.create) throw new Error(`plan entry ${entry.ref} has no create`);
  const changes = Object.entries(step.references).map(([field, to]) => ({ field, from: null, to, peakon: true as const }));
  return { ref: entry.ref, employeeKey: entry.employeeKey, peakonUserId: step.peakonUserId, write: deferredReferencesWrite(step.references, createBodyWithout(entry.create.createBody, step.dropFromCreate ?? []), method), references: step.references, changes, createdThisRun: true };
}

/** The writes of phase-2 (or leaver) steps into a plan held in full (positions are indexes). */
export function updateWorkOfSteps(entries: readonly PlanEntry[], steps: readonly UpdateStep[], method: UpdateMethod): UpdateWork[] {
  return steps.map((step) => updateWorkOf(entries[step.at], step, method));
}

/** Phase-2 work, for a plan the parent holds in full. */
export function updateWork(entries: readonly PlanEntry[], outcomes: ReadonlyMap<string, EmployeeOutcome>, missing: Unreferable, method: UpdateMethod): { work: UpdateWork[]; warnings: Map<string, string[]> } {
  const { steps, warnings } = updateSteps(entries, outcomes, missing);
  return { work: updateWorkOfSteps(entries, steps, method), warnings };
}

/** The leavers' writes (after phase 2, behind the guard): planned steps of the entries whose update is a leaver's. */
export function leaverSteps(entries: readonly LightPlanEntry[]): UpdateStep[] {
  return entries.flatMap((entry, index): UpdateStep[] => (entry.update?.leaver ? [{ at: positionOf(entry, index), kind: 'planned' }] : []));
}
