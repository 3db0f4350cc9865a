/**
 * How the parent workflow turns the plan into work, phase by phase. Pure and deterministic (workflow code runs it):
 * no I/O, no clocks. Phase 1 runs wave by wave (managers before their reports); phase 2 after every create.
 */
import { createBodyWithout, deferredReferencesWrite } from './payloads';
import type { PlanEntry } from './plan';
import type { CreateWork, EmployeeOutcome, UpdateMethod, UpdateWork } from './types';

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
 * Emails (lower-case) of people phase 1 did not bring into Peakon, among the waves before `beforeWave`: a reference
 * to them would be rejected.
 */
export function missingPeople(entries: readonly PlanEntry[], outcomes: ReadonlyMap<string, EmployeeOutcome>, beforeWave = Number.POSITIVE_INFINITY): Set<string> {
  const missing = new Set<string>();
  for (const entry of entries) {
    if (!entry.create || entry.wave >= beforeWave) continue;
    const outcome = outcomes.get(entry.ref);
    if (!outcome || outcome.status === 'failed' || outcome.status === 'skipped') missing.add(entry.create.userName.toLowerCase());
  }
  return missing;
}

function referencesTo(missing: ReadonlySet<string>, references: Record<string, string>): string[] {
  return Object.entries(references).filter(([, email]) => missing.has(email.toLowerCase())).map(([attribute]) => attribute);
}

const leftOut = (attribute: string, email: string | undefined) => `${attribute} (${email ?? '?'}) left out: that person could not be created in Peakon`;

/** Phase-1 work of one wave; references to people whose create failed in an earlier wave are left out with a warning. */
export function createWorkOfWave(entries: readonly PlanEntry[], wave: number, missing: ReadonlySet<string>): { work: CreateWork[]; warnings: Map<string, string[]> } {
  const work: CreateWork[] = [];
  const warnings = new Map<string, string[]>();
  for (const entry of entries) {
    if (!entry.create || entry.wave !== wave) continue;
    const dropped = referencesTo(missing, entry.create.createReferences);
    if (dropped.length === 0) {
      work.push(entry.create);
      continue;
    }
    const createReferences = Object.fromEntries(Object.entries(entry.create.createReferences).filter(([attribute]) => !dropped.includes(attribute)));
    work.push({ ...entry.create, createBody: createBodyWithout(entry.create.createBody, dropped), createReferences });
    warnings.set(entry.ref, dropped.map((attribute) => leftOut(attribute, entry.create?.createReferences[attribute])));
  }
  return { work, warnings };
}

/**
 * Phase-2 work: the planned updates of people already in Peakon, the references that creates could not carry, and
 * what filter discovery found to differ. References to people phase 1 could not create are left out with a warning.
 */
export function updateWork(entries: readonly PlanEntry[], outcomes: ReadonlyMap<string, EmployeeOutcome>, missing: ReadonlySet<string>, method: UpdateMethod): { work: UpdateWork[]; warnings: Map<string, string[]> } {
  const work: UpdateWork[] = [];
  const warnings = new Map<string, string[]>();
  for (const entry of entries) {
    if (entry.action === 'update' && entry.update) {
      work.push({ ...entry.update, createdThisRun: false });
      continue;
    }
    if (!entry.create) continue;
    const outcome = outcomes.get(entry.ref);
    if (!outcome?.peakonUserId) continue;
    if (outcome.status === 'created' && entry.deferredReferences) {
      const dropped = referencesTo(missing, entry.deferredReferences);
      if (dropped.length) warnings.set(entry.ref, dropped.map((attribute) => leftOut(attribute, entry.deferredReferences?.[attribute])));
      const references = Object.fromEntries(Object.entries(entry.deferredReferences).filter(([attribute]) => !dropped.includes(attribute)));
      if (Object.keys(references).length === 0) continue;
      const changes = Object.entries(references).map(([field, to]) => ({ field, from: null, to }));
      work.push({ ref: entry.ref, employeeKey: entry.employeeKey, peakonUserId: outcome.peakonUserId, write: deferredReferencesWrite(references, createBodyWithout(entry.create.createBody, referencesTo(missing, entry.create.createReferences)), method), references, changes, createdThisRun: true });
    } else if (outcome.status === 'found' && outcome.update) {
      work.push({ ref: entry.ref, employeeKey: entry.employeeKey, peakonUserId: outcome.peakonUserId, ...outcome.update, createdThisRun: false });
    }
  }
  return { work, warnings };
}
