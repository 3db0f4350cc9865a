import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ConnectorConfig } from '../config/schema';
import { readAllRecords } from '../hris/source';
import { mapEmployees } from '../mapping/map';
import type { ScimUser } from '../scim/resources';
import { planLine, type EmployeeReportLine } from '../sync/employee-report';
import { preflightMapping } from '../sync/preflight';
import { buildPlan, countPlan, type PlanCounts, type PlanEntry } from '../sync/plan';
import { appendCapped, REPORT_FAILURE_CAP, WARNING_CAP, type FailureLine } from '../sync/report';
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
      const trace: string[] = [];
      heartbeat('mapping');
      const mapping = mapEmployees(records, config);
      let desired = mapping.employees;
      if (input.employeeKey !== undefined) {
        const wanted = input.employeeKey.toLowerCase();
        desired = desired.filter((employee) => employee.employeeKey.toLowerCase() === wanted);
        if (desired.length === 1 && desired[0]) {
          const [employee] = desired;
          trace.push(`read: ${records.length} records from ${source.description}; ${employee.recordRef} is ${employee.employeeKey}`);
          const peakonAttributes = Object.keys(employee.user['urn:ietf:params:scim:schemas:extension:peakon:2.0:User'] ?? {});
          const references = Object.entries(employee.references).map(([attribute, email]) => `${attribute} → ${email}`);
          trace.push(`map: userName ${employee.user.userName}, externalId ${employee.sourceId}, Peakon attributes [${peakonAttributes.join(', ')}]${references.length ? `, references ${references.join(', ')}` : ''}${employee.warnings.length ? `; warnings: ${employee.warnings.join('; ')}` : ''}`);
        }
        if (desired.length === 0) {
          const problem = mapping.problems.find((candidate) => candidate.employeeKey?.toLowerCase() === wanted);
          throw ApplicationFailure.create({
            type: 'EmployeeNotFound',
            nonRetryable: true,
            message: problem
              ? `employee ${input.employeeKey} is invalid in the HR system: ${problem.field}: ${problem.message}`
              : `employee ${input.employeeKey} is not in the HR system's read (or is out of scope)`,
          });
        }
      }
      const scim = scimClientFor(deps, config.peakon);
      heartbeat('preflight: reading the tenant\'s Peakon attributes');
      const preflightProblems = await preflightMapping(scim, config.mapping);
      if (preflightProblems.length > 0) {
        throw ApplicationFailure.create({ type: FailureType.PreflightFailed, nonRetryable: true, message: `the mapping does not fit the tenant's Peakon attributes:\n${preflightProblems.map((problem) => `  - ${problem}`).join('\n')}` });
      }
      let current: ScimUser[] | undefined;
      const [single] = desired;
      if (input.employeeKey !== undefined && single) {
        // One employee: one filtered lookup decides the action exactly (create, update or nothing).
        const found = config.matching.key === 'employeeNumber'
          ? await scim.findUserByEmployeeNumber(single.employeeKey)
          : await scim.findUserByUserName(single.user.userName);
        current = found ? [found] : [];
        trace.push(`match: ${config.matching.key} ${single.employeeKey} → ${found ? `Peakon user ${found.id}` : 'not in Peakon'}`);
      } else if (config.sync.discovery === 'list') {
        current = [];
        for await (const page of scim.iterateUserPages()) {
          current.push(...page);
          heartbeat(`reading Peakon users (${current.length})`);
        }
      }
      const plan = buildPlan(desired, current, config.matching.key, input.employeeKey === undefined);
      if (input.employeeKey !== undefined && plan.entries[0]) {
        const entry = plan.entries[0];
        trace.push(`action: ${entry.action}${entry.reason ? ` (${entry.reason})` : ''}${entry.changes.length ? `: ${entry.changes.map((change) => `${change.field} ${JSON.stringify(change.from)} → ${JSON.stringify(change.to)}`).join(', ')}` : ''}`);
      }
      const partitionSize = Math.max(config.sync.partitionSize, Math.ceil(plan.entries.length / MAX_PARTITIONS_PER_PHASE));
      const partitions: PartitionWork[] = [];
      for (let index = 0; index * partitionSize < plan.entries.length; index += 1) {
        const entries = plan.entries.slice(index * partitionSize, (index + 1) * partitionSize);
        await deps.runStore.writePlanPartition(run, index, entries);
        partitions.push({ index, createWork: entries.filter(needsPhaseOne).length, updateWork: entries.filter(mayNeedPhaseTwo).length });
      }
      const problems: FailureLine[] = [];
      appendCapped(
        problems,
        mapping.problems.map((problem) => ({ employeeKey: problem.employeeKey ?? problem.recordRef, phase: 'plan' as const, reason: `${problem.recordRef}, ${problem.field}: ${problem.message}`, errorType: 'InvalidRecord' })),
        REPORT_FAILURE_CAP,
      );
      const warnings: string[] = [];
      appendCapped(warnings, desired.flatMap((employee) => employee.warnings.map((warning) => `${employee.employeeKey}: ${warning}`)), WARNING_CAP);
      await deps.runStore.writeJson(run, 'plan-summary.json', { counts: countPlan(plan, mapping.problems), problems: mapping.problems });
      log.info('plan ready', { syncRunId: run.runId, tenant: run.tenant, ...countPlan(plan, mapping.problems), partitions: partitions.length, operations: scim.totalOperations() });
      return {
        counts: countPlan(plan, mapping.problems),
        partitions,
        partitionSize,
        problems,
        warnings,
        operations: scim.totalOperations(),
        ownedUsersNotInSource: plan.ownedUsersNotInSource,
        ...(input.preview ? { preview: plan.entries.slice(0, PREVIEW_CAP).map(planLine) } : {}),
        ...(trace.length ? { trace } : {}),
      };
    });
  };
}

export function needsPhaseOne(entry: PlanEntry): boolean {
  return entry.action === 'create' || entry.action === 'discover';
}

export function mayNeedPhaseTwo(entry: PlanEntry): boolean {
  return entry.action === 'update' || needsPhaseOne(entry);
}

export { FailureType };
