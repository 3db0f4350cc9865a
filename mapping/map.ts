import type { ConnectorConfig } from '../config/schema';
import type { SourceConfig } from '../hris/config';
import { holdsNoValue, type HrisRecord } from '../hris/source';
import type { PeakonAttributeSpec, ValueSpec } from './config';
import { assertJsonFieldsPresent, assertMappedColumns } from './columns';
import { rejectDuplicates } from './duplicates';
import type { DesiredEmployee, MappingResult, RecordProblem } from './employee';
import { evaluateSpec } from './evaluate';
import { mapRecord, type MappedRecord, type RecordOutcome } from './record';
import { normalizePointer, pointerOf, resolveReferences, type ReferenceIndex } from './references';
import { MAX_IDENTIFIER_LENGTH } from './limits';
import { scopeTextProblems, scopeVerdict } from './scope';

/** MappingResult plus the counts the validate command and the sync report print. Assignable to MappingResult. */
export interface MappingReport extends MappingResult {
  recordsRead: number;
  /** Records left out by the scope rules: counted, not problems (a record they cannot tell about is a problem). */
  excluded: number;
}

/** The matching key, HRIS id and (under employee-number matching) email a record's mapping could still establish, valid or not. */
function identityOf(outcome: RecordOutcome, matchingKey: 'email' | 'employeeNumber'): Pick<RecordProblem, 'employeeKey' | 'sourceId' | 'emailKey'> {
  if (outcome.ok) return { employeeKey: outcome.mapped.employeeKey, sourceId: outcome.mapped.sourceId, ...(matchingKey === 'employeeNumber' ? { emailKey: outcome.mapped.emailKey } : {}) };
  const employeeKey = outcome.problems.find((problem) => problem.employeeKey !== undefined)?.employeeKey;
  const sourceId = outcome.problems.find((problem) => problem.sourceId !== undefined)?.sourceId;
  const emailKey = outcome.problems.find((problem) => problem.emailKey !== undefined)?.emailKey;
  return { ...(employeeKey !== undefined ? { employeeKey } : {}), ...(sourceId !== undefined ? { sourceId } : {}), ...(emailKey !== undefined ? { emailKey } : {}) };
}

/**
 * Names a record the way a person finds it: the spreadsheet row for CSV (header = row 1), else its position and id.
 * Position-based because records travel as plain JSON (through activities) and carry no metadata of their own.
 */
export function recordRefFor(source: SourceConfig, index: number, record: HrisRecord, idSpec: ValueSpec): string {
  if (source.type === 'csv') return `row ${index + 2}`;
  const id = evaluateSpec(idSpec, record);
  // Every problem of the record repeats this name: an id too long to be one is left out of it.
  const usable = id.ok && id.value !== undefined && String(id.value).length <= MAX_IDENTIFIER_LENGTH;
  return usable ? `record ${index + 1} (id ${String(id.value)})` : `record ${index + 1}`;
}

/**
 * Maps a whole read (every page: employee references resolve within it) to the employees Peakon should hold.
 * Bad records are reported and left out; the rest continue. A CSV read without a column the config reads throws
 * (mapping/columns.ts): that is one bad read, not one problem per row. `readProblems` are records the source could
 * not read at all (a CSV row with a stray delimiter): invalid records like the others, listed first.
 */
