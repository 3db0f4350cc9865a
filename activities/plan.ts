import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ConnectorConfig } from '../config/schema';
import { readAllRecords } from '../hris/source';
import { mapEmployees } from '../mapping/map';
import type { DesiredEmployee, MappingResult, RecordProblem } from '../mapping/employee';
import type { ScimUser } from '../scim/resources';
import { traceAction, traceMap, traceMatch, traceRead } from '../sync/trace';
import { planLine, type EmployeeReportLine } from '../sync/employee-report';
import { preflightMapping } from '../sync/preflight';
import { buildPlan, countPlan, type PlanCounts, type PlanEntry } from '../sync/plan';
import { REPORT_FAILURE_CAP, WARNING_CAP, type FailureLine } from '../sync/report';
import type { RunRef } from '../sync/types';
import { scimClientFor, type ActivityDeps } from './deps';
import { convertingFailures, FailureType } from './failures';

/** Temporal advises about 1,000 children per parent: partitions per phase are capped well below that. */
export const MAX_PARTITIONS_PER_PHASE = 200;

export interface PlanInput {
  run: RunRef;
  config: ConnectorConfig;
  /** Sync only this employee (matching-key value), discovering them with a filter instead of listing the tenant. */
  employeeKey?: string;
  /** Return the plan per employee (dry runs, single-employee syncs). */
  preview?: boolean;
}

/** Plan lines returned inline; beyond this the report file has them. */
export const PREVIEW_CAP = 2000;

export interface PartitionWork {
  index: number;
  /** Employees phase 1 must create or discover. */
  createWork: number;
  /** Employees phase 2 may update (known updates plus everyone phase 1 handles). */
  updateWork: number;
}

export interface PlanSummary {
  counts: PlanCounts;
  partitions: PartitionWork[];
  partitionSize: number;
  /** Records rejected by mapping and validation, as failures of phase `plan` (capped; the total is counts.invalid). */
  problems: FailureLine[];
  warnings: string[];
  operations: number;
  ownedUsersNotInSource: number;
  preview?: EmployeeReportLine[];
  /** Single-employee syncs: read → map → match → action. */
  trace?: string[];
}

/**
 * Reads the HR system, maps and validates every record, reads the tenant once (list discovery) and decides each
 * employee's action. The plan is stored per partition; only counts travel back into workflow history.
 */
export function planSyncActivity(deps: ActivityDeps) {
  return async function planSync(input: PlanInput): Promise<PlanSummary> {
    return convertingFailures(async () => {
      const { config, run } = input;
      const heartbeat = (stage: string) => Context.current().heartbeat({ stage });
      heartbeat('reading the HR system');
      const source = deps.createSource(config);
      const records = await readAllRecords(source);
      heartbeat('mapping');
      const mapping = mapEmployees(records, config);
      const single = input.employeeKey === undefined ? undefined : selectEmployee(mapping, input.employeeKey);
      const desired = single ? [single] : mapping.employees;
      const trace = single ? [traceRead(records.length, source.description, single), traceMap(single)] : [];

      const scim = scimClientFor(deps, config.peakon);
      heartbeat("preflight: reading the tenant's Peakon attributes");
      const preflightProblems = await preflightMapping(scim, config.mapping);
      if (preflightProblems.length > 0) {
        throw ApplicationFailure.create({ type: FailureType.PreflightFailed, nonRetryable: true, message: `the mapping does not fit the tenant's Peakon attributes:\n${preflightProblems.map((problem) => `  - ${problem}`).join('\n')}` });
      }
      let current: ScimUser[] | undefined;
      if (single) {
        // One employee: one filtered lookup decides the action exactly (create, update or nothing).
        const found = config.matching.key === 'employeeNumber' ? await scim.findUserByEmployeeNumber(single.employeeKey) : await scim.findUserByUserName(single.user.userName);
        current = found ? [found] : [];
        trace.push(traceMatch(config.matching.key, single.employeeKey, found));
      } else if (config.sync.discovery === 'list') {
        current = [];
        for await (const page of scim.iterateUserPages()) {
          current.push(...page);
          heartbeat(`reading Peakon users (${current.length})`);
        }
      }
      const plan = buildPlan(desired, current, config.matching.key, single === undefined);
      if (single && plan.entries[0]) trace.push(traceAction(plan.entries[0]));
      const { partitions, partitionSize } = await storePartitions(deps, run, config.sync.partitionSize, plan.entries);
      const counts = countPlan(plan, mapping.problems);
      await deps.runStore.writeJson(run, 'plan-summary.json', { counts, problems: mapping.problems });
      log.info('plan ready', { syncRunId: run.runId, tenant: run.tenant, ...counts, partitions: partitions.length, operations: scim.totalOperations() });
      return {
        counts,
        partitions,
        partitionSize,
        problems: mapping.problems.slice(0, REPORT_FAILURE_CAP).map(problemLine),
        // Entry warnings hold the mapping's findings and the plan's own (references left out).
        warnings: plan.entries.flatMap((entry) => entry.warnings.map((warning) => `${entry.employeeKey}: ${warning}`)).slice(0, WARNING_CAP),
        operations: scim.totalOperations(),
        ownedUsersNotInSource: plan.ownedUsersNotInSource,
        ...(input.preview ? { preview: plan.entries.slice(0, PREVIEW_CAP).map(planLine) } : {}),
        ...(trace.length ? { trace } : {}),
      };
    });
  };
}

/** The one employee of an on-demand sync, or a failure saying why they cannot be synced. */
function selectEmployee(mapping: MappingResult, employeeKey: string): DesiredEmployee {
  const wanted = employeeKey.toLowerCase();
  const employee = mapping.employees.find((candidate) => candidate.employeeKey.toLowerCase() === wanted);
  if (employee) return employee;
  const problem = mapping.problems.find((candidate) => candidate.employeeKey?.toLowerCase() === wanted);
  throw ApplicationFailure.create({
    type: 'EmployeeNotFound',
    nonRetryable: true,
    message: problem
      ? `employee ${employeeKey} is invalid in the HR system: ${problem.field}: ${problem.message}`
      : `employee ${employeeKey} is not in the HR system's read (or is out of scope)`,
  });
}

/** Writes the plan in partitions; their count stays within MAX_PARTITIONS_PER_PHASE by growing the partition. */
async function storePartitions(deps: ActivityDeps, run: RunRef, configuredSize: number, entries: PlanEntry[]): Promise<{ partitions: PartitionWork[]; partitionSize: number }> {
  const partitionSize = Math.max(configuredSize, Math.ceil(entries.length / MAX_PARTITIONS_PER_PHASE));
  const partitions: PartitionWork[] = [];
  for (let index = 0; index * partitionSize < entries.length; index += 1) {
    const slice = entries.slice(index * partitionSize, (index + 1) * partitionSize);
    await deps.runStore.writePlanPartition(run, index, slice);
    partitions.push({ index, createWork: slice.filter(needsPhaseOne).length, updateWork: slice.filter(mayNeedPhaseTwo).length });
  }
  return { partitions, partitionSize };
}

function problemLine(problem: RecordProblem): FailureLine {
  return { employeeKey: problem.employeeKey ?? problem.recordRef, phase: 'plan', reason: `${problem.recordRef}, ${problem.field}: ${problem.message}`, errorType: 'InvalidRecord' };
}

export function needsPhaseOne(entry: PlanEntry): boolean {
  return entry.action === 'create' || entry.action === 'discover';
}

export function mayNeedPhaseTwo(entry: PlanEntry): boolean {
  return entry.action === 'update' || needsPhaseOne(entry);
}

export { FailureType };
