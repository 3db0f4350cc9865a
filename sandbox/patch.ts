import { NoTarget, scimPatch, type ScimPatchOperation } from 'scim-patch';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PATCH_OP_SCHEMA, PEAKON_USER_SCHEMA, PatchRequestSchema, type ScimUser } from '../scim/resources';
import { canonicalPath, canonicalValue, findKey } from './attribute-path';
import { ScimHttpError } from './errors';
import { unknownPeakonAttribute } from './rules';
import type { TenantAttribute } from './tenant-schema';

const invalidSyntax = (detail: string): ScimHttpError => new ScimHttpError(400, detail, 'invalidSyntax');

/**
 * Applies a SCIM PatchOp to a stored user and returns the unvalidated result (the caller validates it like a PUT).
 * Accepts what Entra and Okta send: `op` in any case, string booleans ("False") for `active`, and pathless replaces.
 * Attribute names in paths and value keys are case-insensitive (RFC 7643 §2.1): they are spelled as the schema spells
 * them before scim-patch (which compares exactly) sees them, so `"path": "Active"` sets `active`, not a new key.
 */
export function applyUserPatch(user: ScimUser, body: unknown, tenantSchema: readonly TenantAttribute[]): Record<string, unknown> {
  const parsed = PatchRequestSchema.safeParse(body);
  if (!parsed.success) throw invalidSyntax(`not a PatchOp request: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')}`);
  if (!parsed.data.schemas.includes(PATCH_OP_SCHEMA)) throw invalidSyntax(`schemas must include "${PATCH_OP_SCHEMA}"`);
  const operations = parsed.data.Operations.map((operation) => canonicalOperation(operation, tenantSchema)).flatMap(splitExtensionValues);

  const { meta: _meta, ...attributes } = user;
  // scim-patch wants Date-typed meta; the stored meta is restored by the store, so a placeholder is enough here.
  let patched: Record<string, unknown> & { meta: { created: Date; lastModified: Date }; schemas: string[] } = {
    ...attributes,
    meta: { created: new Date(0), lastModified: new Date(0) },
  };
  operations.forEach((operation, index) => {
    if ('extension' in operation) {
      patched = { ...patched, [operation.extension]: mergeExtension(patched[operation.extension], operation.value) };
      return;
    }
    const wholeExtension = operation.path === undefined ? undefined : extensionNamed(operation.path);
    if (wholeExtension && operation.op.toLowerCase() === 'remove') {
      patched = { ...patched };
      delete patched[wholeExtension];
      return;
    }
    try {
      // treatMissingAsAdd false: a replace whose value filter matches no record (`emails[type eq "home"].value` on a
      // user with only a work address) is 400 noTarget (RFC 7644 §3.5.2.3), not an appended entry. A replace of a plain
      // attribute that has no value is still an add: scim-patch reads the flag only for value-filter paths.
      patched = scimPatch(patched, [toLibraryOperation(operation, index)], { mutateDocument: false, treatMissingAsAdd: false });
    } catch (error) {
      if (error instanceof ScimHttpError) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      throw new ScimHttpError(400, `cannot apply patch: ${detail}`, error instanceof NoTarget || /no.?target|not found/i.test(detail) ? 'noTarget' : 'invalidValue');
    }
  });
  const { meta: _placeholder, ...result } = patched;
  return result;
}

type RequestOperation = { op: string; path?: string | undefined; value?: unknown };

/**
 * The operation with its path and value keys in the schema's spelling. Any op (remove too) naming a Peakon attribute
 * the tenant does not define is refused as a write of it would be: after the patch, validation sees only the
 * attributes left, so a remove of an unknown one would otherwise pass as a silent no-op.
 */
