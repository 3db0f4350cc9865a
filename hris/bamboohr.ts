import { z } from 'zod';
import { assertSecureDestination, type SecretResolver } from '../config/secret';
import { basicAuth, headerSecret } from './auth';
import type { BambooHrSourceConfig } from './config';
import type { RecordProblem } from '../mapping/employee';
import { BEYOND_EXACT_JSON_RANGE, isBeyondExactJsonRange } from '../mapping/record-fields';
import { HrisStatusError, httpSettingsFor, requestJson, type HrisHttpSettings, type Sleep } from './http';
import { employeeEntries, kindOfJson } from './rest';
import { SourceReadError, type HrisReadOptions, type HrisRecord, type HrisSource } from './source';

export interface BambooHrSourceDeps {
  resolveSecret: SecretResolver;
  sleep: Sleep;
  /** Fields the config reads (mapping, leavers' termination date); the custom report asks for exactly these (plus supervisorEId). */
  fields: string[];
}

/** BambooHR's supervisor pointer: the supervisor's employee id, the value `{ employeeRef: supervisorEId }` resolves. */
export const SUPERVISOR_FIELD = 'supervisorEId';
/** Pages handed to the mapping; BambooHR itself answers a report in one response. */
const PAGE_SIZE = 1000;

// Each entry of `employees` is checked on its own (employeeEntries): one that is not an object is one problem record.
const EmployeeListSchema = z.looseObject({
  employees: z.array(z.unknown()),
  fields: z.array(z.looseObject({ id: z.union([z.string(), z.number()]).transform(String) })).optional(),
});
type EmployeeList = { employees: HrisRecord[]; fields?: Array<{ id: string }> | undefined };
const ChangeSchema = z.looseObject({
  id: z.union([z.string(), z.number()]),
  action: z.enum(['Inserted', 'Updated', 'Deleted']),
  lastChanged: z.string(),
});
const ChangedResponseSchema = z.looseObject({
  latest: z.string().optional(),
  employees: z.union([z.record(z.string(), ChangeSchema), z.array(z.never())]).transform((value) => (Array.isArray(value) ? {} : value)),
});
export type BambooHrChange = z.infer<typeof ChangeSchema> & { id: string };

/**
 * A changed employee's id as text. The feed keys each change by the id as a JSON string, exact whatever its size; an
 * `id` that is a number beyond 2^53 was rounded by JSON.parse, so the key is used when it reads as that number, and
 * otherwise the change is a problem (undefined): a rounded id would fetch, or report deleted, another employee.
 */
function changeId(key: string, id: string | number): string | undefined {
  if (typeof id === 'string') return id;
  if (!isBeyondExactJsonRange(id)) return String(id);
  return /^\d+$/.test(key) && Number(key) === id ? key : undefined;
}

export interface BambooHrChanges {
  /** BambooHR's high-water mark: pass it as `since` next time. */
  latest: string | undefined;
  /** Current records of inserted and updated employees, with the same fields as a full read. */
  records: HrisRecord[];
  /** Employees BambooHR reports as deleted (rare: BambooHR terminates rather than deletes). */
  deletedIds: string[];
  changes: BambooHrChange[];
  /**
   * Changed employees whose current record could not be read (a 404: deleted since the feed listed them; an answer
   * that is not an object). Left out of `records`; each names the employee by id only, never by a value.
   */
  problems: RecordProblem[];
}

export interface BambooHrSource extends HrisSource {
  /** The employees changed since a moment (BambooHR's `employees/changed` feed), for incremental runs. */
  readChangedSince(since: Date | string, options?: HrisReadOptions): Promise<BambooHrChanges>;
}

/**
 * BambooHR: the API key is the basic-auth user name with any password ("x" by convention). A full read is one custom
 * report (POST /v1/reports/custom) with the fields the mapping needs, or the fixed employee directory.
 */
