import type { ScimUser } from '../scim/resources';
import { findKey, splitAttributePath } from './attribute-path';

/** RFC 7644 §3.9 `attributes` / `excludedAttributes`, already split into paths. */
export interface AttributeProjection {
  include?: string[][];
  exclude?: string[][];
}

/** Attributes with returned=always (RFC 7643): never dropped by a projection. */
const ALWAYS_RETURNED = new Set(['id', 'schemas']);

export function parseAttributeList(query: { attributes?: string | undefined; excludedAttributes?: string | undefined }): AttributeProjection {
  const split = (list: string | undefined) =>
    list
      ?.split(',')
      .map((path) => path.trim())
      .filter((path) => path.length > 0)
      .map(splitAttributePath);
  const include = split(query.attributes);
  const exclude = split(query.excludedAttributes);
  return { ...(include?.length ? { include } : {}), ...(exclude?.length ? { exclude } : {}) };
}

export function projectUser(user: ScimUser, projection: AttributeProjection): Record<string, unknown> {
  if (projection.include) {
    let result: Record<string, unknown> = { schemas: user.schemas, id: user.id };
    for (const path of projection.include) result = mergeDeep(result, pick(user, path));
    return result;
  }
  let result: Record<string, unknown> = structuredClone(user);
  for (const path of projection.exclude ?? []) {
    const head = path[0];
    if (head !== undefined && !ALWAYS_RETURNED.has(head.toLowerCase())) result = omit(result, path);
  }
  return result;
}

function pick(node: unknown, path: readonly string[]): unknown {
  if (Array.isArray(node)) return node.map((element) => pick(element, path));
  const [head, ...rest] = path;
  if (head === undefined) return node;
  if (!isRecord(node)) return undefined;
  const key = findKey(node, head);
  if (key === undefined) return {};
  return { [key]: pick(node[key], rest) };
}

function omit(node: Record<string, unknown>, path: readonly string[]): Record<string, unknown> {
  const [head, ...rest] = path;
  const key = head === undefined ? undefined : findKey(node, head);
  if (key === undefined) return node;
  const { [key]: value, ...others } = node;
  if (rest.length === 0) return others;
  const omitInside = (inner: unknown): unknown => (isRecord(inner) ? omit(inner, rest) : inner);
  return { ...others, [key]: Array.isArray(value) ? value.map(omitInside) : omitInside(value) };
}

/** Merges picks of sibling paths (`emails.value`, `emails.type`), combining multi-valued attributes element by element. */
function mergeDeep(left: Record<string, unknown>, right: unknown): Record<string, unknown> {
  if (!isRecord(right)) return left;
  const merged: Record<string, unknown> = { ...left };
  for (const [key, value] of Object.entries(right)) {
    const existing = merged[key];
    if (Array.isArray(existing) && Array.isArray(value)) merged[key] = value.map((element, index) => (isRecord(existing[index]) ? mergeDeep(existing[index], element) : element));
    else if (isRecord(existing) && isRecord(value)) merged[key] = mergeDeep(existing, value);
    else merged[key] = value;
  }
  return merged;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
