import { z } from 'zod';

/**
 * How one target attribute gets its value from an HRIS record. Exactly one of `field`, `value`, `template`.
 * (The transforms are extended by the mapping module; see mapping/map.ts.)
 */
export const ValueSpecSchema = z
  .object({
    field: z.string().min(1).optional().describe('HRIS field name (CSV column, JSON key or dotted path)'),
    value: z.union([z.string(), z.number(), z.boolean()]).optional().describe('a constant'),
    template: z.string().optional().describe('text with {field} placeholders'),
    default: z.union([z.string(), z.number(), z.boolean()]).optional().describe('used when the value is empty'),
    onlyOnCreate: z.boolean().default(false).describe('set when the user is created, never overwritten afterwards'),
  })
  .refine((spec) => [spec.field, spec.value, spec.template].filter((part) => part !== undefined).length === 1, {
    message: 'give exactly one of field, value or template',
  });
export type ValueSpec = z.infer<typeof ValueSpecSchema>;

/** Accepts the shorthand `"column"` for `{ field: "column" }`. */
export const ValueSpecInputSchema = z.union([z.string().min(1).transform((field) => ({ field, onlyOnCreate: false })), ValueSpecSchema]);

/** A Peakon extension attribute: a value, or an employee-type reference resolved from the HRIS's manager id. */
export const PeakonAttributeSpecSchema = z.union([
  ValueSpecInputSchema,
  z.object({ employeeRef: z.string().min(1).describe('HRIS field holding the referenced employee\'s HRIS id (e.g. manager_id)') }),
]);

export const MappingConfigSchema = z.object({
  id: ValueSpecInputSchema.describe('the HRIS id; sent as externalId'),
  email: ValueSpecInputSchema.describe('work email; becomes userName'),
  givenName: ValueSpecInputSchema,
  familyName: ValueSpecInputSchema,
  employeeNumber: ValueSpecInputSchema.optional(),
  department: ValueSpecInputSchema.optional(),
  locale: ValueSpecInputSchema.optional(),
  timezone: ValueSpecInputSchema.optional(),
  active: ValueSpecInputSchema.optional(),
  attributes: z.record(z.string(), PeakonAttributeSpecSchema).default({}).describe('Peakon attributes by their exact Peakon name'),
});
export type MappingConfig = z.infer<typeof MappingConfigSchema>;
