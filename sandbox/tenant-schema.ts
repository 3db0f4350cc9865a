import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** The kinds of attribute a Peakon admin can define; they decide how a value in the Peakon extension is validated. */
export const TenantAttributeTypeSchema = z.enum(['option', 'date', 'number', 'employee']);
export type TenantAttributeType = z.infer<typeof TenantAttributeTypeSchema>;

export const TenantAttributeSchema = z.object({
  name: z.string().trim().min(1, 'an attribute needs a name'),
  type: TenantAttributeTypeSchema,
});
export type TenantAttribute = z.infer<typeof TenantAttributeSchema>;

/** Names are compared exactly (Peakon keys are case- and space-sensitive), so two entries with one name are a config error. */
export const TenantSchemaSchema = z
  .array(TenantAttributeSchema)
  .superRefine((attributes, ctx) => {
    const seen = new Set<string>();
    attributes.forEach((attribute, index) => {
      if (seen.has(attribute.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate attribute "${attribute.name}"` });
      seen.add(attribute.name);
    });
  });

/** A schema file is either the bare list or `{ "attributes": [...] }`. */
const WrappedTenantSchemaSchema = z.object({ attributes: TenantSchemaSchema });

/** The attributes a fresh Peakon tenant typically has, including the leaver fields Peakon's guidance relies on. */
export const DEFAULT_TENANT_SCHEMA: readonly TenantAttribute[] = Object.freeze([
  { name: 'Gender', type: 'option' },
  { name: 'Team', type: 'option' },
  { name: 'Manager', type: 'employee' },
  { name: 'Date of Birth', type: 'date' },
  { name: 'Department', type: 'option' },
  { name: 'Tenure', type: 'date' },
  { name: 'Separation date', type: 'date' },
  { name: 'Separation reason', type: 'option' },
]);

export function parseTenantSchema(raw: unknown, source = 'tenant schema'): TenantAttribute[] {
  // Choosing the shape first (rather than a zod union) keeps the field-level messages of the shape that was meant.
  const parsed = Array.isArray(raw) ? TenantSchemaSchema.safeParse(raw) : WrappedTenantSchemaSchema.transform((file) => file.attributes).safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new Error(`${source} is invalid: ${issues}`);
  }
  return parsed.data;
}

/** Reads a JSON or YAML (.yaml/.yml) tenant schema file. */
export async function loadTenantSchemaFile(path: string): Promise<TenantAttribute[]> {
  const text = await readFile(path, 'utf8');
  const isYaml = ['.yaml', '.yml'].includes(extname(path).toLowerCase());
  let raw: unknown;
  try {
    raw = isYaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid ${isYaml ? 'YAML' : 'JSON'}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseTenantSchema(raw, path);
}
