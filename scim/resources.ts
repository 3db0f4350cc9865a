import { z } from 'zod';

import { CORE_USER_SCHEMA, EMPLOYEE_NUMBER_PATH, ENTERPRISE_USER_SCHEMA, ERROR_SCHEMA, LIST_RESPONSE_SCHEMA, PATCH_OP_SCHEMA, PEAKON_USER_SCHEMA } from './urns';

// The URNs live in a zod-free module (workflow code imports them); every other module may take them from here.
export { CORE_USER_SCHEMA, EMPLOYEE_NUMBER_PATH, ENTERPRISE_USER_SCHEMA, ERROR_SCHEMA, LIST_RESPONSE_SCHEMA, PATCH_OP_SCHEMA, PEAKON_USER_SCHEMA };

/** Loose like the User: sub-attributes the connector does not map (`display`) survive a read, so a PUT sends them back. */
export const ScimEmailSchema = z.looseObject({
  value: z.string(),
  type: z.string().optional(),
  primary: z.boolean().optional(),
});
export type ScimEmail = z.infer<typeof ScimEmailSchema>;

/** Loose: `middleName`, `honorificPrefix`, `honorificSuffix` (and any other) are kept, never dropped by a read. */
export const ScimNameSchema = z.looseObject({
  givenName: z.string().optional(),
  familyName: z.string().optional(),
  formatted: z.string().optional(),
});

export const EnterpriseExtensionSchema = z.looseObject({
  employeeNumber: z.string().optional(),
  department: z.string().optional(),
  manager: z
    .looseObject({ value: z.string().optional(), displayName: z.string().optional(), $ref: z.string().optional() })
    .optional(),
});

/** A Peakon attribute value by type: option (string ≤ 256), date (ISO 8601 string), number (integer), employee (email). null clears. */
export const PeakonAttributeValueSchema = z.union([z.string(), z.number(), z.null()]);
/** Keys are the tenant's attribute names exactly as defined in Peakon, spaces included ("Date of Birth"). */
export const PeakonExtensionSchema = z.record(z.string(), PeakonAttributeValueSchema);

/**
 * A resource id as Peakon assigns it, which goes into request paths (`/Users/{id}`): an empty one would address the
 * collection, `.` or `..` a dot segment URL resolution removes (`/Users/.` is `/Users/`). Such an answer is malformed
 * (not retried); the messages name what came, never a value that could be personal data.
 */
export const ScimIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .refine((id) => id !== '.' && id !== '..', 'must not be "." or ".." (a path segment of dots would address another resource)');

/** A User's shape, without the reading of nulls (ScimUserSchema); what write bodies are checked against. */
const ScimUserObjectSchema = z.looseObject({
  schemas: z.array(z.string()),
  id: ScimIdSchema,
  externalId: z.string().optional(),
  userName: z.string(),
  name: ScimNameSchema.optional(),
  displayName: z.string().optional(),
  emails: z.array(ScimEmailSchema).optional(),
  active: z.boolean().optional(),
  locale: z.string().optional(),
  timezone: z.string().optional(),
  [ENTERPRISE_USER_SCHEMA]: EnterpriseExtensionSchema.optional(),
  [PEAKON_USER_SCHEMA]: PeakonExtensionSchema.optional(),
  meta: z.looseObject({ resourceType: z.string().optional(), created: z.string().optional(), lastModified: z.string().optional(), location: z.string().optional() }).optional(),
});

/**
 * RFC 7643 §2.5: an attribute whose value is null is unassigned, the same state as an absent one. Many SCIM servers
 * answer `"externalId": null` or `"name": { "givenName": null }` for what was never set; read strictly, such a user
 * would be unreadable (left alone by every run, never updated nor a leaver) and a filter match would fail its employee.
 * Nulls inside the Peakon extension stay: there null is a value the schema reads ("no value"), and the diff knows it.
 */
export function withoutNulls(value: unknown, key?: string): unknown {
  if (key === PEAKON_USER_SCHEMA) return value;
  if (Array.isArray(value)) return value.map((item) => withoutNulls(item));
  if (value === null || typeof value !== 'object') return value;
  const kept: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) if (item !== null) kept[name] = withoutNulls(item, name);
  return kept;
}

