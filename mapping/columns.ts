import { closestName } from '../config/did-you-mean';
import type { ConnectorConfig } from '../config/schema';
import { SourceReadError, type HrisRecord } from '../hris/source';
import { fieldUsesExpectedInJson, fieldUsesOfConfig } from './fields-used';
import { getField } from './record-fields';

/** A file with hundreds of columns still gets a message a person reads to the end. */
const MAX_COLUMNS_LISTED = 60;

/**
 * A CSV export without a column the config reads is a bad read, not thousands of bad records: a renamed or dropped
 * column would otherwise fail every row (a required field) or silently empty a field for everyone (an optional one).
 * Throws one SourceReadError naming each missing column, the settings that read it and the columns the file has, so the
 * run stops before any write. Only CSV: a JSON source may leave out an empty field, a CSV row always has every column.
 * When more than half of the fields the config reads are missing, the file most likely has no header row: its first
 * line is an employee's values, so the message gives only the number of its fields, never their text.
 */
export function assertMappedColumns(records: readonly HrisRecord[], config: ConnectorConfig): void {
  const [first] = records;
  if (config.source.type !== 'csv' || first === undefined) return;
  const columns = Object.keys(first);
  const present = new Set(columns);
  const uses = fieldUsesOfConfig(config);
  // Every CSV row holds every header column, so the first row decides; a field only some hand-built records have (or a
  // dotted path into records that are not really CSV rows) is read as the mapping reads it, and then it is there.
  const missing = uses.filter(({ field }) => !present.has(field) && !records.some((record) => getField(record, field) !== undefined));
  if (missing.length === 0) return;
  const noRecordUsed = `No record of it is used (a sync writes nothing, validate checks no record): a file without a mapped column is a bad export, not ${records.length} invalid record${records.length === 1 ? '' : 's'}`;
  if (missing.length * 2 > uses.length) {
    // Most of what the config reads is missing: the "header" is most likely the first employee's row (an export without
    // a header row). Its names are then personal data, which this message (workflow history, logs, the CLI) must not
    // quote: neither listed nor offered as a "did you mean".
    const lines = missing.map(({ field, usedBy }) => `  - "${field}", read by ${usedBy.join(', ')}`);
    const delimiter = columns.length === 1 ? ' (a single field: a wrong source.delimiter?)' : '';
    throw new SourceReadError(
      `csv:${config.source.path} seems to have no header row: ${missing.length} of the ${uses.length} columns the config reads are not in its first line, ` +
        `so that line looks like data (an employee's values), not column names. Missing:\n${lines.join('\n')}\n` +
        `Its first line has ${columns.length} field${columns.length === 1 ? '' : 's'}${delimiter}, not listed here since they may be personal data. ` +
        `${noRecordUsed}; export the file with its header row (or, if it has one, check that this config is meant for this export)`,
    );
  }
  // Most mapped columns are there, so the first line is a header row: its names may be listed and suggested.
  const lines = missing.map(({ field, usedBy }) => {
    const suggestion = closestName(field, columns);
    return `"${field}", read by ${usedBy.join(', ')}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
  });
  const listed = columns.slice(0, MAX_COLUMNS_LISTED).map((column) => `"${column}"`).join(', ');
  const more = columns.length > MAX_COLUMNS_LISTED ? ` and ${columns.length - MAX_COLUMNS_LISTED} more` : '';
  const what = missing.length === 1 ? `has no column ${lines[0] ?? ''}` : `lacks ${missing.length} columns the config reads:\n${lines.map((line) => `  - ${line}`).join('\n')}\n`;
  throw new SourceReadError(`csv:${config.source.path} ${what}${missing.length === 1 ? '. ' : ''}The file's columns: ${listed}${more}. ${noRecordUsed}; fix the export or the mapping`);
}

/**
 * A JSON read (a REST source) in which no record holds a field the mapping reads straight: the API renamed it, or the
 * credentials may no longer read it and the API leaves it out (many do, with a 200). Read on, the field would be empty
 * for everyone, and its attribute removed from every Peakon user (a Manager, a Department) with nobody warned, since
 * only leavers are guarded. One record without it proves nothing (APIs leave out empty fields), so the rule is "none
 * of at least two"; settings that may be empty for everyone on a given day (the leavers' dates, scope conditions,
 * templates, a setting with a `default`, `default: ""` meaning no value) are not checked (mapping/fields-used.ts fieldUsesExpectedInJson). CSV has its own check above, BambooHR its own
 * (hris/bamboohr.ts: every requested field must be answered).
 */
export function assertJsonFieldsPresent(allRecords: readonly HrisRecord[], config: ConnectorConfig): void {
  // A list entry that was not an employee object stands in as `{}` (hris/rest.ts): it holds no field, and counted, one
  // real record lacking a field beside one such entry would read as "no record holds it".
  const records = allRecords.filter((record) => Object.keys(record).length > 0);
  if (config.source.type !== 'rest' || records.length < 2) return;
  const missing = fieldUsesExpectedInJson(config).filter(({ field }) => !records.some((record) => getField(record, field) !== undefined));
  if (missing.length === 0) return;
  // Keys are field names, not values: safe to offer as a "did you mean".
  const keys = [...new Set(records.slice(0, 100).flatMap((record) => Object.keys(record)))];
  const lines = missing.map(({ field, usedBy }) => {
    const suggestion = closestName(field, keys);
    return `"${field}", read by ${usedBy.join(', ')}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
  });
  const what = missing.length === 1 ? `holds the field ${lines[0] ?? ''}` : `holds any of ${missing.length} fields the config reads:\n${lines.map((line) => `  - ${line}`).join('\n')}\n`;
  throw new SourceReadError(
    `none of the ${records.length} records the REST source read ${what}${missing.length === 1 ? '. ' : ''}` +
      `The API renamed it, or no longer answers it to these credentials; read on, it would be empty for everyone and removed from every Peakon user. ` +
      `No record of this read is used (a sync writes nothing): fix the mapping or the API's permissions, or, if the field may be empty for everyone, give the setting \`default: ""\` ` +
      `(no value: the attribute is cleared in Peakon, as for a person whose field is empty) or a default value for everyone; an employeeRef setting takes no default`,
  );
}
