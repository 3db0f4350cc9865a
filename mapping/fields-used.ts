import type { MappingConfig, ValueSpec } from './config';
import { templateFields } from './record-fields';

function specFields(spec: Pick<ValueSpec, 'field' | 'template'> & { employeeRef?: string | undefined }): string[] {
  if (spec.field !== undefined) return [spec.field];
  if (spec.template !== undefined) return templateFields(spec.template);
  if (spec.employeeRef !== undefined) return [spec.employeeRef];
  return [];
}

/**
 * Every HRIS field the mapping (including scope rules) reads, in first-use order. Sources that must name the fields
 * they fetch (a BambooHR custom report) request exactly these, so nothing the mapping needs is missing.
 */
export function fieldsUsedByMapping(mapping: MappingConfig): string[] {
  const core = [mapping.id, mapping.email, mapping.givenName, mapping.familyName, mapping.employeeNumber, mapping.department, mapping.locale, mapping.timezone, mapping.active];
  const fields = [
    ...core.flatMap((spec) => (spec ? specFields(spec) : [])),
    ...Object.values(mapping.attributes).flatMap(specFields),
    ...[...(mapping.scope?.include ?? []), ...(mapping.scope?.exclude ?? [])].flat().map((condition) => condition.field),
  ];
  return [...new Set(fields)];
}
