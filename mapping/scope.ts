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
  return (typeof value === 'object' ? JSON.stringify(value) : String(value)).trim().normalize('NFC');
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

// One test per condition, its config text in NFC (as conditionText is), not normalised again for every record.
const tests = new WeakMap<ScopeCondition, (text: string) => boolean>();
function conditionTest(condition: ScopeCondition): (text: string) => boolean {
  let test = tests.get(condition);
  if (!test) {
    test = compileCondition(condition);
    tests.set(condition, test);
  }
  return test;
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

function conditionHolds(record: HrisRecord, condition: ScopeCondition): boolean {
  return conditionTest(condition)(conditionText(record, condition.field));
}

function ruleHolds(record: HrisRecord, rule: ScopeRule): boolean {
  return rule.every((condition) => conditionHolds(record, condition));
}

/** In scope when any include rule holds (or none are given) and no exclude rule holds. */
export function isInScope(record: HrisRecord, scope: Scope | undefined): boolean {
  if (!scope) return true;
  const included = !scope.include || scope.include.some((rule) => ruleHolds(record, rule));
  return included && !(scope.exclude ?? []).some((rule) => ruleHolds(record, rule));
}

const scopeFields = new WeakMap<Scope, string[]>();

/**
 * Scope fields the source could not decode (mapping/source-text.ts), or JSON numbers beyond 2^53 (unsafeNumberProblem,
 * as fieldText checks every mapped field): a rounded number fails an `equals` or `in` rule. Such a record can be judged
 * neither in nor out of scope: it is reported, never silently excluded (and so never taken for a leaver).
 */
export function scopeTextProblems(record: HrisRecord, scope: Scope | undefined): Array<{ field: string; message: string }> {
  if (!scope) return [];
  let fields = scopeFields.get(scope);
  if (!fields) scopeFields.set(scope, (fields = [...new Set([...(scope.include ?? []), ...(scope.exclude ?? [])].flat().map((condition) => condition.field))]));
  const problems: Array<{ field: string; message: string }> = [];
  for (const field of fields) {
    const value = getField(record, field);
    const problem = untrustedTextProblem(value, field) ?? unsafeNumberProblem(value, field);
    if (problem !== undefined) problems.push({ field, message: `${problem} (the scope rules read it)` });
  }
  return problems;
}
