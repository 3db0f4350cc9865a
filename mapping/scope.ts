import type { HrisRecord } from '../hris/source';
import type { Scope, ScopeCondition, ScopeRule } from './config';
import { getField, isBlank, unsafeNumberProblem } from './record-fields';
import { untrustedTextProblem } from './source-text';

/**
 * Compared as trimmed text, so a CSV "Sales " and a JSON "Sales" scope alike, and in Unicode's composed form (NFC) on
 * both sides (conditionTest), so "Zürich" from a macOS export (u + combining diaeresis, NFD) is the config's "Zürich":
 * a miss would put those people out of scope, as leavers.
 */
function conditionText(record: HrisRecord, field: string): string {
  const value = getField(record, field);
  if (value === undefined || value === null) return '';
  const text = (typeof value === 'object' ? JSON.stringify(value) : String(value)).trim().normalize('NFC');
  // Blank as the mapping reads it (a zero-width space, a soft hyphen alone): compared as "", so `in: ["", …]` and
  // `empty: true` agree on it.
  return isBlank(text) ? '' : text;
}

// One RegExp per pattern, not per record: scoping runs over every record of a 50,000-row read.
const patterns = new Map<string, RegExp>();
function pattern(source: string): RegExp {
  let compiled = patterns.get(source);
  if (!compiled) {
    compiled = new RegExp(source);
    patterns.set(source, compiled);
  }
  return compiled;
}

/**
 * A condition compiled once (its config text in NFC, as conditionText is), not normalised again for every record.
 * `readsEmpty`: a condition that says itself what an empty value means (saysWhatEmptyMeans); any other condition
 * deciding on an empty value cannot say whether the record is in scope (scopeVerdict).
 */
interface CompiledCondition {
  test: (text: string) => boolean;
  readsEmpty: boolean;
}
const compiledConditions = new WeakMap<ScopeCondition, CompiledCondition>();
function conditionTest(condition: ScopeCondition): CompiledCondition {
  let compiled = compiledConditions.get(condition);
  if (!compiled) {
    compiled = { test: compileCondition(condition), readsEmpty: saysWhatEmptyMeans(condition) };
    compiledConditions.set(condition, compiled);
  }
  return compiled;
}

/** `empty`/`notEmpty`, or a value compared with "" (`equals: ""`, `notEquals: ""`, `in: ["", …]`): blank decided on purpose. */
function saysWhatEmptyMeans(condition: ScopeCondition): boolean {
  return condition.empty === true || condition.notEmpty === true || condition.equals === '' || condition.notEquals === '' || (condition.in ?? []).includes('');
}

function compileCondition(condition: ScopeCondition): (text: string) => boolean {
  if (condition.equals !== undefined) {
    const equals = condition.equals.normalize('NFC');
    return (text) => text === equals;
  }
  if (condition.notEquals !== undefined) {
    const notEquals = condition.notEquals.normalize('NFC');
    return (text) => text !== notEquals;
  }
  if (condition.in !== undefined) {
    const values = new Set(condition.in.map((value) => value.normalize('NFC')));
    return (text) => values.has(text);
  }
  if (condition.matches !== undefined) {
    const compiled = pattern(condition.matches.normalize('NFC'));
    return (text) => compiled.test(text);
  }
  // Empty as the mapping reads it (record-fields isBlank): a value of only invisible characters (a zero-width space, a
  // BOM) is no value, so `notEmpty` on a termination date does not take it out of scope.
  if (condition.empty) return (text) => isBlank(text);
  if (condition.notEmpty) return (text) => !isBlank(text);
  return () => false;
}

/**
 * An include rule: true when it holds, false when a value the record has fails it, else the fields whose empty value
 * alone failed it (conditions other than `empty`/`notEmpty`): with a value there, it might have held.
 */
