import type { DesiredEmployee } from '../mapping/employee';
import { PEAKON_USER_SCHEMA, type ScimUser } from '../scim/resources';
import type { PlanEntry } from './plan';
import type { FieldChange } from './types';

/**
 * The step trace of a single-employee sync ("provision on demand"): read → map → match → action, then the workflow
 * adds the result. Each line starts with its step name so people and tests can read it alike.
 */
export function traceRead(recordsRead: number, sourceDescription: string, employee: DesiredEmployee): string {
  return `read: ${recordsRead} records from ${sourceDescription}; ${employee.recordRef} is ${employee.employeeKey}`;
}

export function traceMap(employee: DesiredEmployee): string {
  const attributes = Object.keys(employee.user[PEAKON_USER_SCHEMA] ?? {});
  const references = Object.entries(employee.references).map(([attribute, email]) => `${attribute} → ${email}`);
  return [
    `map: userName ${employee.user.userName}, externalId ${employee.sourceId}, Peakon attributes [${attributes.join(', ')}]`,
    references.length ? `, references ${references.join(', ')}` : '',
    employee.warnings.length ? `; warnings: ${employee.warnings.join('; ')}` : '',
  ].join('');
}

export function traceMatch(matchingKey: string, employeeKey: string, found: Pick<ScimUser, 'id'> | undefined): string {
  return `match: ${matchingKey} ${employeeKey} → ${found ? `Peakon user ${found.id}` : 'not in Peakon'}`;
}

export function describeChange(change: FieldChange): string {
  return `${change.field} ${JSON.stringify(change.from)} → ${JSON.stringify(change.to)}`;
}

export function traceAction(entry: PlanEntry): string {
  const reason = entry.reason ? ` (${entry.reason})` : '';
  const changes = entry.changes.length ? `: ${entry.changes.map(describeChange).join(', ')}` : '';
  return `action: ${entry.action}${reason}${changes}`;
}
