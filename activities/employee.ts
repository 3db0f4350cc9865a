import { Context, log } from '@temporalio/activity';
import { ScimConflictError, ScimInvalidRequestError } from '../scim/errors';
import type { ScimClient } from '../scim/client';
import { PEAKON_USER_SCHEMA, type ScimUser, type ScimUserWrite } from '../scim/resources';
import { composeUpdate } from '../sync/payloads';
import type { CreateWork, EmployeeOutcome, RunRef, UpdateWork } from '../sync/types';
import { scimClientFor, type ActivityDeps, type PeakonConnection } from './deps';
import { convertingFailures } from './failures';

export interface EmployeeStepInput<W> {
  run: RunRef;
  peakon: PeakonConnection;
  work: W;
}

async function discover(scim: ScimClient, work: CreateWork): Promise<ScimUser | undefined> {
  const employeeNumber = work.createBody['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']?.employeeNumber;
  if (work.matchingKey === 'employeeNumber' && employeeNumber !== undefined) return scim.findUserByEmployeeNumber(employeeNumber);
  return scim.findUserByUserName(work.createBody.userName);
}

/**
 * Phase 1 for one employee: make sure they exist, never twice.
 * Idempotent by construction: a retry (this activity may run again after a POST that landed but whose answer was lost)
 * discovers first, and a 409 from Peakon's uniqueness check sends us back to discovery instead of failing.
 */
export function createEmployeeActivity(deps: ActivityDeps) {
  return async function createEmployee(input: EmployeeStepInput<CreateWork>): Promise<EmployeeOutcome> {
    return convertingFailures(async () => {
      const { work } = input;
      const scim = scimClientFor(deps, input.peakon);
      const attempt = Context.current().info.attempt;
      // The tenant listing said "absent" just now, so the first attempt may POST straight away (one operation).
      let existing = work.knownAbsent && attempt === 1 ? undefined : await discover(scim, work);
      let created = false;
      if (!existing && work.desired.user.active === false) {
        // Same rule as the plan's: someone the HR system marks inactive is not created just to be switched off.
        return { employeeKey: work.employeeKey, phase: 'create', status: 'skipped', reason: 'inactive in the HR system and not in Peakon: not created', operations: scim.totalOperations() };
      }
      if (!existing) {
        try {
          existing = await scim.createUser(work.createBody);
          created = true;
        } catch (error) {
          if (!(error instanceof ScimConflictError)) throw error;
          existing = await discover(scim, work);
          if (!existing) throw error;
        }
      }
      // Absent when the run was planned and present now: an earlier attempt of this very step created them (its
      // answer was lost). They count as created by this run, exactly once.
      const createdByThisRun = created || work.knownAbsent;
      const update = composeUpdate(work.desired, created ? undefined : existing);
      const status = createdByThisRun ? 'created' : update.changes.length > 0 ? 'found' : 'unchanged';
      log.info(createdByThisRun ? 'employee created' : 'employee already in Peakon', { syncRunId: input.run.runId, employeeKey: work.employeeKey, peakonUserId: existing.id, operations: scim.totalOperations() });
      return {
        employeeKey: work.employeeKey,
        phase: 'create',
        status,
        peakonUserId: existing.id,
        operations: scim.totalOperations(),
        ...(status === 'unchanged' ? {} : { update }),
      };
    });
  };
}

function withoutReferences(body: ScimUserWrite, references: Record<string, string>): ScimUserWrite {
  const copy = structuredClone(body);
  const peakon = copy[PEAKON_USER_SCHEMA];
  if (peakon) for (const attribute of Object.keys(references)) delete peakon[attribute];
  return copy;
}

/**
 * Phase 2 for one employee: PUT the full intended state. If Peakon rejects the body while it carries employee
 * references (e.g. a Manager whose own create failed), the employee is still updated with every other attribute and
 * the unresolved reference is reported.
 */
export function updateEmployeeActivity(deps: ActivityDeps) {
  return async function updateEmployee(input: EmployeeStepInput<UpdateWork>): Promise<EmployeeOutcome> {
    return convertingFailures(async () => {
      const { work } = input;
      const scim = scimClientFor(deps, input.peakon);
      const warnings: string[] = [];
      try {
        await scim.replaceUser(work.peakonUserId, work.body);
      } catch (error) {
        if (!(error instanceof ScimInvalidRequestError) || Object.keys(work.references).length === 0) throw error;
        await scim.replaceUser(work.peakonUserId, withoutReferences(work.body, work.references));
        for (const [attribute, email] of Object.entries(work.references)) {
          warnings.push(`${attribute} (${email}) not written: Peakon rejected it (${error.detail ?? error.message})`);
        }
      }
      // Field names only: their values are personal data.
      log.info('employee updated', { syncRunId: input.run.runId, employeeKey: work.employeeKey, peakonUserId: work.peakonUserId, changedFields: work.changes.map((change) => change.field), unresolvedReferences: warnings.length, operations: scim.totalOperations() });
      return {
        employeeKey: work.employeeKey,
        phase: 'update',
        status: 'updated',
        peakonUserId: work.peakonUserId,
        changes: work.changes,
        operations: scim.totalOperations(),
        ...(warnings.length ? { warnings } : {}),
      };
    });
  };
}
