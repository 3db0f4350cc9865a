import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import type { ScimUser } from '../../scim/resources';
import { buildPlan, usersOwnedByPlan, type HrIdLookup, type Plan } from '../../sync/plan';
import { record, user } from '../fixtures/plan-people';

const TODAY = '2026-11-30';
const settings = LeaversSchema.parse({ guard: { maxCount: 100, maxShare: 1 } });

/** `sync --employee`: the one record synced, the users its key lookup found, and what its lookup by HR id found. */
function singleSync(read: DesiredEmployee[], synced: DesiredEmployee, foundByKey: ScimUser[], lookup: Partial<HrIdLookup>): Plan {
  const hrIdLookup: HrIdLookup = { users: [], total: 0, readKeys: new Set(read.map((employee) => employee.employeeKey)), recordsWithHrId: read.filter((employee) => employee.sourceId === synced.sourceId).length, ...lookup };
  return buildPlan([synced], foundByKey, { matchingKey: 'email', updateMethod: 'patch', refOf: (key) => `r-${key}`, currentIsWholeTenant: false, today: TODAY, leaverSettings: settings, hrIdLookup });
}
const entryOf = (plan: Plan, recordRef: string) => plan.entries.find((entry) => entry.recordRef === recordRef);

/**
 * A single-employee sync of a person whose termination date has come, whose user singleRename cannot tell (the HR id
 * and the key disagree): skipped with that reason, naming no user, so the run owns nobody, as a whole-tenant run skips
 * a terminated record among conflictingRecords (test/unit/plan-terminated-conflicts.test.ts).
 */
describe('plan: sync --employee of a terminated record whose user is unclear', () => {
  const jane = record('1', 'jane.smith@x.com', '2026-11-15');

  it.each([
    ['active', true],
    ['inactive ("already inactive" otherwise)', false],
  ] as const)('an %s user by key without her HR id, the lookup by HR id telling nothing (filter ignored): skipped with the reason, no user id, nobody owned', (_case, active) => {
    const plan = singleSync([jane], jane, [user('uV', undefined, 'jane.smith@x.com', active)], { filterIgnored: true, otherRecordsHrIds: new Set() });
    expect(plan.entries).toHaveLength(1);
    const entry = entryOf(plan, 'id 1');
    expect(entry).toMatchObject({ action: 'skip', changes: [], reason: expect.stringContaining("Peakon user uV has this email but not this person's HR id") });
    expect(entry?.reason).toContain('run a whole-tenant sync');
    // First that she left: a leaver is never created, whatever the unclear user's reason warns of.
    expect(entry?.reason).toMatch(/^termination date \d{4}-\d{2}-\d{2} has come: /);
    expect(entry?.peakonUserId).toBeUndefined();
    expect(usersOwnedByPlan(plan.entries)).toEqual([]);
  });

  it('a new hire given Jane\'s old address, who left, while her user still holds it: skipped naming that user, not taken as theirs', () => {
    const hire = record('9', 'jane@x.com', '2026-11-15');
    const read = [record('1', 'jane.smith@x.com'), hire];
    const plan = singleSync(read, hire, [user('uJ', '1', 'jane@x.com')], { owned: new Set(['uJ']), otherRecordsHrIds: new Set(['1']) });
    const entry = entryOf(plan, 'id 9');
    expect(entry).toMatchObject({ action: 'skip', changes: [], reason: expect.stringContaining('held by Peakon user uJ') });
    expect(entry?.peakonUserId).toBeUndefined();
    expect(usersOwnedByPlan(plan.entries)).toEqual([]);
  });

  it('nobody by key, a user holding the HR id the connector does not own: skipped with that reason (not created either way)', () => {
    const plan = singleSync([jane], jane, [], { users: [user('uX', '1', 'jane@x.com')], total: 1, owned: new Set(), otherRecordsHrIds: new Set() });
    const entry = entryOf(plan, 'id 1');
    expect(entry).toMatchObject({ action: 'skip', changes: [], reason: expect.stringContaining('the connector does not own it') });
    expect(entry?.peakonUserId).toBeUndefined();
  });

  it('her own user by key (carrying her HR id): left as it is, as before', () => {
    const plan = singleSync([jane], jane, [user('uJ', '1', 'jane.smith@x.com')], { owned: new Set(['uJ']) });
    expect(entryOf(plan, 'id 1')).toMatchObject({ action: 'skip', peakonUserId: 'uJ', reason: expect.stringContaining('left as it is') });
    expect(entryOf(plan, 'id 1')?.adopted).toBeUndefined();
  });

  it.each([
    ['active: left as it is', true, 'skip'],
    ['inactive: already inactive', false, 'unchanged'],
  ] as const)('her user by key that the ledger does not hold (%s): the line names it and says adopted, as the run owns it from now on', (_case, active, action) => {
    const plan = singleSync([jane], jane, [user('uJ', '1', 'jane.smith@x.com', active)], { owned: new Set() });
    expect(entryOf(plan, 'id 1')).toMatchObject({ action, peakonUserId: 'uJ', adopted: true });
    expect(usersOwnedByPlan(plan.entries)).toEqual(['uJ']);
  });
});
