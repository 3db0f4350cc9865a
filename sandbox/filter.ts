import { parse, type Filter } from 'scim2-parse-filter';
import { EMPLOYEE_NUMBER_PATH, PEAKON_USER_SCHEMA, type ScimUser } from '../scim/resources';
import { splitAttributePath } from './attribute-path';
import { ScimHttpError } from './errors';
import { readsStoredForm } from './store';

export type UserPredicate = (user: ScimUser) => boolean;

/** SCIM defines userName and email values as caseExact=false; every other attribute Peakon filters on is exact. */
const CASE_INSENSITIVE_PATHS = new Set(['username', 'emails', 'emails.value']);

const QUOTED_VALUE = /"(?:[^"\\]|\\.)*"/g;
const PLACEHOLDER = /^scimvalue(\d+)$/;

const invalidFilter = (detail: string): ScimHttpError => new ScimHttpError(400, detail, 'invalidFilter');

/**
 * The attribute paths Peakon documents filtering on (../shared/peakon-scim.md): userName, emails (emails.value),
 * externalId, id, and the enterprise employeeNumber by its URN path. Attribute names are case-insensitive (RFC 7643 §2.1).
 */
const PEAKON_FILTER_PATHS = ['userName', 'emails', 'emails.value', 'externalId', 'id', EMPLOYEE_NUMBER_PATH];
const PEAKON_FILTER_PATH_SET = new Set(PEAKON_FILTER_PATHS.map((path) => path.toLowerCase()));

export interface UserFilterOptions {
  /**
   * Not Peakon behaviour: answers any filter RFC 7644 §3.4.2.2 defines (every operator, and/or/not, value filters, any
   * attribute), for generic SCIM conformance checkers. Default false: only what Peakon documents, `<attribute> eq "…"`
   * on one of PEAKON_FILTER_PATHS; anything else is 400 invalidFilter, so a client cannot come to rely on a filter
   * here that Peakon may not answer.
   */
  anyFilter?: boolean;
}

/**
 * Parses a SCIM filter into a predicate over stored users.
 * scim2-parse-filter mis-decodes backslashes in quoted values (`\\` stays two characters and a value ending in `\\`
 * fails to parse), so quoted values are decoded here with JSON string rules and swapped for plain placeholders
 * before the library sees the expression.
 */
