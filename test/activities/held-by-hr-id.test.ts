/**
 * Filter discovery's lookup by HR id (activities/employee.ts heldByHrId): whoever holds the employee's HR id as
 * externalId keeps them from being created beside them, as `sync --employee` refuses to (sync/plan.ts singleRename).
 */
import { heldByHrId } from '../../activities/employee';
import { CORE_USER_SCHEMA, type ScimUser, type UserListResponse } from '../../scim/resources';

const user = (id: string, externalId?: string): ScimUser => ({ schemas: [CORE_USER_SCHEMA], id, userName: `${id}@example.com`, ...(externalId !== undefined ? { externalId } : {}) }) as ScimUser;
const page = (totalResults: number, Resources: ScimUser[]) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults, Resources }) as unknown as UserListResponse;

describe('heldByHrId', () => {
  it('lets a new hire be created: nobody holds the id', () => {
    expect(heldByHrId(page(0, []), '100', 'email')).toBeUndefined();
  });

  it('names the one holder (id only) and says the employee is not created', () => {
    const held = heldByHrId(page(1, [user('u-1', '100')]), '100', 'email');
    expect(held?.ids).toEqual(['u-1']);
    expect(held?.reason).toMatch(/^Peakon user u-1 already holds this HR id as externalId under another email: not created/);
    expect(held?.reason).not.toContain('@');
  });

  it('names the holders of an id several users carry, and more than were returned', () => {
    expect(heldByHrId(page(3, [user('u-1', '100'), user('u-2', '100')]), '100', 'employee number')?.reason).toMatch(/^Peakon users u-1, u-2, … hold this HR id as externalId: not created, as it may be this person under an earlier employee number/);
  });

  it('does not create when the answer counts a holder it did not return', () => {
    expect(heldByHrId(page(1, []), '100', 'email')).toMatchObject({ ids: [], reason: expect.stringMatching(/^a Peakon user holds this HR id as externalId but was not returned: not created/) });
  });

  it('does not create when Peakon ignored the filter (users with other externalIds came back): nobody can tell', () => {
    const held = heldByHrId(page(40, [user('u-7', 'OKTA-1'), user('u-8')]), '100', 'email');
    expect(held?.ids).toEqual([]);
    expect(held?.reason).toMatch(/^Peakon did not apply the externalId filter/);
  });
});
