import { leaversSettings, type LeaversConfig } from '../config/schema';
import type { MappingConfig, ValueSpec } from './config';
import { templateFields } from './record-fields';

function specFields(spec: Pick<ValueSpec, 'field' | 'template'> & { employeeRef?: string | undefined }): string[] {
  if (spec.field !== undefined) return [spec.field];
  if (spec.template !== undefined) return templateFields(spec.template);
  if (spec.employeeRef !== undefined) return [spec.employeeRef];
  return [];
}

/** An HRIS field the config reads, and every setting that reads it (`mapping.department`, `mapping.attributes.Team`). */
export interface FieldUse {
  field: string;
  usedBy: string[];
}

type SpecLike = Pick<ValueSpec, 'field' | 'template'> & { employeeRef?: string | undefined; default?: unknown };

/**
 * Every HRIS field the mapping (including scope rules) reads, in first-use order, with the settings that read it.
 * `extra` adds value specs outside `mapping` (e.g. `leavers.terminationDate`), keyed by their setting's path.
 */
export function fieldUsesOfMapping(mapping: MappingConfig, extra: Record<string, SpecLike | undefined> = {}): FieldUse[] {
  return usesOf([...mappingSettings(mapping), ...Object.entries(extra)]);
}

/** Each setting of the mapping (core attributes, Peakon attributes, scope conditions) with the spec it reads through. */
function mappingSettings(mapping: MappingConfig): Array<[string, SpecLike | undefined]> {
  const core = ['id', 'email', 'givenName', 'familyName', 'employeeNumber', 'department', 'locale', 'timezone', 'active'] as const;
  return [
    ...core.map((key): [string, SpecLike | undefined] => [`mapping.${key}`, mapping[key]]),
    ...Object.entries(mapping.attributes).map(([name, spec]): [string, SpecLike] => [`mapping.attributes.${name}`, spec]),
    ...(['include', 'exclude'] as const).flatMap((kind) =>
      (mapping.scope?.[kind] ?? []).flatMap((rule, ruleIndex) => rule.map((condition, index): [string, SpecLike] => [`mapping.scope.${kind}.${ruleIndex}.${index}`, { field: condition.field }])),
    ),
  ];
}

/**
 * The fields at least one record of a JSON read must hold (the key, even with a null): each read straight by a core or
 * Peakon attribute (`field`, `employeeRef`) without a `default`. Not checked, because an API that leaves out empty
 * fields may leave them out of every record of a day: a template's parts, the leavers' termination date and the
 * separation date and reason attributes (nobody may be leaving), and scope conditions (an `exclude` on a field only
 * contractors have). A setting with a `default` says that empty is expected. The rest, absent from every record, is a
 * renamed or withheld field.
 */
export function fieldUsesExpectedInJson(config: FieldReadingConfig): FieldUse[] {
  const { separation } = leaversSettings(config);
  const mayBeAbsent = new Set([`mapping.attributes.${separation.dateAttribute}`, `mapping.attributes.${separation.reasonAttribute}`]);
  return usesOf(
    mappingSettings(config.mapping).filter(
      ([setting, spec]) => spec !== undefined && spec.template === undefined && spec.default === undefined && !setting.startsWith('mapping.scope.') && !mayBeAbsent.has(setting),
    ),
  );
}

function usesOf(settings: Array<[string, SpecLike | undefined]>): FieldUse[] {
  const uses = new Map<string, string[]>();
  for (const [setting, spec] of settings) {
    for (const field of spec ? specFields(spec) : []) {
      const usedBy = uses.get(field) ?? [];
      if (!usedBy.includes(setting)) usedBy.push(setting);
      uses.set(field, usedBy);
    }
  }
  return [...uses].map(([field, usedBy]) => ({ field, usedBy }));
}

/** The parts of a connector config that read HRIS fields (leavers may be absent in a run started by an older version). */
export interface FieldReadingConfig {
  mapping: MappingConfig;
  leavers?: LeaversConfig | undefined;
}

/**
 * Every HRIS field the whole config reads: the mapping's, plus the leavers' termination date, which is read from the
 * record even when no attribute maps it. What the CSV column check (mapping/columns.ts) checks for.
 */
export function fieldUsesOfConfig(config: FieldReadingConfig): FieldUse[] {
  return fieldUsesOfMapping(config.mapping, { 'leavers.terminationDate': leaversSettings(config).terminationDate });
}

/**
 * Every HRIS field the config reads (mapping, scope rules, leavers' termination date), in first-use order. Sources
 * that must name the fields they fetch (a BambooHR custom report) request exactly these, so nothing a run reads is
 * missing: a field left out of the request reads empty for everyone, silently.
 */
export function fieldsUsedByConfig(config: FieldReadingConfig): string[] {
  return fieldUsesOfConfig(config).map((use) => use.field);
}