/** A User as Peakon returns it, nulls read as absent. Loose: unknown attributes are kept, never dropped. */
export const ScimUserSchema = z.preprocess((value) => withoutNulls(value), ScimUserObjectSchema);
export type ScimUser = z.infer<typeof ScimUserSchema>;

/** A User's attributes without the server-assigned ones and without nulls (what a server stores besides id and meta). */
const ScimUserAttributesSchema = ScimUserObjectSchema.omit({ id: true, meta: true });
export type ScimUserAttributes = z.infer<typeof ScimUserAttributesSchema>;

/**
 * The body of POST /Users and PUT /Users/{id}: a User without server-assigned fields. The core and enterprise
 * attributes the mapping may clear (locale, timezone, department) also take null: "unassigned"
 * (RFC 7643 §2.5), which sync/payloads.ts sends as a PATCH `remove` or a PUT null (RFC 7644 §3.5.1). A read never holds
 * it (ScimUserSchema reads nulls as absent).
 */
export const ScimUserWriteSchema = ScimUserAttributesSchema.extend({
  locale: z.string().nullable().optional(),
  timezone: z.string().nullable().optional(),
  [ENTERPRISE_USER_SCHEMA]: EnterpriseExtensionSchema.extend({ employeeNumber: z.string().nullable().optional(), department: z.string().nullable().optional() }).optional(),
});
export type ScimUserWrite = z.infer<typeof ScimUserWriteSchema>;

export function listResponseSchema<T extends z.ZodTypeAny>(resource: T) {
  return z.object({
    schemas: z.array(z.string()),
    totalResults: z.number().int().nonnegative(),
    startIndex: z.number().int().nullish(),
    itemsPerPage: z.number().int().nullish(),
    Resources: z.array(resource).optional().default([]),
  });
}
export const UserListResponseSchema = listResponseSchema(ScimUserSchema);
export type UserListResponse = z.infer<typeof UserListResponseSchema>;

/**
 * A list page's envelope, each user left unchecked: one odd user (a number for a givenName, an array in a Peakon attribute)
 * must not fail the listing of the whole tenant. Users are then checked one by one (parseUserListPage).
 */
export const UserListEnvelopeSchema = listResponseSchema(z.unknown());

/**
 * A listed user that does not fit ScimUserSchema, reduced to what identifies them, each read only when it has the
 * right type. The plan needs these to leave the person alone: treating them as absent would create a duplicate
 * (they are not in the listing) or, once owned, count them as a leaver.
 */
export interface UnreadableScimUser {
  id: string;
  userName?: string;
  externalId?: string;
  employeeNumber?: string;
  emails: string[];
  active?: boolean;
  /** The fields that failed validation, as paths (never their values: they are personal data). */
  fields: string[];
}

const optional = <T extends z.ZodTypeAny>(schema: T) => schema.optional().catch(undefined);
const UnreadableUserIdentitySchema = z.object({
  id: ScimIdSchema,
  userName: optional(z.string()),
  externalId: optional(z.string()),
  active: optional(z.boolean()),
  emails: z.array(z.unknown()).optional().catch(undefined),
  [ENTERPRISE_USER_SCHEMA]: optional(z.object({ employeeNumber: optional(z.string()) })),
});

export interface UserListPage {
  totalResults: number;
  /** Every listed user that fits ScimUserSchema. */
  users: ScimUser[];
  /** Listed users that do not (see UnreadableScimUser); `users.length + unreadable.length` is the page's size. */
  unreadable: UnreadableScimUser[];
  /** Listed entries without even a readable id: "position: fields" (1-based within the page), never values. */
  unidentifiable: string[];
}

