import { randomUUID } from 'node:crypto';
import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser, type ScimUserAttributes, type ScimUserWrite } from '../scim/resources';

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

/** The user's employee number; an empty one is no number (it is neither unique nor indexed, as absent is not). */
export function employeeNumberOf(user: Pick<ScimUserWrite, typeof ENTERPRISE_USER_SCHEMA>): string | undefined {
  const employeeNumber = user[ENTERPRISE_USER_SCHEMA]?.employeeNumber;
  return employeeNumber === undefined || employeeNumber === null || employeeNumber === '' ? undefined : employeeNumber;
}

// List predicates that read nothing the served user has differently from the stored one (see readsStoredForm).
const storedFormPredicates = new WeakSet<(user: ScimUser) => boolean>();

/**
 * Marks `predicate` as reading neither the Peakon extension nor `schemas`, the only attributes where the stored user
 * differs from the served one (employee references are stored as ids, and a user whose references are all dead is
 * served without the extension and its URN), so page() may test it against the stored user without building a copy.
 */
export function readsStoredForm<P extends (user: ScimUser) => boolean>(predicate: P): P {
  storedFormPredicates.add(predicate);
  return predicate;
}

/** The predicate of an unfiltered list (or an ignored filter): it reads nothing, so page() never builds a served copy to test. */
export const everyUser = readsStoredForm((_user: ScimUser): boolean => true);

/**
 * The tenant's employees, in creation order (which is the stable order list pages are cut from).
 * Values are copied in and out so neither callers nor tests can change stored state behind the server's back.
 *
 * Employee attributes (the tenant's `employee`-type Peakon attributes, e.g. Manager) are references, as in Peakon: a
 * write names the employee by email (or id), the store keeps the employee's id, and every read serves that employee's
 * current userName, so renaming the manager shows on every report; once the manager is deleted the attribute is served
 * absent (a deleted id is never reused, so the reference stays dead even if someone later takes the old email).
 */
export class UserStore implements EmployeeDirectory {
  private readonly users = new Map<string, ScimUser>();
  // Lookups by email and employee number are indexed: every write checks uniqueness and resolves Manager references,
  // and scanning every user for each made a 50,000-employee load quadratic (the sandbox, not the connector, set the pace).
  private readonly byEmail = new Map<string, Set<string>>();
  private readonly byEmployeeNumber = new Map<string, Set<string>>();
  /** Per user, the employee attributes whose stored value is the referenced employee's id (served as their userName). */
  private readonly references = new Map<string, Set<string>>();

  constructor(
    private readonly locationOf: (id: string) => string,
    private readonly now: () => Date = () => new Date(),
    /** The names of the tenant's employee-type Peakon attributes. */
    private readonly employeeAttributes: readonly string[] = [],
  ) {}

  get(id: string): ScimUser | undefined {
    const user = this.users.get(id);
    return user && this.copyOut(user);
  }

  all(): ScimUser[] {
    return [...this.users.values()].map((user) => this.copyOut(user));
  }

  private copyOut(user: ScimUser): ScimUser {
    return structuredClone(this.served(user));
  }

