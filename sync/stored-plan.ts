/**
 * A plan kept out of workflow history and memory: the plan activity stores the full entries (bodies, changes) in
 * pages in the payload store, encrypted, and hands the parent workflow only light entries (sync/plan.ts
 * `LightPlanEntry`). Partitions load the pages their employees are on; the report loads them all. Pure: workflow
 * code imports the types and `lightEntryOf`'s shape, activities the rest.
 */
import type { LightPlanEntry, PlanEntry } from './plan';
import type { HrIdIndexRef } from './types';

/** Where a stored plan's pages are: payload-store keys (sha256 of the encrypted bytes), and entries per page. */
export interface StoredPlan {
  pages: string[];
  pageSize: number;
}

/** Entries per page: a page is about 1 MB of JSON, and a partition of up to 200 employees spans one or two. */
export const PLAN_PAGE_SIZE = 500;

/**
 * The order entries are stored in: creates and discoveries wave by wave (a wave's partitions are contiguous runs of
 * its entries, so each reads one or two pages), then every other entry. Stable: within a group, plan order.
 */
export function storageOrder(entries: readonly LightPlanEntry[]): number[] {
  const group = (entry: LightPlanEntry) => (entry.create ? entry.wave : Number.MAX_SAFE_INTEGER);
  return entries.map((_, index) => index).sort((a, b) => group(entries[a] as LightPlanEntry) - group(entries[b] as LightPlanEntry) || a - b);
}

/** The entry without what only partitions and the report need (bodies, changes, discovery's desired state). */
export function lightEntryOf(entry: PlanEntry, slot: number): LightPlanEntry {
  const { changes: _changes, create, update, ...rest } = entry;
  const light: LightPlanEntry = { ...rest, slot };
  if (create) {
    const { createBody: _body, desiredIfFound: _desired, ...createRest } = create;
    light.create = createRest;
  }
  if (update) {
    const { write: _write, changes: _updateChanges, ...updateRest } = update;
    light.update = updateRest;
  }
  return light;
}

/** Page number and position in it of a slot. */
export function pagePosition(plan: StoredPlan, slot: number): { page: number; offset: number } {
  return { page: Math.floor(slot / plan.pageSize), offset: slot % plan.pageSize };
}

/**
 * The entries with the read's HR id index on each discovery's desired state (DesiredState.readHrIds): filter discovery
 * then tells a user found by key that is another record's person (activities/employee.ts). Other entries as they are.
 */
export function withHrIdIndex(entries: readonly PlanEntry[], index: HrIdIndexRef): PlanEntry[] {
  return entries.map((entry) => (entry.create?.desiredIfFound ? { ...entry, create: { ...entry.create, desiredIfFound: { ...entry.create.desiredIfFound, readHrIds: index } } } : entry));
}
