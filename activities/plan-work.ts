import { ApplicationFailure } from '@temporalio/common';
import { createWorkOf, updateWorkOf, type CreateStep, type UpdateStep } from '../sync/phases';
import type { PlanEntry } from '../sync/plan';
import { pagePosition, type StoredPlan } from '../sync/stored-plan';
import type { CreateWork, UpdateMethod, UpdateWork } from '../sync/types';
import { requirePlanPages, type ActivityDeps } from './deps';
import { convertingFailures, FailureType } from './failures';

export interface CreateWorkInput {
  plan: StoredPlan;
  steps: CreateStep[];
}

export interface UpdateWorkInput {
  plan: StoredPlan;
  steps: UpdateStep[];
  updateMethod: UpdateMethod;
}

/**
 * A partition's work, built from the stored plan's pages: the parent hands a partition steps (positions and what to
 * leave out), never the bodies. Reads only the pages its steps are on (one or two for a wave's partition). Pure reads
 * and pure functions, so a retried attempt returns the same work.
 */
export function planWorkActivities(deps: ActivityDeps) {
  const entriesAt = async (plan: StoredPlan, slots: readonly number[]): Promise<(slot: number) => PlanEntry> => {
    const store = requirePlanPages(deps);
    const pages = new Map<number, PlanEntry[]>();
    for (const slot of slots) {
      const { page } = pagePosition(plan, slot);
      const key = plan.pages[page];
      if (key === undefined) throw ApplicationFailure.create({ type: FailureType.InvalidRequest, nonRetryable: true, message: `plan slot ${slot} is beyond the stored plan's ${plan.pages.length} pages` });
      if (!pages.has(page)) pages.set(page, await store.get(key));
    }
    return (slot) => {
      const { page, offset } = pagePosition(plan, slot);
      const entry = pages.get(page)?.[offset];
      if (!entry) throw ApplicationFailure.create({ type: FailureType.InvalidRequest, nonRetryable: true, message: `plan page ${page} has no entry at ${offset}` });
      return entry;
    };
  };
  return {
    async loadCreateWork(input: CreateWorkInput): Promise<CreateWork[]> {
      return convertingFailures(async () => {
        const entryAt = await entriesAt(input.plan, input.steps.map((step) => step.at));
        return input.steps.map((step) => createWorkOf(entryAt(step.at), step));
      });
    },
    async loadUpdateWork(input: UpdateWorkInput): Promise<UpdateWork[]> {
      return convertingFailures(async () => {
        // A found step carries its own write; only planned and deferred steps need their entry.
        const entryAt = await entriesAt(input.plan, input.steps.flatMap((step) => (step.kind === 'found' ? [] : [step.at])));
        return input.steps.map((step) => updateWorkOf(step.kind === 'found' ? undefined : entryAt(step.at), step, input.updateMethod));
      });
    },
  };
}
