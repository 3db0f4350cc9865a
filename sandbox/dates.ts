import { PEAKON_USER_SCHEMA, type ScimUser } from '../scim/resources';

/**
 * Peakon's documented guidance: a past `Separation date` makes the person inactive, and so does a future `Tenure`
 * (start) date. The sandbox applies it only when it is given a day (`SandboxOptions.today`): with the real clock, tests
 * with fixed dates would change behaviour as the calendar passed them. What the sandbox stores stays as written; what it
 * serves (reads and write answers) follows the dates.
 */
export function servedWithDates(user: ScimUser, today: string | undefined): ScimUser {
  if (today === undefined || user.active === false) return user;
  const peakon = user[PEAKON_USER_SCHEMA];
  const day = (attribute: string) => {
    const value = peakon?.[attribute];
    return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : undefined;
  };
  const separation = day('Separation date');
  const start = day('Tenure');
  const inactive = (separation !== undefined && separation <= today) || (start !== undefined && start > today);
  return inactive ? { ...user, active: false } : user;
}