export function createBambooHrSource(config: BambooHrSourceConfig, deps: BambooHrSourceDeps): BambooHrSource {
  const base = (config.baseUrl ?? `https://api.bamboohr.com/api/gateway.php/${config.companyDomain}`).replace(/\/+$/, '');
  const description = `bamboohr:${config.companyDomain}`;
  // Each read passes its own signal and retry callback; the rest is the source's.
  const settingsFor = (options: HrisReadOptions): HrisHttpSettings => httpSettingsFor(config, options, deps.sleep, description);
  // BambooHR always returns `id`; asking for it as a field is an error in some accounts.
  const fields = [...new Set([...deps.fields, ...config.fields, SUPERVISOR_FIELD])].filter((field) => field !== 'id');
  // The key is resolved for each request's URL (and each redirect's), so it only goes where the worker binds it.
  // Its secrets travel with the headers so that a message quoting BambooHR's answer never quotes the key (hris/http.ts).
  const authenticated = (url: string | URL, extraHeaders: Record<string, string> = {}) => {
    assertSecureDestination(url);
    const key = headerSecret(config.apiKey, deps.resolveSecret, { url, field: 'source.apiKey' });
    const auth = basicAuth(key, 'x', key);
    return { headers: { Accept: 'application/json', ...extraHeaders, ...auth.headers }, secrets: auth.secrets };
  };
  const checkRedirect = (url: URL) => void authenticated(url);

  async function readAll(options: HrisReadOptions): Promise<HrisRecord[]> {
    const settings = settingsFor(options);
    const response =
      config.read === 'directory'
        ? await requestJson({ method: 'GET', url: `${base}/v1/employees/directory`, ...authenticated(`${base}/v1/employees/directory`), checkRedirect }, settings)
        : await requestJson(
            {
              method: 'POST',
              url: `${base}/v1/reports/custom`,
              params: { format: 'JSON', onlyCurrent: String(config.onlyCurrent) },
              ...authenticated(`${base}/v1/reports/custom`, { 'Content-Type': 'application/json' }),
              checkRedirect,
              body: { title: 'peakon-scim-connector', fields },
            },
            settings,
          );
    const parsed = EmployeeListSchema.safeParse(response.body);
    if (!parsed.success) throw new SourceReadError(`${description}: the ${config.read} response ${describeBadList(response.body)}`);
    // A report entry that is not an employee object (null) is a problem of its own, as a CSV row the source cannot
    // read: the other employees are read, and the problem (no key, no id) holds the run's leaver writes for approval.
    const listName = config.read === 'directory' ? 'the employee directory' : 'the custom report';
    const { records: employees, problems } = employeeEntries(parsed.data.employees, {
      description,
      readBefore: 0,
      onProblem: options.onProblem,
      entryName: (entry) => `entry ${entry} of the "employees" list of ${listName}`,
    });
    if (employees.length > 0 && problems.length === employees.length) {
      throw new SourceReadError(`${description} returned no employee records, only ${problems.length} entry(ies) that are not employee objects; refusing to sync an empty read`);
    }
    // One answer, kept whole: its problems are the read's.
    for (const problem of problems) options.onProblem?.(problem);
    assertFieldsAnswered({ ...parsed.data, employees });
    return employees.map(normalizeRecord);
  }

  /**
   * BambooHR answers 200 to a report that names a field it does not know or the key may not read, and leaves that
   * field out (of `fields` and of every employee); the directory has a fixed set of fields. Read on, such a field is
   * empty for everyone and the mapping removes its attribute from every Peakon user: a bad read, not an empty value.
   * The fields the config reads must each come back, in the answer's `fields` list or as a key of an employee.
   * (supervisorEId, asked for in every report, is only required when the config reads it.)
   */
  function assertFieldsAnswered(answer: EmployeeList): void {
    // No employees at all is the empty read readPages refuses, with its own message.
    if (answer.employees.length === 0) return;
    const wanted = config.read === 'directory' ? deps.fields : [...deps.fields, ...config.fields];
    const answered = new Set(answer.fields?.map((field) => field.id));
    for (const employee of answer.employees) for (const key of Object.keys(employee)) answered.add(key);
    const missing = [...new Set(wanted)].filter((field) => field !== 'id' && !answered.has(field));
    if (missing.length === 0) return;
    const listed = missing.map((field) => `"${field}"`).join(', ');
    const why =
      config.read === 'directory'
        ? 'the employee directory has a fixed set of fields; use read: customReport, or fix the field name'
        : 'BambooHR leaves out, without an error, a field it does not know or the API key may not read; fix the field name in the config or the key\'s access';
    throw new SourceReadError(
      `${description}: the ${config.read === 'directory' ? 'employee directory' : 'custom report'} did not return ${missing.length === 1 ? 'the field' : `${missing.length} fields`} the config reads: ${listed} (${why}). ` +
        'No record of it is used: read on, every employee would look as if the field were empty',
    );
  }

  return {
    description,
    async *readPages(options = {}) {
      const records = await readAll(options);
      if (records.length === 0) throw new SourceReadError(`${description} returned no employee records; refusing to sync an empty read`);
      for (let start = 0; start < records.length; start += PAGE_SIZE) yield records.slice(start, start + PAGE_SIZE);
    },
    async readChangedSince(since, options = {}) {
      const settings = settingsFor(options);
      const sinceText = typeof since === 'string' ? since : since.toISOString().replace(/\.\d{3}Z$/, 'Z');
      const changedUrl = `${base}/v1/employees/changed`;
      const response = await requestJson({ method: 'GET', url: changedUrl, params: { since: sinceText }, ...authenticated(changedUrl), checkRedirect }, settings);
      const parsed = ChangedResponseSchema.safeParse(response.body);
      if (!parsed.success) throw new SourceReadError(`${description}: the employees/changed response is not the expected shape`);
      const records: HrisRecord[] = [];
      const problems: RecordProblem[] = [];
      // One employee BambooHR cannot hand over is a problem of that employee, not of the read: the others are still
      // current. The problem carries the id, so the plan keeps (never removes) that employee's Peakon user this run.
      const problem = (id: string, message: string): RecordProblem => ({ recordRef: `employee ${id}`, sourceId: id, field: 'record', message });
      const changes: BambooHrChange[] = [];
      for (const [key, change] of Object.entries(parsed.data.employees)) {
        const id = changeId(key, change.id);
        if (id !== undefined) changes.push({ ...change, id });
        else {
          problems.push({
            recordRef: `change ${JSON.stringify(key)}`,
            field: 'id',
            message: `${BEYOND_EXACT_JSON_RANGE}, which JSON readers round; have the HR system send it as a string. Left out of this run`,
          });
        }
      }
      // One GET per changed employee is BambooHR's own model for this feed; incremental runs change few people.
      for (const change of changes.filter((entry) => entry.action !== 'Deleted')) {
        const employeeUrl = `${base}/v1/employees/${encodeURIComponent(change.id)}`;
        let employee;
        try {
          employee = await requestJson(
            { method: 'GET', url: employeeUrl, params: { fields: fields.join(','), onlyCurrent: 'false' }, ...authenticated(employeeUrl), checkRedirect },
            settings,
          );
        } catch (error) {
          if (!(error instanceof HrisStatusError && error.status === 404)) throw error;
          problems.push(problem(change.id, `BambooHR answered 404 for this ${change.action.toLowerCase()} employee (deleted since the change was listed?); left out of this run`));
          continue;
        }
        const record = z.record(z.string(), z.unknown()).safeParse(employee.body);
        if (!record.success) {
          problems.push(problem(change.id, `BambooHR's answer for this employee is not a JSON object (${Array.isArray(employee.body) ? 'a list' : employee.body === null ? 'null' : typeof employee.body}); left out of this run`));
          continue;
        }
        records.push(normalizeRecord({ id: change.id, ...record.data }));
      }
      return {
        latest: parsed.data.latest,
        records,
        deletedIds: changes.filter((entry) => entry.action === 'Deleted').map((entry) => entry.id),
        changes,
        problems,
      };
    },
  };
}

