import { randomUUID } from 'node:crypto';
import { ENTERPRISE_USER_SCHEMA, type ScimUser, type ScimUserWrite } from '../scim/resources';

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
  return user[ENTERPRISE_USER_SCHEMA]?.employeeNumber;
}

/**
 * The tenant's employees, in creation order (which is the stable order list pages are cut from).
 * Values are copied in and out so neither callers nor tests can change stored state behind the server's back.
 */
export class UserStore implements EmployeeDirectory {
  private readonly users = new Map<string, ScimUser>();

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

  get size(): number {
    return this.users.size;
  }

  findByEmail(email: string): ScimUser | undefined {
    const wanted = email.toLowerCase();
    for (const user of this.users.values()) {
      if (emailsOf(user).includes(wanted)) return structuredClone(user);
    }
    return undefined;
  }

  findByEmployeeNumber(employeeNumber: string): ScimUser | undefined {
    for (const user of this.users.values()) {
      if (employeeNumberOf(user) === employeeNumber) return structuredClone(user);
    }
    return undefined;
  }

  create(attributes: ScimUserWrite): ScimUser {
    const id = randomUUID();
    const at = this.now().toISOString();
    const user: ScimUser = { ...structuredClone(attributes), id, meta: { resourceType: 'User', created: at, lastModified: at, location: this.locationOf(id) } };
    this.users.set(id, user);
    return structuredClone(user);
  }

  /** Replaces every attribute but the server-owned ones (id, meta.created); callers decide what "replace" keeps. */
  replace(id: string, attributes: ScimUserWrite): ScimUser | undefined {
    const existing = this.users.get(id);
    if (!existing) return undefined;
    const user: ScimUser = {
      ...structuredClone(attributes),
      id,
      meta: { resourceType: 'User', created: existing.meta?.created, lastModified: this.now().toISOString(), location: this.locationOf(id) },
    };
    this.users.set(id, user);
    return structuredClone(user);
  }

  delete(id: string): boolean {
    return this.users.delete(id);
  }

  clear(): void {
    this.users.clear();
  }
}
