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

type SpecLike = Pick<ValueSpec, 'field' | 'template'> & { employeeRef?: string | undefined };

/**
 * Every HRIS field the mapping (including scope rules) reads, in first-use order, with the settings that read it.
 * `extra` adds value specs outside `mapping` (e.g. `leavers.terminationDate`), keyed by their setting's path.
 */
export function fieldUsesOfMapping(mapping: MappingConfig, extra: Record<string, SpecLike | undefined> = {}): FieldUse[] {
  const core = ['id', 'email', 'givenName', 'familyName', 'employeeNumber', 'department', 'locale', 'timezone', 'active'] as const;
  const settings: Array<[string, SpecLike | undefined]> = [
    ...core.map((key): [string, SpecLike | undefined] => [`mapping.${key}`, mapping[key]]),
    ...Object.entries(mapping.attributes).map(([name, spec]): [string, SpecLike] => [`mapping.attributes.${name}`, spec]),
    ...(['include', 'exclude'] as const).flatMap((kind) =>
      (mapping.scope?.[kind] ?? []).flatMap((rule, ruleIndex) => rule.map((condition, index): [string, SpecLike] => [`mapping.scope.${kind}.${ruleIndex}.${index}`, { field: condition.field }])),
    ),
    ...Object.entries(extra),
  ];
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

/**
 * Every HRIS field the mapping (including scope rules) reads, in first-use order. Sources that must name the fields
 * they fetch (a BambooHR custom report) request exactly these, so nothing the mapping needs is missing.
 */
export function fieldsUsedByMapping(mapping: MappingConfig): string[] {
  return fieldUsesOfMapping(mapping).map((use) => use.field);
}
