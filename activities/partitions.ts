import { ApplicationFailure } from '@temporalio/common';
import type { CreateWork, EmployeeOutcome, RunRef, SyncPhase, UpdateWork } from '../sync/types';
import type { ActivityDeps } from './deps';
import { convertingFailures, FailureType } from './failures';
import { needsPhaseOne } from './plan';

export interface PartitionRef {
  run: RunRef;
  partition: number;
}

/** Reads the slice of the stored plan a partition workflow works on; activity payloads stay far below 2 MB. */
export function partitionActivities(deps: ActivityDeps) {
  return {
    async loadCreateWork({ run, partition }: PartitionRef): Promise<CreateWork[]> {
      return convertingFailures(async () => {
        const entries = await deps.runStore.readPlanPartition(run, partition);
        return entries.filter(needsPhaseOne).flatMap((entry) => (entry.create ? [entry.create] : []));
      });
    },

    /**
     * Phase-2 work: the updates the plan knew about, plus, for everyone phase 1 handled, what phase 1 found out
     * (a created user gets every attribute; a discovered one only if something differs).
     */
    async loadUpdateWork({ run, partition }: PartitionRef): Promise<UpdateWork[]> {
      return convertingFailures(async () => {
        const entries = await deps.runStore.readPlanPartition(run, partition);
        const phaseOne = entries.some(needsPhaseOne) ? await deps.runStore.readOutcomes(run, 'create', partition) : [];
        if (phaseOne === undefined) {
          throw ApplicationFailure.create({ type: FailureType.StateMissing, nonRetryable: true, message: `phase-1 outcomes of partition ${partition} of run ${run.runId} are missing: every worker must share the state folder` });
        }
        const byKey = new Map(phaseOne.map((outcome) => [outcome.employeeKey, outcome]));
        const work: UpdateWork[] = [];
        for (const entry of entries) {
          if (entry.action === 'update' && entry.update && entry.peakonUserId) {
            work.push({ ...entry.update, peakonUserId: entry.peakonUserId, createdThisRun: false });
          } else if (needsPhaseOne(entry)) {
            const outcome = byKey.get(entry.employeeKey);
            if (outcome?.update && outcome.peakonUserId && (outcome.status === 'created' || outcome.status === 'found')) {
              work.push({ employeeKey: entry.employeeKey, peakonUserId: outcome.peakonUserId, ...outcome.update, createdThisRun: outcome.status === 'created' });
            }
          }
        }
        return work;
      });
    },

    async recordOutcomes(input: PartitionRef & { phase: SyncPhase; outcomes: EmployeeOutcome[] }): Promise<void> {
      return convertingFailures(() => deps.runStore.writeOutcomes(input.run, input.phase, input.partition, input.outcomes));
    },
  };
}
