import type { MappingConfig } from '../mapping/config';
import { checkMappingAgainstSchema } from '../mapping/preflight';
import type { ScimClient } from '../scim/client';
import { PEAKON_USER_SCHEMA } from '../scim/resources';

/**
 * Before any write: reads the tenant's Peakon attribute schema (one operation) and checks every mapped Peakon
 * attribute exists with a compatible type. Returns every problem at once, so one fix-and-retry covers them all.
 * It is also the run's first request, so a wrong token stops the run here.
 */
export async function preflightMapping(scim: ScimClient, mapping: MappingConfig): Promise<string[]> {
  if (Object.keys(mapping.attributes).length === 0) return [];
  const schema = await scim.getSchema(PEAKON_USER_SCHEMA);
  return checkMappingAgainstSchema(mapping, schema.attributes);
}
