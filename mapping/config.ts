import { z } from 'zod';
import { compileDateFormat, DATE_FORMAT_TOKENS, isIsoDate, lettersOutsideTokens, parseDate } from './dates';

function isDateFormat(format: string): boolean {
  try {
    compileDateFormat(format);
    return true;
  } catch {
    return false;
  }
}

const ScalarSchema = z.union([z.string(), z.number(), z.boolean()]);

/**
 * The transforms every value spec may use. Applied in this order: trim → case → then, when the value is empty, default
 * as the final value (neither map nor date applies to it); otherwise map → date. A default, map value or fallback that
 * is "" is no value, as an empty HRIS value is (mapping/evaluate.ts). Settings this order makes unreachable are listed
 * by unreachableSpecSettings.
 */
const valueShape = {
  field: z.string().min(1).optional().describe('HRIS field name (CSV column, JSON key or dotted path such as "work.email")'),
  value: ScalarSchema.optional().describe('a constant'),
  template: z.string().min(1).optional().describe('text with {field} placeholders, e.g. "{first_name} {last_name}"'),
  trim: z.boolean().default(true).describe('strip leading and trailing white space (on by default: HR exports are full of it)'),
  case: z.enum(['lower', 'upper']).optional().describe('change the case of the text'),
  default: ScalarSchema.optional().describe('the final value when the HRIS value is empty (not passed through map or date); "" is no value, as if there were no default (an optional attribute is cleared)'),
  map: z
    .record(z.string(), ScalarSchema)
    .optional()
    .describe('value map, e.g. { M: Male, F: Female, U: "" }; keys are compared after trim and case, in Unicode NFC (a decomposed "Zürich" matches); a value "" is no value, as an empty HRIS value is (an optional attribute is cleared)'),
  fallback: ScalarSchema.optional().describe('the value when map has no entry ("" means no value); without it an unmapped value rejects the record'),
  date: z
    .string()
    .min(1)
    .refine(isDateFormat, { message: 'expected a date format made of YYYY, MM (or M), DD (or D) and separators, or ISO' })
    .optional()
    .describe('parse a date written as this format (tokens YYYY, MM, M, DD, D; or ISO) and output YYYY-MM-DD'),
  onlyOnCreate: z.boolean().default(false).describe('set when the user is created, never overwritten afterwards'),
};

type SourceKeys = { field?: unknown; value?: unknown; template?: unknown; employeeRef?: unknown };
function countSources(spec: SourceKeys): number {
  return [spec.field, spec.value, spec.template, spec.employeeRef].filter((part) => part !== undefined).length;
}
const exactlyOneSource = { message: 'give exactly one of field, value or template' };

/** How one target attribute gets its value from an HRIS record. Exactly one of `field`, `value`, `template`. */
export const ValueSpecSchema = z.strictObject(valueShape).refine((spec) => countSources(spec) === 1, exactlyOneSource);
export type ValueSpec = z.infer<typeof ValueSpecSchema>;

/** Accepts the shorthand `"column"` for `{ field: "column" }`. */
export const ValueSpecInputSchema = z.union([
  z
    .string()
    .min(1)
    .transform((field): ValueSpec => ValueSpecSchema.parse({ field })),
  ValueSpecSchema,
]);

/** The Peakon attribute types the connector can produce (employee-type attributes use `employeeRef`). */
export const PeakonValueTypeSchema = z.enum(['option', 'date', 'number']);
export type PeakonValueType = z.infer<typeof PeakonValueTypeSchema>;

/**
 * Transforms that an employeeRef attribute cannot apply (it writes the referenced employee's email, as found). The
 * schema accepts them (a schedule's stored config that has one must keep running, as it did when they were silently
 * ignored); a config a person hands the CLI now is refused (config/load.ts checkWrittenNow).
 */
const IGNORED_BY_EMPLOYEE_REF = ['case', 'default', 'map', 'fallback', 'date', 'type'] as const;

/** Options of the mapping's Peakon attributes that do nothing (see IGNORED_BY_EMPLOYEE_REF), as `path: why` lines. */
export function pointlessAttributeOptions(attributes: Record<string, PeakonAttributeSpec>): string[] {
  const problems: string[] = [];
  for (const [attribute, spec] of Object.entries(attributes)) {
    const at = `mapping.attributes.${attribute}`;
    if (spec.employeeRef === undefined) {
      // matchOn says what an employeeRef field holds; on any other attribute it would do nothing.
      if (spec.matchOn !== 'id') problems.push(`${at}.matchOn: applies only with employeeRef (what the employeeRef field holds)`);
      continue;
    }
    for (const key of IGNORED_BY_EMPLOYEE_REF) {
      if (spec[key] !== undefined) problems.push(`${at}.${key}: has no effect with employeeRef: the reference is matched as the HR record holds it (matchOn), and the referenced employee's email is written; remove ${key}`);
    }
    if (!spec.trim) problems.push(`${at}.trim: has no effect with employeeRef: a reference is always matched trimmed; remove trim`);
  }
  return problems;
}

