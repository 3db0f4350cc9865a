/**
 * `sync --employee`'s lookups (activities/plan.ts): the lookup by HR id runs when the key found nobody or a user
 * without the record's HR id, and the plan learns which users found by key carry another record's HR id (only those,
 * not the read's every id), so it can keep the person's own user and leave another person's alone (sync/plan.ts
 * singleRename).
 */
import { needsHrIdLookup, otherRecordsHrIds } from '../../activities/plan';
import { CORE_USER_SCHEMA, type ScimUser } from '../../scim/resources';

const user = (id: string, externalId?: string): ScimUser => ({ schemas: [CORE_USER_SCHEMA], id, userName: `${id}@example.com`, ...(externalId !== undefined ? { externalId } : {}) }) as ScimUser;

describe('sync --employee: the lookup by HR id', () => {
  it('runs when the key found nobody, or a user without the record\'s HR id (none, or another)', () => {
    expect(needsHrIdLookup([], { sourceId: '1' })).toBe(true);
    expect(needsHrIdLookup([user('uV')], { sourceId: '1' })).toBe(true);
    expect(needsHrIdLookup([user('uJ', '9')], { sourceId: '1' })).toBe(true);
    expect(needsHrIdLookup([user('u1', '1'), user('u2')], { sourceId: '1' })).toBe(true);
  });

  it('does not run when every user found by key carries the record\'s HR id (one GET saved)', () => {
    expect(needsHrIdLookup([user('u1', '1')], { sourceId: '1' })).toBe(false);
  });

  it('tells the plan which externalIds of users found by key another record of the read carries', () => {
    const read = [{ sourceId: '1' }, { sourceId: '2' }, { sourceId: '9' }];
    expect(otherRecordsHrIds([user('uJ', '1'), user('uV', 'OKTA-9'), user('uX'), user('uS', '9')], read, { sourceId: '9' })).toEqual(new Set(['1']));
    expect(otherRecordsHrIds([user('uV', 'OKTA-9')], read, { sourceId: '9' })).toEqual(new Set());
  });
});
