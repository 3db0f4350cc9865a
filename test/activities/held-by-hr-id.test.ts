/**
 * Filter discovery's lookup by HR id (activities/employee.ts heldByHrId, on ScimClient.usersWithExternalId): whoever
 * holds the employee's HR id as externalId keeps them from being created beside them, as `sync --employee` refuses to
 * (sync/plan.ts singleRename), and the reason says what the other paths do with that holder.
 */
import { heldByHrId } from '../../activities/employee';
import type { ExternalIdHolders } from '../../scim/client';
import { CORE_USER_SCHEMA, type ScimUser, type UnreadableScimUser } from '../../scim/resources';

const user = (id: string, externalId?: string, active?: boolean): ScimUser => ({ schemas: [CORE_USER_SCHEMA], id, userName: `${id}@example.com`, ...(externalId !== undefined ? { externalId } : {}), ...(active !== undefined ? { active } : {}) }) as ScimUser;
const odd = (id: string): UnreadableScimUser => ({ id, userName: `${id}@example.com`, externalId: '100', emails: [], fields: ['name.givenName'] });
const holders = (total: number, users: ScimUser[], options: { unreadable?: UnreadableScimUser[]; filterIgnored?: boolean } = {}): ExternalIdHolders => ({ users, unreadable: options.unreadable ?? [], total, filterIgnored: options.filterIgnored ?? false });

describe('heldByHrId', () => {
  it('lets a new hire be created: nobody holds the id', () => {
    expect(heldByHrId(holders(0, []), 'email')).toBeUndefined();
  });

  it('names the one holder (id only) and says the employee is not created', () => {
    const held = heldByHrId(holders(1, [user('u-1', '100')]), 'email');
    expect(held?.ids).toEqual(['u-1']);
    expect(held?.reason).toMatch(/^Peakon user u-1 already holds this HR id as externalId under another email: not created/);
    // What the other paths do: they rename an owned holder, else sync --employee skips and a list sync creates.
    expect(held?.reason).toContain('sync --employee, or a sync with discovery: list, renames that user in place if the connector owns it');
    expect(held?.reason).not.toContain('@');
  });

  it('an inactive holder: no sync renames it, so the advice is not "sync --employee decides"', () => {
    const held = heldByHrId(holders(1, [user('u-1', '100', false)]), 'employee number');
    expect(held?.ids).toEqual(['u-1']);
    expect(held?.reason).toMatch(/^Peakon user u-1 holds this HR id as externalId under another employee number but is inactive: not created/);
    expect(held?.reason).toContain('a leaver whose HR id was given to a new hire');
    expect(held?.reason).toContain('no sync renames an inactive user (sync --employee skips this person too)');
    expect(held?.reason).toContain('give that user their new employee number in Peakon');
    expect(held?.reason).toContain('a sync with discovery: list creates them');
    expect(held?.reason).not.toMatch(/decides/);
  });

  it('names the holders of an id several users carry, and more than were returned', () => {
    expect(heldByHrId(holders(3, [user('u-1', '100'), user('u-2', '100')]), 'employee number')?.reason).toMatch(/^Peakon users u-1, u-2, … hold this HR id as externalId: not created, as it may be this person under an earlier employee number/);
  });

  it('an unreadable holder is a holder: not created, left alone, named by id with the fields (never values)', () => {
    const held = heldByHrId(holders(1, [], { unreadable: [odd('u-9')] }), 'email');
    expect(held?.ids).toEqual(['u-9']);
    expect(held?.reason).toMatch(/^Peakon user u-9 holds this HR id as externalId but could not be read \(name\.givenName do not fit the SCIM User schema\): left alone this run, not created/);
    expect(held?.reason).not.toContain('@');
    expect(heldByHrId(holders(2, [user('u-1', '100')], { unreadable: [odd('u-9')] }), 'email')?.reason).toMatch(/^Peakon users u-1, u-9 hold this HR id as externalId; Peakon user u-9 could not be read \(name\.givenName do not fit the SCIM User schema\): left alone this run, not created/);
  });

  it('does not create when the answer counts a holder it did not return', () => {
    expect(heldByHrId(holders(1, []), 'email')).toMatchObject({ ids: [], reason: expect.stringMatching(/^a Peakon user holds this HR id as externalId but was not returned: not created/) });
  });

  it('does not create when Peakon ignored the filter (users with other externalIds came back): nobody can tell', () => {
    const held = heldByHrId(holders(0, [], { filterIgnored: true }), 'email');
    expect(held?.ids).toEqual([]);
    expect(held?.reason).toMatch(/^Peakon did not apply the externalId filter/);
  });
});
