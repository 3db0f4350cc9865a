import type { LeaversConfig } from '../config/schema';
import type { MappingConfig } from '../mapping/config';
import { checkMappingAgainstSchema, checkSeparationAgainstSchema } from '../mapping/preflight';
import type { ScimClient } from '../scim/client';
import { PEAKON_USER_SCHEMA } from '../scim/resources';

/**
 * Before any write: reads the tenant's Peakon attribute schema (one operation) and checks every mapped Peakon
 * attribute exists with a compatible type, and so do the separation attributes `leavers.action: separate` writes.
 * Returns every problem at once, so one fix-and-retry covers them all. It is also the run's first request, so a wrong
 * token stops the run here.
 */
export async function preflightMapping(scim: ScimClient, mapping: MappingConfig, leavers: LeaversConfig): Promise<string[]> {
  const separates = leavers.action === 'separate';
  if (Object.keys(mapping.attributes).length === 0 && !separates) return [];
  const schema = await scim.getSchema(PEAKON_USER_SCHEMA);
  return [...checkMappingAgainstSchema(mapping, schema.attributes), ...(separates ? checkSeparationAgainstSchema(leavers.separation, mapping, schema.attributes) : [])];
}