/** Why an answer is not a list of employees, naming what was there by kind only (never a value: personal data). */
function describeBadList(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return `is not a JSON object (found ${kindOfJson(body)})`;
  const employees = 'employees' in body ? body.employees : undefined;
  if (!Array.isArray(employees)) return `has no "employees" list (found ${kindOfJson(employees)} at "employees")`;
  return 'has a "fields" list that is not a list of objects with an "id"';
}

/**
 * BambooHR's "no date": an empty date field comes back as a zero date rather than null. Any field, since custom
 * fields can be dates too and the source does not know the field types.
 */
const ZERO_DATE = /^0000-00-00(?: 00:00:00)?$/;

/**
 * BambooHR sends ids as numbers in some endpoints and strings in others; the mapping compares them as text. A zero
 * date is read as empty (null): passed through, the date check would reject the record of every employee without
 * that date (a current employee's termination date, say).
 */
function normalizeRecord(record: HrisRecord): HrisRecord {
  const result: HrisRecord = { ...record };
  for (const [key, value] of Object.entries(result)) {
    if (typeof value === 'string' && ZERO_DATE.test(value)) result[key] = null;
  }
  for (const key of ['id', SUPERVISOR_FIELD]) {
    const value = result[key];
    // A number beyond 2^53 was rounded by JSON.parse: left a number, the mapping rejects the record naming the field.
    if (typeof value === 'number' && !isBeyondExactJsonRange(value)) result[key] = String(value);
  }
  return result;
}
