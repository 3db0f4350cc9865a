import { emailMatchKey } from './email';
import type { RecordProblem } from './employee';
import { quoted } from './limits';
import type { MappedRecord } from './record';

interface UniqueKey {
  field: string;
  label: string;
  keyOf: (record: MappedRecord) => string | undefined;
  /** How this record wrote the value, when it differs from the key the records are compared by. */
  writtenAs?: (record: MappedRecord) => string | undefined;
}

/**
 * Records that share a matching key, an employee number or an HRIS id cannot both be right, and writing either would
 * make Peakon's state depend on row order. Every member of such a group is reported and none is written. Emails are
 * compared by emailMatchKey: `anna@exämple.com` and `ANNA@xn--exmple-cua.com` are one mailbox.
 */
export function rejectDuplicates(records: MappedRecord[], matchingKey: 'email' | 'employeeNumber'): { unique: MappedRecord[]; problems: RecordProblem[] } {
  const keys: UniqueKey[] = [
    {
      field: 'email',
      label: 'email',
      keyOf: (record) => record.emailKey,
      writtenAs: (record) => (record.emailAsWritten.toLowerCase() === record.emailKey ? undefined : record.emailAsWritten),
    },
    {
      field: 'employeeNumber',
      label: 'employee number',
      // Folded as the employee ref folds a matching key (sync/employee-ref.ts): `E100` and `e100` would otherwise be two
      // employees with one ref, one workflow ID, and the run would fail at the second, again at every run.
      keyOf: (record) => (record.employeeNumber === undefined ? undefined : emailMatchKey(record.employeeNumber)),
      writtenAs: (record) => (record.employeeNumber === undefined || record.employeeNumber === emailMatchKey(record.employeeNumber) ? undefined : record.employeeNumber),
    },
    { field: 'id', label: 'HRIS id', keyOf: (record) => record.sourceId },
  ];
  if (matchingKey === 'employeeNumber') keys.reverse();
  const problems: RecordProblem[] = [];
  const rejected = new Set<MappedRecord>();
  for (const key of keys) {
    const groups = new Map<string, MappedRecord[]>();
    for (const record of records) {
      const value = key.keyOf(record);
      if (value === undefined) continue;
      const group = groups.get(value);
      if (group) group.push(record);
      else groups.set(value, [record]);
    }
    for (const [value, group] of groups) {
      if (group.length < 2) continue;
      for (const record of group) {
        rejected.add(record);
        const writtenAs = key.writtenAs?.(record);
        problems.push({
          recordRef: record.recordRef,
          employeeKey: record.employeeKey,
          sourceId: record.sourceId,
          ...(matchingKey === 'employeeNumber' ? { emailKey: record.emailKey } : {}),
          field: key.field,
          message: `the ${key.label} ${quoted(value)}${writtenAs === undefined ? '' : ` (written ${quoted(writtenAs)})`} is also used by ${othersIn(group, record)}; ${group.length === 2 ? 'neither record is' : `none of these ${group.length} records is`} written`,
        });
      }
    }
  }
  return { unique: records.filter((record) => !rejected.has(record)), problems };
}

/**
 * How many of a group's other records each member's problem names. A placeholder shared by thousands (`N/A` as an
 * employee number, a shared mailbox) would otherwise give each member a list of all the others: text growing with the
 * square of the group, past the largest string a plan result can be encoded into (the run would fail, not the records).
 */
const OTHERS_NAMED = 5;

/** The first OTHERS_NAMED records of `group` besides `record`, and how many more there are. */
function othersIn(group: readonly MappedRecord[], record: MappedRecord): string {
  const named: string[] = [];
  for (const other of group) {
    if (other === record) continue;
    named.push(other.recordRef);
    if (named.length === OTHERS_NAMED) break;
  }
  const more = group.length - 1 - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
}
