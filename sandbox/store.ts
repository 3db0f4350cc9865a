import { randomUUID } from 'node:crypto';
import { ENTERPRISE_USER_SCHEMA, type ScimUser, type ScimUserAttributes, type ScimUserWrite } from '../scim/resources';

/** What the store keeps of a user besides id and meta: validated, nulls gone (sandbox/rules.ts validateUser). */
export type StoredAttributes = ScimUserAttributes;

/** What validation needs to know about the tenant's existing employees; the store is the only implementation. */
export interface EmployeeDirectory {
  get(id: string): ScimUser | undefined;
  /** Matches userName or any email value, case-insensitively (Peakon treats emails as case-insensitive). */
  findByEmail(email: string): ScimUser | undefined;
  findByEmployeeNumber(employeeNumber: string): ScimUser | undefined;
}

export function emailsOf(user: Pick<ScimUserWrite, 'userName' | 'emails'>): string[] {
  return [user.userName, ...(user.emails ?? []).map((email) => email.value)].map((email) => email.toLowerCase());
}

export function employeeNumberOf(user: Pick<ScimUserWrite, typeof ENTERPRISE_USER_SCHEMA>): string | undefined {
  return user[ENTERPRISE_USER_SCHEMA]?.employeeNumber ?? undefined;
}

/**
 * The tenant's employees, in creation order (which is the stable order list pages are cut from).
 * Values are copied in and out so neither callers nor tests can change stored state behind the server's back.
 */
export class UserStore implements EmployeeDirectory {
  private readonly users = new Map<string, ScimUser>();
  // Lookups by email and employee number are indexed: every write checks uniqueness and resolves Manager references,
  // and scanning every user for each made a 50,000-employee load quadratic (the sandbox, not the connector, set the pace).
  private readonly byEmail = new Map<string, Set<string>>();
  private readonly byEmployeeNumber = new Map<string, Set<string>>();

  constructor(
    private readonly locationOf: (id: string) => string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get(id: string): ScimUser | undefined {
    const user = this.users.get(id);
    return user && structuredClone(user);
  }

  all(): ScimUser[] {
    return [...this.users.values()].map((user) => structuredClone(user));
  }

  /**
   * One list page: how many users `predicate` accepts, and copies of those from `offset` on, at most `count`. Only
   * the page is copied: copying the whole tenant for each page made listing 50,000 users quadratic.
   */
  page(predicate: (user: ScimUser) => boolean, offset: number, count: number): { total: number; users: ScimUser[] } {
    let total = 0;
    const users: ScimUser[] = [];
    for (const user of this.users.values()) {
      if (!predicate(user)) continue;
      if (total >= offset && users.length < count) users.push(structuredClone(user));
      total += 1;
    }
    return { total, users };
  }

  get size(): number {
    return this.users.size;
  }

  findByEmail(email: string): ScimUser | undefined {
    return this.first(this.byEmail.get(email.toLowerCase()));
  }

  findByEmployeeNumber(employeeNumber: string): ScimUser | undefined {
    return this.first(this.byEmployeeNumber.get(employeeNumber));
  }

  /** The earliest created of `ids` (several only when a test seeded duplicates past the uniqueness rules). */
  private first(ids: Set<string> | undefined): ScimUser | undefined {
    if (!ids || ids.size === 0) return undefined;
    if (ids.size === 1) return this.get(ids.values().next().value as string);
    for (const [id, user] of this.users) if (ids.has(id)) return structuredClone(user);
    return undefined;
  }

  private index(user: ScimUser, add: boolean): void {
    const update = (index: Map<string, Set<string>>, key: string) => {
      const ids = index.get(key) ?? new Set<string>();
      if (add) ids.add(user.id);
      else ids.delete(user.id);
      if (ids.size > 0) index.set(key, ids);
      else index.delete(key);
    };
    for (const email of new Set(emailsOf(user))) update(this.byEmail, email);
    const employeeNumber = employeeNumberOf(user);
    if (employeeNumber !== undefined) update(this.byEmployeeNumber, employeeNumber);
  }

  create(attributes: StoredAttributes): ScimUser {
    const id = randomUUID();
    const at = this.now().toISOString();
    const user: ScimUser = { ...structuredClone(attributes), id, meta: { resourceType: 'User', created: at, lastModified: at, location: this.locationOf(id) } };
    this.users.set(id, user);
    this.index(user, true);
    return structuredClone(user);
  }

  /** Replaces every attribute but the server-owned ones (id, meta.created); callers decide what "replace" keeps. */
  replace(id: string, attributes: StoredAttributes): ScimUser | undefined {
    const existing = this.users.get(id);
    if (!existing) return undefined;
    const user: ScimUser = {
      ...structuredClone(attributes),
      id,
      meta: { resourceType: 'User', created: existing.meta?.created, lastModified: this.now().toISOString(), location: this.locationOf(id) },
    };
    this.index(existing, false);
    this.users.set(id, user);
    this.index(user, true);
    return structuredClone(user);
  }

  delete(id: string): boolean {
    const existing = this.users.get(id);
    if (existing) this.index(existing, false);
    return this.users.delete(id);
  }

  /**
   * Test-only: stores `attributes` as they are, unvalidated, over user `id` (id and meta kept), to stand in for the
   * odd users a real tenant holds (a null givenName, an array in a Peakon attribute) that no SCIM write could create.
   */
  replaceRaw(id: string, attributes: Record<string, unknown>): ScimUser | undefined {
    const existing = this.users.get(id);
    if (!existing) return undefined;
    const user = { ...structuredClone(attributes), id, meta: existing.meta } as ScimUser;
    this.index(existing, false);
    this.users.set(id, user);
    this.index(user, true);
    return structuredClone(user);
  }

  clear(): void {
    this.users.clear();
    this.byEmail.clear();
    this.byEmployeeNumber.clear();
  }
}
