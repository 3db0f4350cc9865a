import { z } from 'zod';
import { ScimUserWriteSchema } from '../scim/resources';

/**
 * One employee as the HRIS says they should look in Peakon: the output of mapping + validation and the input of planning.
 * Small (typically well under 1 KB, never above MAX_RECORD_BYTES: mapping/limits.ts) so that slices of them can travel
 * as activity and child-workflow payloads.
 */
export const DesiredEmployeeSchema = z.object({
  /**
   * The matching key's value: the work email as emailMatchKey gives it (ASCII domain, lower-cased; mapping/email.ts),
   * the default, or the employee number. Unique within a run.
   */
  employeeKey: z.string().min(1),
  /** The HRIS's own id for the record; sent as `externalId`, which marks the users this connector owns. */
  sourceId: z.string().min(1),
  /** Where the record came from, for messages a person can act on, e.g. `row 12` or `id 1043`. */
  recordRef: z.string(),
  /** The full intended state (PUT body) without employee-type references. */
  user: ScimUserWriteSchema,
  /** Peakon employee-type attributes (e.g. `Manager`) → the referenced employee's email. Written only after every create. */
  references: z.record(z.string(), z.string()).default({}),
  /**
   * Attribute paths set only when the user is created (SCIM path notation: `locale`,
   * `urn:…:peakon:2.0:User:Tenure`). For an existing user the current Peakon value is kept.
   */
  createOnly: z.array(z.string()).default([]),
  /** Non-fatal findings (e.g. a manager id not in the read, so Manager was left out). */
  warnings: z.array(z.string()).default([]),
  /** YYYY-MM-DD: from this day on the person is a leaver (config `leavers.terminationDate`). */
  terminationDate: z.string().optional(),
  /** YYYY-MM-DD: the mapped start date (`Tenure`); a termination date before it ended an earlier employment. */
  startDate: z.string().optional(),
});
export type DesiredEmployee = z.infer<typeof DesiredEmployeeSchema>;

/** A record that could not be mapped: names the record and the field, so a person can fix the HRIS data. */
export const RecordProblemSchema = z.object({
  recordRef: z.string(),
  employeeKey: z.string().optional(),
  /**
   * The record's HRIS id when it was valid: a record rejected for its email (or employee number) is still recognised
   * by the `externalId` the connector wrote from that id, so its Peakon user is never taken for a leaver.
   */
  sourceId: z.string().optional(),
  /**
   * Under `matching.key: employeeNumber`, the record's email (emailMatchKey) when it was valid: the Peakon user holding
   * it, whose create a valid record skipped in an earlier run (sync/plan.ts createCollision), is very likely this
   * person and is not taken for a leaver while the record is rejected. Under email matching employeeKey is this key.
   */
  emailKey: z.string().optional(),
  field: z.string(),
  message: z.string(),
});
export type RecordProblem = z.infer<typeof RecordProblemSchema>;

export interface MappingResult {
  employees: DesiredEmployee[];
  /** Records rejected entirely; the rest of the run continues without them. */
  problems: RecordProblem[];
}