/** Checks each user of a list page on its own (see UserListEnvelopeSchema). */
export function parseUserListPage(envelope: z.output<typeof UserListEnvelopeSchema>): UserListPage {
  const page: UserListPage = { totalResults: envelope.totalResults, users: [], unreadable: [], unidentifiable: [] };
  envelope.Resources.forEach((resource, index) => {
    const parsed = ScimUserSchema.safeParse(resource);
    if (parsed.success) {
      page.users.push(parsed.data);
      return;
    }
    // Issue paths only: values may hold personal data.
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.map(String).join('.') || '(user)'))];
    const identity = UnreadableUserIdentitySchema.safeParse(resource);
    if (!identity.success) {
      page.unidentifiable.push(`entry ${index + 1}: ${fields.join(', ')}`);
      return;
    }
    const { id, userName, externalId, active, emails } = identity.data;
    const employeeNumber = identity.data[ENTERPRISE_USER_SCHEMA]?.employeeNumber;
    const emailValues = (emails ?? []).flatMap((email) => {
      const value = typeof email === 'object' && email !== null ? (email as { value?: unknown }).value : undefined;
      return typeof value === 'string' ? [value] : [];
    });
    page.unreadable.push({
      id,
      ...(userName !== undefined ? { userName } : {}),
      ...(externalId !== undefined ? { externalId } : {}),
      ...(employeeNumber !== undefined ? { employeeNumber } : {}),
      emails: emailValues,
      ...(active !== undefined ? { active } : {}),
      fields,
    });
  });
  return page;
}

export const ScimErrorSchema = z.looseObject({
  schemas: z.array(z.string()).optional(),
  status: z.union([z.string(), z.number()]).optional(),
  scimType: z.string().optional(),
  detail: z.string().optional(),
});
export type ScimErrorBody = z.infer<typeof ScimErrorSchema>;

export const PatchOperationSchema = z.object({
  op: z.string(),
  path: z.string().optional(),
  value: z.unknown().optional(),
});
export type PatchOperation = z.infer<typeof PatchOperationSchema>;
export const PatchRequestSchema = z.object({
  schemas: z.array(z.string()),
  Operations: z.array(PatchOperationSchema).min(1),
});
export type PatchRequest = z.infer<typeof PatchRequestSchema>;

/** One attribute of a SCIM schema as served by GET /Schemas/{id} (RFC 7643 §7). */
export const SchemaAttributeSchema: z.ZodType<SchemaAttribute> = z.lazy(() =>
  z.looseObject({
    name: z.string(),
    type: z.string(),
    multiValued: z.boolean().optional(),
    description: z.string().optional(),
    required: z.boolean().optional(),
    mutability: z.string().optional(),
    returned: z.string().optional(),
    uniqueness: z.string().optional(),
    canonicalValues: z.array(z.string()).optional(),
    referenceTypes: z.array(z.string()).optional(),
    subAttributes: z.array(SchemaAttributeSchema).optional(),
  }),
);
export interface SchemaAttribute {
  name: string;
  type: string;
  multiValued?: boolean;
  description?: string;
  required?: boolean;
  mutability?: string;
  returned?: string;
  uniqueness?: string;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: SchemaAttribute[];
  [key: string]: unknown;
}
export const ScimSchemaResourceSchema = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  description: z.string().optional(),
  attributes: z.array(SchemaAttributeSchema),
});
export type ScimSchemaResource = z.infer<typeof ScimSchemaResourceSchema>;

export const ServiceProviderConfigSchema = z.looseObject({
  schemas: z.array(z.string()).optional(),
  patch: z.looseObject({ supported: z.boolean() }).optional(),
  bulk: z.looseObject({ supported: z.boolean(), maxOperations: z.number().optional(), maxPayloadSize: z.number().optional() }).optional(),
  filter: z.looseObject({ supported: z.boolean(), maxResults: z.number().optional() }).optional(),
  changePassword: z.looseObject({ supported: z.boolean() }).optional(),
  sort: z.looseObject({ supported: z.boolean() }).optional(),
  etag: z.looseObject({ supported: z.boolean() }).optional(),
  authenticationSchemes: z.array(z.looseObject({ type: z.string().optional(), name: z.string().optional() })).optional(),
});
export type ServiceProviderConfig = z.infer<typeof ServiceProviderConfigSchema>;