/**
 * Employee references that can never resolve, as `path: why` lines (every reference would be "not in the HRIS read"):
 * `matchOn: employeeNumber` without `mapping.employeeNumber`: no record has a number to be found by. (`matchOn: id`
 * with mapping.id a template or a constant is no such case: a manager column may hold the built id, `ACME-42`, and is
 * then compared as written; mapping/references.ts referencePointer.)
 * A rule added after schedules stored such configs, so it is held only to a config handed to the CLI now
 * (config/load.ts checkWrittenNow), as pointlessAttributeOptions is.
 */
export function unresolvableReferences(mapping: Pick<MappingConfig, 'attributes' | 'employeeNumber'>): string[] {
  const problems: string[] = [];
  for (const [attribute, spec] of Object.entries(mapping.attributes)) {
    if (spec.employeeRef === undefined) continue;
    const at = `mapping.attributes.${attribute}.matchOn`;
    if (spec.matchOn === 'employeeNumber' && mapping.employeeNumber === undefined) {
      problems.push(`${at}: employeeNumber needs mapping.employeeNumber (the HRIS field each employee's number is read from); without it no reference resolves: map employeeNumber, or match on id or email`);
    }
  }
  return problems;
}

/**
 * Settings of value specs that the order of the transforms (evaluateSpec: trim → case → map → date, or default as the
 * final value when empty) leaves without effect, as `path: why` lines. `specs` are the mapping's specs and any other value spec, by
 * their path in the config (e.g. `leavers.terminationDate`).
 * - A map key that is empty (once trimmed, under trim): an empty HRIS value takes default, or is no value, before map
 *   is looked at, so the key never matches.
 * - With date, a default that is not written YYYY-MM-DD: the default is the final value, not parsed with date, so a
 *   date attribute would reject every record without a date, with a message about the default's format.
 * - A date format with a letter that is no token (the H and m of "YYYY-MM-DD HH:mm", mapping/dates.ts
 *   lettersOutsideTokens): the letter is literal, no value holds it, so every record with a value is rejected.
 * Rules added after schedules stored configs, so held only to a config handed to the CLI now (config/load.ts
 * checkWrittenNow), as pointlessAttributeOptions is; an employeeRef attribute's map and default are refused there.
 */
export function unreachableSpecSettings(specs: Record<string, ValueSpec | PeakonAttributeSpec | undefined>): string[] {
  const problems: string[] = [];
  for (const [at, spec] of Object.entries(specs)) {
    if (spec === undefined || ('employeeRef' in spec && spec.employeeRef !== undefined)) continue;
    for (const key of Object.keys(spec.map ?? {})) {
      if ((spec.trim ? key.trim() : key) !== '') continue;
      const which = key === '' ? 'the key ""' : `the key ${JSON.stringify(key)} (empty once trimmed)`;
      problems.push(`${at}.map: ${which} never matches: an empty HRIS value takes default (or is no value) before map is looked at; use default for empty values`);
    }
    if (spec.date !== undefined) {
      const problem = dateFormatLetterProblem(spec.date);
      if (problem) problems.push(`${at}.date: ${problem}`);
    }
    // Only where the value is a date (the type defaults to date with `date`): an option may default to "Not started".
    const typedOtherwise = 'type' in spec && spec.type !== undefined && spec.type !== 'date';
    if (spec.date !== undefined && spec.default !== undefined && !typedOtherwise) {
      const text = String(spec.default);
      const empty = typeof spec.default === 'string' && (spec.trim ? text.trim() : text) === '';
      if (!empty && !isIsoDate(text)) {
        const iso = parseDate(text.trim(), spec.date);
        problems.push(`${at}.default: ${JSON.stringify(spec.default)} is not a date written as YYYY-MM-DD: the default is the final value, not parsed with date (${spec.date}); write the default as YYYY-MM-DD${iso !== undefined ? ` (${iso})` : ''}`);
      }
    }
  }
  return problems;
}

/** Letters that suggest a time part (2024-03-01T09:30:00Z, "YYYY-MM-DD HH:mm:ss"): ISO reads those dates. */
const TIME_LETTERS = /[THhms]/;

/** Why `format` can never match a date (a letter that is no token, see lettersOutsideTokens), or undefined. */
function dateFormatLetterProblem(format: string): string | undefined {
  const letters = lettersOutsideTokens(format);
  if (letters.length === 0) return undefined;
  const listed = letters.join(', ');
  const iso = letters.some((letter) => TIME_LETTERS.test(letter))
    ? '; for a date with a time part (2024-03-01T09:30:00Z, 2024-03-01 09:30) use date: ISO, which reads YYYY-MM-DD and drops the time'
    : '';
  return `${JSON.stringify(format)} has ${letters.length === 1 ? 'a letter' : 'letters'} that no date token reads (${listed}): a date format is made of the tokens ${DATE_FORMAT_TOKENS.join(', ')} and separators, any other letter is taken literally and must appear as written in every value (the digits of a time part never match it), so a record whose value does not spell it out is rejected${iso}`;
}

