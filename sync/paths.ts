import type { ScimUserWrite } from '../scim/resources';
import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../scim/urns';

/**
 * Reads and writes the attribute paths used by `createOnly` and by change reports: `locale`, `name.givenName`,
 * `urn:…:enterprise:2.0:User:department`, `urn:…:peakon:2.0:User:Date of Birth` (Peakon names contain spaces, so the
 * URN prefix is matched literally instead of splitting on dots).
 */
type Container = Record<string, unknown>;

function locate(path: string): { container: string[]; leaf: string } {
  for (const urn of [ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA]) {
    if (path.startsWith(`${urn}:`)) return { container: [urn], leaf: path.slice(urn.length + 1) };
  }
  const parts = path.split('.');
  const leaf = parts.pop() ?? path;
  return { container: parts, leaf };
}

export function getAttribute(user: ScimUserWrite | undefined, path: string): unknown {
  if (!user) return undefined;
  const { container, leaf } = locate(path);
  let node: unknown = user;
  for (const key of container) node = node && typeof node === 'object' ? (node as Container)[key] : undefined;
  return node && typeof node === 'object' ? (node as Container)[leaf] : undefined;
}

/** Sets (or, with undefined, removes) an attribute, creating intermediate objects. Mutates `user`. */
export function setAttribute(user: ScimUserWrite, path: string, value: unknown): void {
  const { container, leaf } = locate(path);
  let node = user as Container;
  for (const key of container) {
    const next = node[key];
    if (!next || typeof next !== 'object') node[key] = {};
    node = node[key] as Container;
  }
  if (value === undefined) delete node[leaf];
  else node[leaf] = value;
}

export const peakonPath = (attribute: string): string => `${PEAKON_USER_SCHEMA}:${attribute}`;
export const enterprisePath = (attribute: string): string => `${ENTERPRISE_USER_SCHEMA}:${attribute}`;
