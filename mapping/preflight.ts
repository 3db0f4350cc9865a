import type { SchemaAttribute } from '../scim/resources';
import type { MappingConfig, PeakonAttributeSpec } from './config';
import { peakonType } from './record';

type AttributeKind = 'employee' | 'date' | 'number' | 'option';

/**
 * SCIM types (RFC 7643 §2.3) and Peakon's own type names each kind can be written as. Compared lower-case.
 * Option values are strings; Peakon's employee attributes take an email but are described as references.
 */
const COMPATIBLE_TYPES: Record<AttributeKind, string[]> = {
  employee: ['reference', 'employee'],
  date: ['datetime', 'date'],
  number: ['integer', 'decimal', 'number'],
  option: ['string', 'option', 'text'],
};

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
      const nearMiss = peakonSchemaAttributes.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
      problems.push(
        nearMiss
          ? `mapping.attributes."${name}": Peakon has no attribute "${name}"; did you mean "${nearMiss.name}"? (names are exact, spaces and case included)`
          : `mapping.attributes."${name}": Peakon has no attribute "${name}"; the tenant defines ${peakonSchemaAttributes.map((candidate) => `"${candidate.name}"`).join(', ') || 'none'}`,
      );
      continue;
    }
    const kind = kindOf(spec);
    if (!COMPATIBLE_TYPES[kind].includes(attribute.type.toLowerCase())) {
      const hint = kind === 'employee' ? 'an employee attribute' : `a ${kind} attribute`;
      problems.push(`mapping.attributes."${name}": mapped as ${hint}, but Peakon's "${name}" has type ${attribute.type} (expected ${COMPATIBLE_TYPES[kind].join(' or ')})`);
    }
    if (attribute.mutability === 'readOnly') problems.push(`mapping.attributes."${name}": Peakon's "${name}" is read-only`);
  }
  return problems;
}