/** The mapping's value specs by their path in the config (`mapping.department`, `mapping.attributes.Gender`). */
export function mappingSpecsByPath(mapping: MappingConfig): Record<string, ValueSpec | PeakonAttributeSpec | undefined> {
  const specs: Record<string, ValueSpec | PeakonAttributeSpec | undefined> = {};
  for (const [key, spec] of Object.entries(mapping)) {
    // Every other setting of the mapping is a core attribute's value spec.
    if (key !== 'attributes' && key !== 'scope') specs[`mapping.${key}`] = spec as ValueSpec | undefined;
  }
  for (const [attribute, spec] of Object.entries(mapping.attributes)) specs[`mapping.attributes.${attribute}`] = spec;
  return specs;
}

/**
 * A Peakon extension attribute: a value (optionally typed), or an employee-type reference resolved from an HRIS field
 * that holds another employee's HRIS id (or employee number, or email: `matchOn`). One object shape rather than a union
 * so that a mistake is reported against the attribute's own keys.
 */
export const PeakonAttributeSpecSchema = z
  .strictObject({
    ...valueShape,
    type: PeakonValueTypeSchema.optional().describe('Peakon attribute type; default date when `date` is given, else option'),
    employeeRef: z.string().min(1).optional().describe("HRIS field holding the referenced employee's id (e.g. manager_id)"),
    matchOn: z
      .enum(['id', 'employeeNumber', 'email'])
      .default('id')
      .describe('what the employeeRef field holds: the HRIS id (default), the employee number or the email'),
  })
  .refine((spec) => countSources(spec) === 1, { message: 'give exactly one of field, value, template or employeeRef' });
export type PeakonAttributeSpec = z.infer<typeof PeakonAttributeSpecSchema>;

export const PeakonAttributeSpecInputSchema = z.union([
  z
    .string()
    .min(1)
    .transform((field): PeakonAttributeSpec => PeakonAttributeSpecSchema.parse({ field })),
  PeakonAttributeSpecSchema,
]);

function isValidRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** One condition on an HRIS field (compared as trimmed text). Exactly one operator. */
export const ScopeConditionSchema = z
  .strictObject({
    field: z.string().min(1).describe('HRIS field name or dotted path'),
    equals: z.string().optional(),
    notEquals: z.string().optional(),
    in: z.array(z.string()).min(1).optional(),
    matches: z.string().refine(isValidRegex, { message: 'expected a valid regular expression' }).optional(),
    empty: z.literal(true).optional(),
    notEmpty: z.literal(true).optional(),
  })
  .refine(
    (condition) =>
      [condition.equals, condition.notEquals, condition.in, condition.matches, condition.empty, condition.notEmpty].filter(
        (operator) => operator !== undefined,
      ).length === 1,
    { message: 'give exactly one of equals, notEquals, in, matches, empty or notEmpty' },
  );
export type ScopeCondition = z.infer<typeof ScopeConditionSchema>;

/** A rule holds when all of its conditions hold. */
export const ScopeRuleSchema = z.array(ScopeConditionSchema).min(1);
export type ScopeRule = z.infer<typeof ScopeRuleSchema>;

/**
 * A record is in scope when any include rule holds (or there are none) and no exclude rule holds; one whose verdict
 * turns on an empty field compared by `equals`/`notEquals`/`in`/`matches` is rejected instead (mapping/scope.ts scopeVerdict).
 */
export const ScopeSchema = z.strictObject({
  include: z.array(ScopeRuleSchema).optional(),
  exclude: z.array(ScopeRuleSchema).optional(),
});
export type Scope = z.infer<typeof ScopeSchema>;

export const MappingConfigSchema = z.strictObject({
  id: ValueSpecInputSchema.describe('the HRIS id; sent as externalId'),
  email: ValueSpecInputSchema.describe('work email; becomes userName'),
  givenName: ValueSpecInputSchema,
  familyName: ValueSpecInputSchema,
  employeeNumber: ValueSpecInputSchema.optional(),
  department: ValueSpecInputSchema.optional(),
  locale: ValueSpecInputSchema.optional().describe('BCP 47 tag, e.g. en, da, en-GB ("en_GB" is accepted and corrected)'),
  timezone: ValueSpecInputSchema.optional().describe('IANA time zone, e.g. Europe/Copenhagen'),
  active: ValueSpecInputSchema.optional().describe('true/false (map the HRIS status, e.g. { Active: true, Terminated: false })'),
  attributes: z
    .record(z.string(), PeakonAttributeSpecInputSchema)
    .default({})
    .describe('Peakon attributes by their exact Peakon name'),
  scope: ScopeSchema.optional().describe('which HRIS records are synced at all'),
}).superRefine((mapping, context) => {
  // The id and the email identify the person; "only on create" would let Peakon and the HRIS disagree on who is who.
  for (const key of ['id', 'email'] as const) {
    if (mapping[key].onlyOnCreate) {
      context.addIssue({ code: 'custom', path: [key, 'onlyOnCreate'], message: `${key} identifies the employee and cannot be onlyOnCreate` });
    }
  }
});
export type MappingConfig = z.infer<typeof MappingConfigSchema>;

/** The core (non-Peakon-extension) attributes a mapping may set. */
export type CoreAttributeName = Exclude<keyof MappingConfig, 'attributes' | 'scope'>;
