import type { SchemaAttribute } from '../scim/resources';
import type { MappingConfig, PeakonAttributeSpec } from './config';
import { closestName } from '../config/did-you-mean';
import { peakonType } from './record';

type AttributeKind = 'employee' | 'date' | 'number' | 'option';

/**
 * Which mapped kinds a tenant attribute accepts. Peakon's exact kind wins when the schema states it (our sandbox leads
 * the description with "Peakon type: date."); otherwise the SCIM type decides, and a plain SCIM `string` may carry an
 * option, an ISO date or an employee's email alike, so it accepts all three.
 */
const KINDS_BY_SCIM_TYPE: Record<string, AttributeKind[]> = {
  string: ['option', 'date', 'employee'],
  text: ['option'],
  option: ['option'],
  datetime: ['date'],
  date: ['date'],
  integer: ['number'],
  decimal: ['number'],
  number: ['number'],
  reference: ['employee'],
  employee: ['employee'],
};

function acceptedKinds(attribute: SchemaAttribute): AttributeKind[] {
  const stated = /^Peakon type: (option|date|number|employee)\b/.exec(attribute.description ?? '')?.[1] as AttributeKind | undefined;
  if (stated) return [stated];
  return KINDS_BY_SCIM_TYPE[attribute.type.toLowerCase()] ?? [];
}

function kindOf(spec: PeakonAttributeSpec): AttributeKind {
  return spec.employeeRef !== undefined ? 'employee' : peakonType(spec);
}

/**
 * Checks a mapping against the tenant's Peakon extension schema (`GET /Schemas/…peakon:2.0:User` attributes) before
 * any write: every mapped attribute must exist, under its exact name, with a type its values fit. Returns one message
 * per problem; empty means the mapping fits.
 */
export function checkMappingAgainstSchema(mapping: MappingConfig, peakonSchemaAttributes: SchemaAttribute[]): string[] {
  const byName = new Map(peakonSchemaAttributes.map((attribute) => [attribute.name, attribute]));
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(mapping.attributes)) {
    const attribute = byName.get(name);
    if (!attribute) {
      // The same name in another case first, then the closest spelling (one the config's keys get too).
      const sameButCase = peakonSchemaAttributes.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
      const closest = closestName(name, peakonSchemaAttributes.map((candidate) => candidate.name));
      const nearMiss = sameButCase ?? (closest === undefined ? undefined : byName.get(closest));
      problems.push(
        nearMiss
          ? `mapping.attributes."${name}": Peakon has no attribute "${name}"; did you mean "${nearMiss.name}"? (names are exact, spaces and case included)`
          : `mapping.attributes."${name}": Peakon has no attribute "${name}"; the tenant defines ${peakonSchemaAttributes.map((candidate) => `"${candidate.name}"`).join(', ') || 'none'}`,
      );
      continue;
    }
    const kind = kindOf(spec);
    const accepted = acceptedKinds(attribute);
    if (!accepted.includes(kind)) {
      const hint = kind === 'employee' ? 'an employee attribute' : `a ${kind} attribute`;
      problems.push(`mapping.attributes."${name}": mapped as ${hint}, but Peakon's "${name}" takes ${accepted.join(' or ') || `type ${attribute.type}`} values`);
    }
    if (attribute.mutability === 'readOnly') problems.push(`mapping.attributes."${name}": Peakon's "${name}" is read-only`);
  }
  return problems;
}

/** The separation settings `leavers.action: separate` writes with every deactivation, as far as they are not mapped. */
export interface SeparationWrites {
  dateAttribute: string;
  reasonAttribute: string;
  /** The configured reason, written when the HR record gives none. */
  reason?: string | undefined;
}

/**
 * Checks the attributes `leavers.action: separate` writes against the tenant's schema, as the mapping's are: the leaver
 * write is one PATCH, so an attribute Peakon does not have (a tenant that calls it "Termination date") or a reason that
 * is not one of its options fails every leaver, run after run. Attributes the mapping sets are checked with the mapping;
 * the configured reason is checked against the options either way (it is written for leavers the HR read no longer has).
 */
export function checkSeparationAgainstSchema(separation: SeparationWrites, mapping: MappingConfig, peakonSchemaAttributes: SchemaAttribute[]): string[] {
  const byName = new Map(peakonSchemaAttributes.map((attribute) => [attribute.name, attribute]));
  const problems: string[] = [];
  const check = (setting: string, name: string, kind: AttributeKind) => {
    const attribute = byName.get(name);
    // A mapped attribute's existence and kind are the mapping check's to report (once).
    if (name in mapping.attributes) return attribute;
    if (!attribute) {
      const closest = closestName(name, peakonSchemaAttributes.map((candidate) => candidate.name));
      problems.push(`leavers.separation.${setting}: Peakon has no attribute "${name}" to write with each leaver (leavers.action: separate)${closest === undefined ? '' : `; did you mean "${closest}"?`}`);
      return undefined;
    }
    const accepted = acceptedKinds(attribute);
    if (!accepted.includes(kind)) problems.push(`leavers.separation.${setting}: Peakon's "${name}" takes ${accepted.join(' or ') || `type ${attribute.type}`} values, not ${kind === 'date' ? 'a date' : 'an option'}`);
    if (attribute.mutability === 'readOnly') problems.push(`leavers.separation.${setting}: Peakon's "${name}" is read-only`);
    return attribute;
  };
  check('dateAttribute', separation.dateAttribute, 'date');
  if (separation.reason !== undefined) {
    const reasonAttribute = check('reasonAttribute', separation.reasonAttribute, 'option');
    const options = reasonAttribute?.canonicalValues;
    if (options && options.length > 0 && !options.includes(separation.reason)) {
      problems.push(`leavers.separation.reason: "${separation.reason}" is not an option of Peakon's "${separation.reasonAttribute}" (${options.map((option) => `"${option}"`).join(', ')})`);
    }
  }
  return problems;
}