function canonicalOperation(operation: RequestOperation, tenantSchema: readonly TenantAttribute[]): RequestOperation {
  if (operation.path === undefined) return { ...operation, value: canonicalValue(undefined, operation.value, tenantSchema) };
  const path = canonicalPath(operation.path, tenantSchema);
  const peakonPrefix = `${PEAKON_USER_SCHEMA}:`;
  if (path.startsWith(peakonPrefix)) {
    const rest = path.slice(peakonPrefix.length);
    const end = rest.search(/[.[]/);
    const name = end === -1 ? rest : rest.slice(0, end);
    if (!tenantSchema.some((attribute) => attribute.name === name)) throw unknownPeakonAttribute(name, tenantSchema);
  }
  return { ...operation, path, value: canonicalValue(path, operation.value, tenantSchema) };
}
/** An add or replace addressed to a whole extension (its URN as the path, or as a key of a pathless value). */
type ExtensionMerge = { extension: string; value: Record<string, unknown> };

const EXTENSION_URNS = [ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA];

const extensionNamed = (name: string): string | undefined => EXTENSION_URNS.find((urn) => urn.toLowerCase() === name.toLowerCase());

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * scim-patch splits a bare extension URN at its last colon (`…:peakon:2.0` → `User` → …), both as a pathless value's
 * key and as a path. An add or replace addressed to a whole extension is therefore applied here, never re-expressed as
 * `urn:…:attribute` paths: a Peakon attribute name may hold a dot ("Dept. code"), which a path reads as a sub-attribute
 * (`Dept` → ` code`). RFC 7644 §3.5.2.1/§3.5.2.3: the value's sub-attributes are set (null: unassigned, cleared by
 * validation), the others are left unchanged.
 */
function splitExtensionValues(operation: RequestOperation): (RequestOperation | ExtensionMerge)[] {
  const value = operation.value;
  const op = operation.op.toLowerCase();
  if (!isPlainObject(value) || (op !== 'add' && op !== 'replace')) return [operation];
  if (operation.path !== undefined) {
    const urn = extensionNamed(operation.path);
    return urn ? [{ extension: urn, value }] : [operation];
  }
  const plain: Record<string, unknown> = {};
  const extensionOperations: ExtensionMerge[] = [];
  for (const [key, inner] of Object.entries(value)) {
    const urn = extensionNamed(key);
    if (urn && isPlainObject(inner)) extensionOperations.push({ extension: urn, value: inner });
    else plain[key] = inner;
  }
  return [...(Object.keys(plain).length > 0 ? [{ op: operation.op, value: plain }] : []), ...extensionOperations];
}

/** The extension with `value`'s sub-attributes set; a stored name matching one case-insensitively is replaced (RFC 7643 §2.1). */
function mergeExtension(stored: unknown, value: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = isPlainObject(stored) ? { ...stored } : {};
  // Some clients serialise an extension object with its own `schemas` list; it names the extension, it is no attribute.
  for (const [attribute, attributeValue] of Object.entries(value)) {
    if (attribute === 'schemas') continue;
    const existing = findKey(merged, attribute);
    if (existing !== undefined) delete merged[existing];
    merged[existing ?? attribute] = attributeValue;
  }
  return merged;
}

function toLibraryOperation(operation: RequestOperation, index: number): ScimPatchOperation {
  const op = operation.op.toLowerCase();
  // RFC 7644 §3.5.2.1/§3.5.2.3: an add or replace MUST carry a value. Without one scim-patch would unset the attribute
  // (a deactivated user's `active`, read as active again) or return nothing for a pathless one (a 500 here).
  if ((op === 'add' || op === 'replace') && operation.value === undefined) throw invalidSyntax(`Operations[${index}]: ${op} needs a value`);
  const value = coerceActive(operation.path, operation.value);
  if (op === 'add' || op === 'replace') return operation.path === undefined ? { op, value } : { op, path: operation.path, value };
  if (op === 'remove') {
    if (operation.path === undefined) throw new ScimHttpError(400, `Operations[${index}]: remove needs a path`, 'noTarget');
    return { op, path: operation.path, value };
  }
  throw invalidSyntax(`Operations[${index}].op must be add, replace or remove, got "${operation.op}"`);
}

const ACTIVE_PATHS = new Set(['active', `${CORE_USER_SCHEMA}:active`.toLowerCase()]);

/** Entra sends `"value": "False"`; scim-patch would store the string, and Peakon's `active` is a boolean. */
function coerceActive(path: string | undefined, value: unknown): unknown {
  if (path !== undefined) return ACTIVE_PATHS.has(path.toLowerCase()) ? toBoolean(value) : value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, ACTIVE_PATHS.has(key.toLowerCase()) ? toBoolean(inner) : inner]));
}

function toBoolean(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const lowered = value.trim().toLowerCase();
  return lowered === 'true' ? true : lowered === 'false' ? false : value;
}