function includeRuleOutcome(record: HrisRecord, rule: ScopeRule): boolean | string[] {
  let emptyFields: string[] | undefined;
  for (const condition of rule) {
    const { test, readsEmpty } = conditionTest(condition);
    const text = conditionText(record, condition.field);
    if (test(text)) continue;
    if (readsEmpty || !isBlank(text)) return false;
    (emptyFields ??= []).push(condition.field);
  }
  return emptyFields ?? true;
}

/**
 * An exclude rule: true when it holds on values the record has (or through `empty`/`notEmpty` conditions), false when
 * it fails, else the fields whose empty value alone let it hold (`notEquals: Active`, or a pattern matching ""): with a
 * value there, it might not have held.
 */
function excludeRuleOutcome(record: HrisRecord, rule: ScopeRule): boolean | string[] {
  let emptyFields: string[] | undefined;
  for (const condition of rule) {
    const { test, readsEmpty } = conditionTest(condition);
    const text = conditionText(record, condition.field);
    if (!test(text)) return false;
    if (!readsEmpty && isBlank(text)) (emptyFields ??= []).push(condition.field);
  }
  return emptyFields ?? true;
}

export type ScopeProblem = { field: string; message: string };

/**
 * 'in' when any include rule holds (or none are given) and no exclude rule holds; 'out' when an exclude rule holds, or
 * every include rule fails on a value the record has. When the verdict turns on an empty field read by a condition
 * other than `empty`/`notEmpty` (no include rule holds but one failed only because of it, or an exclude rule holds only
 * because of it), whether the record is in scope cannot be told: one problem per such field. Such a record is reported,
 * never silently excluded (which would make a current employee a leaver: an empty status under `include: status in
 * [Active, Terminated]`, or under `exclude: status notEquals Active`), as scopeTextProblems' records are.
 */
export function scopeVerdict(record: HrisRecord, scope: Scope | undefined): 'in' | 'out' | ScopeProblem[] {
  if (!scope) return 'in';
  let emptyFields: Set<string> | undefined;
  for (const rule of scope.exclude ?? []) {
    const outcome = excludeRuleOutcome(record, rule);
    if (outcome === true) return 'out';
    if (outcome !== false) for (const field of outcome) (emptyFields ??= new Set()).add(field);
  }
  if (scope.include) {
    let undecided: string[] | undefined;
    let included = false;
    for (const rule of scope.include) {
      const outcome = includeRuleOutcome(record, rule);
      if (outcome === true) {
        included = true;
        break;
      }
      if (outcome !== false) (undecided ??= []).push(...outcome);
    }
    // Every include rule failed on a value the record has: out, whatever an exclude rule would say.
    if (!included && !undecided) return 'out';
    if (!included) for (const field of undecided ?? []) (emptyFields ??= new Set()).add(field);
  }
  if (!emptyFields) return 'in';
  return [...emptyFields].map((field) => ({
    field,
    message: `"${field}" is empty, and the scope rules read it: cannot tell whether this record is in scope (an include or exclude rule with \`empty: true\` says what an empty value means)`,
  }));
}

const scopeFields = new WeakMap<Scope, string[]>();

/**
 * Scope fields the source could not decode (mapping/source-text.ts), or JSON numbers beyond 2^53 (unsafeNumberProblem,
 * as fieldText checks every mapped field): a rounded number fails an `equals` or `in` rule. Such a record can be judged
 * neither in nor out of scope: it is reported, never silently excluded (and so never taken for a leaver).
 */
export function scopeTextProblems(record: HrisRecord, scope: Scope | undefined): ScopeProblem[] {
  if (!scope) return [];
  let fields = scopeFields.get(scope);
  if (!fields) scopeFields.set(scope, (fields = [...new Set([...(scope.include ?? []), ...(scope.exclude ?? [])].flat().map((condition) => condition.field))]));
  const problems: ScopeProblem[] = [];
  for (const field of fields) {
    const value = getField(record, field);
    const problem = untrustedTextProblem(value, field) ?? unsafeNumberProblem(value, field);
    if (problem !== undefined) problems.push({ field, message: `${problem} (the scope rules read it)` });
  }
  return problems;
}