  /**
   * One list page: how many users `predicate` accepts, and copies of those from `offset` on, at most `count`. Only
   * the page is copied: copying the whole tenant for each page made listing 50,000 users quadratic. For the same
   * reason the served form (employee references resolved) is built for the page's users only, unless the predicate
   * may read it: a predicate marked with readsStoredForm (everyUser, a filter on neither the extension nor `schemas`) is
   * tested on the stored user.
   */
  page(predicate: (user: ScimUser) => boolean, offset: number, count: number): { total: number; users: ScimUser[] } {
    const storedForm = storedFormPredicates.has(predicate);
    let total = 0;
    const users: ScimUser[] = [];
    for (const stored of this.users.values()) {
      const tested = storedForm ? stored : this.served(stored);
      if (!predicate(tested)) continue;
      if (total >= offset && users.length < count) users.push(structuredClone(storedForm ? this.served(stored) : tested));
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
    const id = this.firstId(ids);
    return id === undefined ? undefined : this.get(id);
  }

  private firstId(ids: Set<string> | undefined): string | undefined {
    if (!ids || ids.size === 0) return undefined;
    if (ids.size === 1) return ids.values().next().value as string;
    for (const id of this.users.keys()) if (ids.has(id)) return id;
    return undefined;
  }

  /**
   * `attributes` with each employee attribute that names an existing employee (by email as findByEmail matches, else
   * by id, which validation allows only with acceptPeakonIdAsManager) held as that employee's id, resolved against the
   * tenant before this write; and the names of those attributes. A value naming nobody (only a direct store call,
   * validation rejects it) stays plain text.
   */
  private linked(attributes: StoredAttributes): { attributes: StoredAttributes; references: Set<string> } {
    const references = new Set<string>();
    const peakon = attributes[PEAKON_USER_SCHEMA];
    if (!peakon || this.employeeAttributes.length === 0) return { attributes: structuredClone(attributes), references };
    const linkedPeakon = { ...peakon };
    for (const name of this.employeeAttributes) {
      const value = linkedPeakon[name];
      if (typeof value !== 'string') continue;
      const target = this.firstId(this.byEmail.get(value.toLowerCase())) ?? (this.users.has(value) ? value : undefined);
      if (target === undefined) continue;
      linkedPeakon[name] = target;
      references.add(name);
    }
    return { attributes: structuredClone({ ...attributes, [PEAKON_USER_SCHEMA]: linkedPeakon }), references };
  }

  /** The stored user as it is served: references as the referenced employee's current userName, dead ones left out. */
  private served(user: ScimUser): ScimUser {
    const references = this.references.get(user.id);
    if (!references) return user;
    const peakon: Record<string, string | number | null> = {};
    for (const [name, value] of Object.entries(user[PEAKON_USER_SCHEMA] ?? {})) {
      if (!references.has(name)) {
        peakon[name] = value;
        continue;
      }
      const target = typeof value === 'string' ? this.users.get(value) : undefined;
      if (target) peakon[name] = target.userName;
    }
    const { [PEAKON_USER_SCHEMA]: _stored, ...rest } = user;
    if (Object.keys(peakon).length > 0) return { ...rest, [PEAKON_USER_SCHEMA]: peakon };
    return { ...rest, schemas: rest.schemas.filter((urn) => urn !== PEAKON_USER_SCHEMA) };
  }

  private setReferences(id: string, references: Set<string>): void {
    if (references.size > 0) this.references.set(id, references);
    else this.references.delete(id);
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
    const linked = this.linked(attributes);
    const user: ScimUser = { ...linked.attributes, id, meta: { resourceType: 'User', created: at, lastModified: at, location: this.locationOf(id) } };
    this.users.set(id, user);
    this.index(user, true);
    this.setReferences(id, linked.references);
    return this.copyOut(user);
  }

  /** Replaces every attribute but the server-owned ones (id, meta.created); callers decide what "replace" keeps. */
  replace(id: string, attributes: StoredAttributes): ScimUser | undefined {
    const existing = this.users.get(id);
    if (!existing) return undefined;
    const linked = this.linked(attributes);
    const user: ScimUser = {
      ...linked.attributes,
      id,
      meta: { resourceType: 'User', created: existing.meta?.created, lastModified: this.now().toISOString(), location: this.locationOf(id) },
    };
    this.index(existing, false);
    this.users.set(id, user);
    this.index(user, true);
    this.setReferences(id, linked.references);
    return this.copyOut(user);
  }

  /** References to the deleted user from others stay, and are served absent from now on (its id is never reused). */
  delete(id: string): boolean {
    const existing = this.users.get(id);
    if (existing) this.index(existing, false);
    this.references.delete(id);
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
    // Stored as given: its employee attributes are plain text, no references (others' references to it still resolve).
    this.references.delete(id);
    return this.copyOut(user);
  }

  clear(): void {
    this.users.clear();
    this.byEmail.clear();
    this.byEmployeeNumber.clear();
    this.references.clear();
  }
}
