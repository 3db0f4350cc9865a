import type { PeakonAttributeSpec, ValueSpec } from './config';
import { emailMatchKey } from './email';
import { evaluateSpec } from './evaluate';
import { quoted } from './limits';
import type { MappedRecord, PendingReference } from './record';

type MatchOn = PeakonAttributeSpec['matchOn'];

/** Everything the read holds for one kind of pointer: the employees written in this run and every record seen. */
export interface ReferenceIndex {
  /** pointer value → the employee written in this run */
  written: Map<string, MappedRecord>;
  /** pointer value → recordRef of a record that is in the read but not written (rejected or out of scope) */
  notWritten: Map<string, string>;
}

/**
 * The key a pointer is matched on. Emails and employee numbers are folded with emailMatchKey (trimmed, NFC,
 * lower-cased), as duplicates (mapping/duplicates.ts) and employee refs (sync/employee-ref.ts) fold them: `e100` points
 * to the employee numbered `E100`, who is the only one so numbered. HRIS ids are compared as written, trimmed.
 */
export function normalizePointer(matchOn: MatchOn, value: string): string {
  return matchOn === 'id' ? value.trim() : emailMatchKey(value);
}

/**
 * The pointer a reference is looked up by, folded as normalizePointer folds it. A reference by HRIS id holds the id as
 * the HR record does, while a record's own id (its sourceId) went through mapping.id's transforms (trim, case, map, …):
 * when mapping.id reads one field, the reference is put through the same spec, as if it were that field's value, so
 * `e1` finds the record whose id `case: upper` made `E1`. (An id built by a template or a constant cannot be rebuilt
 * from one value: references are compared as written, so a manager column holding the built id, `ACME-42`, resolves.)
 * A value the spec refuses or empties is compared as written too: no
 * record has that id, and the warning names the value the HR record holds.
 */
export function referencePointer(reference: Pick<PendingReference, 'matchOn' | 'target'>, idSpec: ValueSpec): string {
  if (reference.matchOn === 'id' && idSpec.field !== undefined) {
    const id = evaluateSpec(idSpec, { [idSpec.field]: reference.target });
    if (id.ok && id.value !== undefined) return normalizePointer('id', String(id.value));
  }
  return normalizePointer(reference.matchOn, reference.target);
}

/** A record's own pointer of the kind `matchOn`, folded as normalizePointer folds a reference to it. */
export function pointerOf(record: MappedRecord, matchOn: MatchOn): string | undefined {
  if (matchOn === 'id') return record.sourceId;
  if (matchOn === 'employeeNumber') return record.employeeNumber === undefined ? undefined : emailMatchKey(record.employeeNumber);
  return record.emailKey;
}

export interface ResolvedReferences {
  references: Map<MappedRecord, Record<string, string>>;
  warnings: Map<MappedRecord, string[]>;
}

/**
 * Turns each employee-type attribute's HRIS pointer into the referenced person's email, as Peakon requires.
 * A pointer that leads nowhere usable leaves the attribute out with a warning; the employee is still written.
 * Management cycles (including managing oneself) are warnings too, with the attribute left out for every member: the
 * people are real and should be synced, but a cycle has no correct Manager to write, and Peakon's hierarchy views
 * assume a tree.
 */
export function resolveReferences(records: MappedRecord[], indexFor: (matchOn: MatchOn) => ReferenceIndex, idSpec: ValueSpec): ResolvedReferences {
  const references = new Map<MappedRecord, Record<string, string>>();
  const warnings = new Map<MappedRecord, string[]>();
  const warn = (record: MappedRecord, message: string) => warnings.set(record, [...(warnings.get(record) ?? []), message]);
  const targets = new Map<string, Map<MappedRecord, MappedRecord>>();

  for (const record of records) {
    for (const reference of record.references) {
      // mapRecord never gives an empty target: an emptied reference is a null attribute (a clear), not a reference.
      if (reference.target === '') continue;
      const pointer = referencePointer(reference, idSpec);
      // The pointer quoted at most MAX_QUOTED_LENGTH characters long, as every problem and warning quotes a value.
      const label = `${reference.attribute}: ${reference.matchOn === 'id' ? 'HRIS id' : reference.matchOn} ${quoted(reference.target)}`;
      if (pointer === pointerOf(record, reference.matchOn)) {
        warn(record, `${label} is the employee themself; ${reference.attribute} left out`);
        continue;
      }
      const index = indexFor(reference.matchOn);
      const target = index.written.get(pointer);
      if (!target) {
        const elsewhere = index.notWritten.get(pointer);
        warn(
          record,
          elsewhere
            ? `${label} is ${elsewhere}, which is not synced (rejected or out of scope); ${reference.attribute} left out`
            : `${label} is not in the HRIS read; ${reference.attribute} left out`,
        );
        continue;
      }
      let edges = targets.get(reference.attribute);
      if (!edges) targets.set(reference.attribute, (edges = new Map()));
      edges.set(record, target);
    }
  }

  for (const [attribute, edges] of targets) {
    const inCycle = findCycles(edges);
    for (const [record, target] of edges) {
      const cycle = inCycle.get(record);
      if (cycle) {
        warn(record, `${attribute}: management cycle ${cycle}; ${attribute} left out for every member`);
        continue;
      }
      references.set(record, { ...references.get(record), [attribute]: target.email });
    }
  }
  return { references, warnings };
}

/** Each record points to at most one other, so a walk either ends or closes a loop; returns loop members → description. */
function findCycles(edges: Map<MappedRecord, MappedRecord>): Map<MappedRecord, string> {
  const done = new Set<MappedRecord>();
  const cycles = new Map<MappedRecord, string>();
  for (const start of edges.keys()) {
    const path: MappedRecord[] = [];
    const onPath = new Map<MappedRecord, number>();
    let current: MappedRecord | undefined = start;
    while (current && !done.has(current)) {
      const seenAt = onPath.get(current);
      if (seenAt !== undefined) {
        const members = path.slice(seenAt);
        const description = [...members, current].map((member) => member.recordRef).join(' → ');
        for (const member of members) cycles.set(member, description);
        break;
      }
      onPath.set(current, path.length);
      path.push(current);
      current = edges.get(current);
    }
    for (const visited of path) done.add(visited);
  }
  return cycles;
}