export function mapEmployees(records: HrisRecord[], config: ConnectorConfig, readProblems: readonly RecordProblem[] = []): MappingReport {
  assertMappedColumns(records, config);
  assertJsonFieldsPresent(records, config);
  const problems: RecordProblem[] = [];
  const mapped: MappedRecord[] = [];
  const notMapped: Array<{ record: HrisRecord; recordRef: string }> = [];
  let excluded = 0;
  let blank = 0;
  records.forEach((record, index) => {
    // A row of empty cells (`,,,,` under a spreadsheet's data) holds nobody: not a record, so not an invalid one that
    // nobody can identify (which would hold every leaver, sync/leavers.ts). Row numbers of the rest are unchanged.
    // The CSV source's stand-ins (every value null: an empty or blank line, a row it could not read) are such records.
    if (holdsNoValue(record)) {
      blank += 1;
      return;
    }
    const recordRef = recordRefFor(config.source, index, record, config.mapping.id);
    // A scope field that cannot be read, or an include rule failing only on an empty field: in scope or not is unknown.
    const unreadable = scopeTextProblems(record, config.mapping.scope);
    const verdict = unreadable.length > 0 ? unreadable : scopeVerdict(record, config.mapping.scope);
    if (verdict === 'out') {
      excluded += 1;
      notMapped.push({ record, recordRef });
      return;
    }
    if (verdict !== 'in') {
      // Whether the record is in scope is unknown, but who it is may not be: its key and id keep its Peakon user from
      // being taken for a leaver (sync/plan.ts).
      const identity = identityOf(mapRecord(record, recordRef, config), config.matching.key);
      // A row that names nobody as well (a vacancy, a section heading: no key, id or email) holds no Peakon user to keep;
      // as a problem it would hold every run's leavers (sync/leavers.ts unidentifiedVerdict). Excluded, as before.
      if (unreadable.length === 0 && Object.keys(identity).length === 0) {
        excluded += 1;
        notMapped.push({ record, recordRef });
        return;
      }
      problems.push(...verdict.map((problem) => ({ recordRef, ...identity, ...problem })));
      notMapped.push({ record, recordRef });
      return;
    }
    const outcome = mapRecord(record, recordRef, config);
    if (outcome.ok) mapped.push(outcome.mapped);
    else {
      problems.push(...outcome.problems);
      notMapped.push({ record, recordRef });
    }
  });

  const { unique, problems: duplicateProblems } = rejectDuplicates(mapped, config.matching.key);
  // A loop, not push(...list): a spread of some 150,000 elements overflows the call stack.
  for (const problem of duplicateProblems) problems.push(problem);
  const uniqueSet = new Set(unique);
  const duplicates = mapped.filter((record) => !uniqueSet.has(record));
  const indexes = new Map<PeakonAttributeSpec['matchOn'], ReferenceIndex>();
  const indexFor = (matchOn: PeakonAttributeSpec['matchOn']): ReferenceIndex => {
    let index = indexes.get(matchOn);
    if (!index) indexes.set(matchOn, (index = buildReferenceIndex(matchOn, unique, duplicates, notMapped, config)));
    return index;
  };
  const { references, warnings } = resolveReferences(unique, indexFor, config.mapping.id);

  const employees = unique.map(
    (record): DesiredEmployee => ({
      employeeKey: record.employeeKey,
      sourceId: record.sourceId,
      recordRef: record.recordRef,
      user: record.user,
      references: references.get(record) ?? {},
      createOnly: record.createOnly,
      warnings: warnings.get(record) ?? [],
      ...(record.terminationDate !== undefined ? { terminationDate: record.terminationDate } : {}),
      ...(record.startDate !== undefined ? { startDate: record.startDate } : {}),
    }),
  );
  // Records read: those holding someone, and the rows the source could not read (each has a blank stand-in, not
  // counted above). Blank lines and rows of empty cells are not records: 2 people and 4 blank lines are 2 read.
  const recordsRead = records.length - blank + readProblems.length;
  return { employees, problems: [...readProblems, ...sortByRecord(problems)], recordsRead, excluded };
}

function buildReferenceIndex(
  matchOn: PeakonAttributeSpec['matchOn'],
  unique: MappedRecord[],
  duplicates: MappedRecord[],
  notMapped: Array<{ record: HrisRecord; recordRef: string }>,
  config: ConnectorConfig,
): ReferenceIndex {
  const written = new Map<string, MappedRecord>();
  for (const record of unique) {
    const pointer = pointerOf(record, matchOn);
    if (pointer !== undefined) written.set(pointer, record);
  }
  const notWritten = new Map<string, string>();
  for (const record of duplicates) {
    const pointer = pointerOf(record, matchOn);
    if (pointer !== undefined && !written.has(pointer)) notWritten.set(pointer, record.recordRef);
  }
  const spec = matchOn === 'id' ? config.mapping.id : matchOn === 'email' ? config.mapping.email : config.mapping.employeeNumber;
  if (spec) {
    for (const { record, recordRef } of notMapped) {
      const value = evaluateSpec(spec, record);
      if (!value.ok || value.value === undefined) continue;
      const pointer = normalizePointer(matchOn, String(value.value));
      if (!written.has(pointer)) notWritten.set(pointer, recordRef);
    }
  }
  return { written, notWritten };
}

/** Problems in source order, so the report reads top to bottom like the export. */
function sortByRecord(problems: RecordProblem[]): RecordProblem[] {
  const position = (ref: string) => Number(/\d+/.exec(ref)?.[0] ?? 0);
  return [...problems].sort((a, b) => position(a.recordRef) - position(b.recordRef));
}
