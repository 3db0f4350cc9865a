import { z } from 'zod';
import { SourceConfigSchema } from '../hris/config';
import { MappingConfigSchema } from '../mapping/config';
import { SecretRefSchema } from './secret';

export { SecretRefSchema, type SecretRef } from './secret';

export const PeakonConnectionSchema = z.strictObject({
  baseUrl: z.url().describe('the tenant\'s "SCIM 2.0 URL" from Peakon, e.g. https://api.peakon.com/scim/v2'),
  token: SecretRefSchema.default({ env: 'PEAKON_TOKEN' }),
  timeoutMs: z.number().int().positive().default(30_000),
  /** Peakon allows 25,000 operations per hour per tenant; the connector paces itself below that. */
  operationsPerHour: z.number().int().positive().default(25_000),
});

export const SyncSettingsSchema = z.strictObject({
  /**
   * `list`: one paginated read of the tenant, then writes only where something differs (fewest operations).
   * `filter`: discover every employee with `GET /Users?filter=…` as Peakon's connector guide describes.
   */
  discovery: z.enum(['list', 'filter']).default('list'),
  /**
   * `patch`: phase 2 sends exactly the changed mapped attributes (one PATCH; attributes the mapping does not mention
   * are never touched). `put`: the guide's full replace, built from Peakon's current user with the mapped attributes
   * laid over it.
   */
  updateMethod: z.enum(['patch', 'put']).default('patch'),
  /** Employees per partition child workflow. Keeps every workflow far below Temporal's 2,000 pending-children limit. */
  partitionSize: z.number().int().min(1).max(1000).default(200),
  /** Per-employee child workflows in flight per partition (sliding window). */
  maxConcurrentEmployees: z.number().int().min(1).max(500).default(20),
  /** Partition child workflows in flight at once. */
  maxConcurrentPartitions: z.number().int().min(1).max(100).default(2),
});

export const ConnectorConfigSchema = z.strictObject({
  /** A short name for the Peakon tenant: used in workflow IDs, schedule IDs and reports. */
  tenant: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes'),
  peakon: PeakonConnectionSchema,
  source: SourceConfigSchema,
  matching: z.strictObject({ key: z.enum(['email', 'employeeNumber']).default('email') }).default({ key: 'email' }),
  mapping: MappingConfigSchema,
  sync: SyncSettingsSchema.default(SyncSettingsSchema.parse({})),
}).superRefine((config, context) => {
  // Matching by employee number needs every record to carry one.
  if (config.matching.key === 'employeeNumber' && config.mapping.employeeNumber === undefined) {
    context.addIssue({
      code: 'custom',
      path: ['mapping', 'employeeNumber'],
      message: 'required when matching.key is employeeNumber',
    });
  }
});
export type ConnectorConfig = z.infer<typeof ConnectorConfigSchema>;