export function parseUserFilter(expression: string, options: UserFilterOptions = {}): UserPredicate {
  const values: string[] = [];
  const masked = expression.replace(QUOTED_VALUE, (literal) => {
    let decoded: unknown;
    try {
      decoded = JSON.parse(literal);
    } catch {
      throw invalidFilter(`filter value ${literal} is not a valid quoted string`);
    }
    values.push(String(decoded));
    return `"scimvalue${values.length - 1}"`;
  });
  let ast: Filter;
  try {
    ast = parse(masked);
  } catch (error) {
    throw invalidFilter(`cannot parse filter "${expression}": ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!options.anyFilter) requirePeakonFilter(ast, expression);
  const restored = restoreValues(ast, values);
  // Compiled once per filter: splitting attribute paths for every user made each filtered list cost more per user.
  const predicate: UserPredicate = compile(restored, []);
  return readsServedForm(restored) ? predicate : readsStoredForm(predicate);
}

/**
 * The top-level attributes where the served user differs from the stored one (store.ts readsStoredForm): a filter
 * on the Peakon extension (a Manager is stored as an id, served as a userName) or on `schemas` needs the served form.
 */
const SERVED_FORM_ATTRIBUTES = new Set([PEAKON_USER_SCHEMA.toLowerCase(), 'schemas']);

/** Whether `filter` reads an attribute the store serves differently from how it keeps it; value filters' inner paths are relative. */
function readsServedForm(filter: Filter): boolean {
  switch (filter.op) {
    case 'and':
    case 'or':
      return filter.filters.some(readsServedForm);
    case 'not':
      return readsServedForm(filter.filter);
    default:
      return SERVED_FORM_ATTRIBUTES.has((splitAttributePath(filter.attrPath)[0] ?? '').toLowerCase());
  }
}

/** Peakon documents one filter form only: a single `eq` on one of PEAKON_FILTER_PATHS. */
function requirePeakonFilter(filter: Filter, expression: string): void {
  if (filter.op === 'eq' && PEAKON_FILTER_PATH_SET.has(filter.attrPath.toLowerCase())) return;
  throw invalidFilter(
    `filter "${expression}" is not one Peakon documents: only a single eq on ${PEAKON_FILTER_PATHS.join(', ')} ` +
      '(no other operators, no and/or/not, no value filters [...]); the sandbox answers any filter only with anyFilter / --any-filter, which is not Peakon behaviour',
  );
}

function restoreValues(filter: Filter, values: readonly string[]): Filter {
  switch (filter.op) {
    case 'and':
    case 'or':
      return { ...filter, filters: filter.filters.map((inner) => restoreValues(inner, values)) };
    case 'not':
      return { ...filter, filter: restoreValues(filter.filter, values) };
    case '[]':
      return { ...filter, valFilter: restoreValues(filter.valFilter, values) };
    case 'pr':
      return filter;
    default: {
      if (typeof filter.compValue !== 'string') return filter;
      const index = PLACEHOLDER.exec(filter.compValue)?.[1];
      const original = index === undefined ? undefined : values[Number(index)];
      return { ...filter, compValue: original ?? filter.compValue };
    }
  }
}

type NodeMatcher = (node: unknown) => boolean;

/** `filter` as a matcher over a node (the user, or an element of a value filter's attribute under `parentPath`). */
function compile(filter: Filter, parentPath: readonly string[]): NodeMatcher {
  switch (filter.op) {
    case 'and': {
      const inner = filter.filters.map((each) => compile(each, parentPath));
      return (node) => inner.every((matches) => matches(node));
    }
    case 'or': {
      const inner = filter.filters.map((each) => compile(each, parentPath));
      return (node) => inner.some((matches) => matches(node));
    }
    case 'not': {
      const inner = compile(filter.filter, parentPath);
      return (node) => !inner(node);
    }
    case '[]': {
      const path = splitAttributePath(filter.attrPath);
      const keys = lowerCased(path);
      const inner = compile(filter.valFilter, [...parentPath, ...path]);
      return (node) => valuesAt(node, keys, 0).some((element) => inner(element));
    }
    case 'pr': {
      const keys = lowerCased(splitAttributePath(filter.attrPath));
      return (node) => valuesAt(node, keys, 0).some((value) => value !== null && value !== '');
    }
    default: {
      const path = splitAttributePath(filter.attrPath);
      const keys = lowerCased(path);
      const caseInsensitive = CASE_INSENSITIVE_PATHS.has([...parentPath, ...path].join('.').toLowerCase());
      const { op, compValue } = filter;
      return (node) => valuesAt(node, keys, 0).some((value) => compare(op, comparable(value), compValue, caseInsensitive));
    }
  }
}

const lowerCased = (path: readonly string[]): string[] => path.map((key) => key.toLowerCase());

/**
 * Walks `keys` (lower-cased) from `from` on, matching object keys case-insensitively (SCIM attribute names are; the
 * first such key wins) and fanning out over multi-valued attributes.
 */
function valuesAt(node: unknown, keys: readonly string[], from: number): unknown[] {
  if (Array.isArray(node)) return node.flatMap((element: unknown) => valuesAt(element, keys, from));
  const head = keys[from];
  if (head === undefined) return [node];
  if (typeof node !== 'object' || node === null) return [];
  for (const key of Object.keys(node)) if (key.toLowerCase() === head) return valuesAt((node as Record<string, unknown>)[key], keys, from + 1);
  return [];
}

/** A filter on a complex attribute without a sub-attribute (`emails eq "…"`) compares its `value`, as RFC 7644 §3.4.2.2 implies. */
function comparable(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && 'value' in value) return value.value;
  return value;
}

type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'lt' | 'ge' | 'le';

function compare(op: CompareOp, actual: unknown, expected: string | number | boolean | null, caseInsensitive: boolean): boolean {
  const fold = (value: unknown): unknown => (caseInsensitive && typeof value === 'string' ? value.toLowerCase() : value);
  const left = fold(actual);
  const right = fold(expected);
  switch (op) {
    case 'eq':
      return left === right;
    case 'ne':
      return left !== right;
    case 'co':
      return typeof left === 'string' && typeof right === 'string' && left.includes(right);
    case 'sw':
      return typeof left === 'string' && typeof right === 'string' && left.startsWith(right);
    case 'ew':
      return typeof left === 'string' && typeof right === 'string' && left.endsWith(right);
    case 'gt':
      return ordered(left, right, (order) => order > 0);
    case 'lt':
      return ordered(left, right, (order) => order < 0);
    case 'ge':
      return ordered(left, right, (order) => order >= 0);
    case 'le':
      return ordered(left, right, (order) => order <= 0);
  }
}

function ordered(left: unknown, right: unknown, accept: (order: number) => boolean): boolean {
  if (typeof left === 'number' && typeof right === 'number') return accept(left - right);
  if (typeof left === 'string' && typeof right === 'string') return accept(left < right ? -1 : left > right ? 1 : 0);
  return false;
}
