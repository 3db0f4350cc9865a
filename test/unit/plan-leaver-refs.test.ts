import { toActivityFailure } from '../../activities/failures';
import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import type { ScimUser } from '../../scim/resources';
import { employeeRefFor } from '../../sync/employee-ref';
import type { LeaverContext } from '../../sync/leavers';
import { buildPlan, NOT_IN_HR_READ, PlanRefsNotUniqueError, type Plan, type PlanOptions } from '../../sync/plan';
import { record, user } from '../fixtures/plan-people';

const TODAY = '2026-11-30';
const deactivating = LeaversSchema.parse({ guard: { maxCount: 100, maxShare: 1 } });
const deleting = LeaversSchema.parse({ action: 'delete', allowDelete: true, guard: { maxCount: 100, maxShare: 1 } });
const off = LeaversSchema.parse({ action: 'off', guard: { maxCount: 100, maxShare: 1 } });
/** The real ref function (HMAC of tenant and key, keyed by the public constant when no key is given). */
const realRefOf = employeeRefFor(undefined, 'acme');

function planWith(records: DesiredEmployee[], current: ScimUser[], options: { settings?: typeof deactivating; refOf?: PlanOptions['refOf'] } = {}): Plan {
  const leavers: LeaverContext = { today: TODAY, owned: new Set(current.map((peakonUser) => peakonUser.id)), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: records.length };
  return buildPlan(records, current, { matchingKey: 'email', updateMethod: 'patch', refOf: options.refOf ?? realRefOf, leavers, leaverSettings: options.settings ?? deactivating, today: TODAY });
}
const refsOf = (plan: Plan) => plan.entries.map((entry) => entry.ref);

/**
 * A leaver's ref names its child workflow (`<run>/leave/<ref>`) and its report line. Two owned, active Peakon users
 * whose emails give one matching key (the two IDN spellings of one address, or letter case) both drop out of the HR
 * read: both are leavers, and each must have a ref of its own, or the second child workflow's start is refused
 * (WorkflowExecutionAlreadyStartedError) and the whole run fails, at every run.
 */
describe('plan: leavers sharing a matching key get refs of their own', () => {
  const bob = record('101', 'bob@x.com');
  const bobUser = user('B', '101', 'bob@x.com');
  const unicode = user('A1', '100', 'anna@exämple.com');
  const ascii = user('A2', '100-old', 'anna@xn--exmple-cua.com');
  const upper = user('A3', '100-older', 'ANNA@XN--EXMPLE-CUA.COM');

  it.each([
    ['unicode spelling listed first', [unicode, bobUser, ascii]],
    ['ascii spelling listed first', [ascii, bobUser, unicode]],
  ] as const)('both IDN spellings gone from the HR read are deactivated, each under its own ref (%s)', (_order, current) => {
    const plan = planWith([bob], [...current]);
    const leavers = plan.entries.filter((entry) => entry.recordRef === NOT_IN_HR_READ);
    expect(leavers.map((entry) => [entry.peakonUserId, entry.action, entry.update?.leaver]).sort()).toEqual([
      ['A1', 'deactivate', 'deactivate'],
      ['A2', 'deactivate', 'deactivate'],
    ]);
    expect(new Set(leavers.map((entry) => entry.ref)).size).toBe(2);
    // The write carries the entry's ref (the child workflow is started and reported by it).
    for (const entry of leavers) expect(entry.update?.ref).toBe(entry.ref);
    expect(new Set(refsOf(plan)).size).toBe(plan.entries.length);
    // Refs stay privacy-safe: the HMAC form, never an address or a Peakon id.
    for (const ref of refsOf(plan)) expect(ref).toMatch(/^e-[0-9a-f]{16}$/);
    // The record matched keeps the ref its key gives.
    expect(plan.entries.find((entry) => entry.recordRef === 'id 101')?.ref).toBe(realRefOf('bob@x.com'));
  });

  it('three users with one key: three leavers, three refs', () => {
    const plan = planWith([bob], [unicode, upper, bobUser, ascii]);
    const leavers = plan.entries.filter((entry) => entry.update?.leaver === 'deactivate');
    expect(leavers.map((entry) => entry.peakonUserId).sort()).toEqual(['A1', 'A2', 'A3']);
    expect(new Set(leavers.map((entry) => entry.ref)).size).toBe(3);
    expect(new Set(refsOf(plan)).size).toBe(plan.entries.length);
  });

  it.each([
    ['delete', deleting, 'delete'],
    ['off', off, 'skip'],
  ] as const)('leavers.action %s: still one ref per user', (_name, settings, action) => {
    const plan = planWith([bob], [unicode, bobUser, ascii], { settings });
    const leavers = plan.entries.filter((entry) => entry.recordRef === NOT_IN_HR_READ);
    expect(leavers.map((entry) => entry.action)).toEqual([action, action]);
    expect(new Set(refsOf(plan)).size).toBe(plan.entries.length);
  });

  it('a plan whose refs would still collide fails, naming no personal data, instead of failing the run mid-write', () => {
    // A ref function that gives everyone one ref (a regression in refOf or in the plan): no ref can be made unique.
    let plan: Plan | undefined;
    let error: unknown;
    try {
      plan = planWith([bob], [unicode, bobUser, ascii], { refOf: () => 'e-0000000000000000' });
    } catch (caught) {
      error = caught;
    }
    expect(plan).toBeUndefined();
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('ref');
    for (const personal of ['anna', 'bob', 'xn--', 'exämple', 'A1', 'A2', '100', '101']) expect(message).not.toContain(personal);
    // Retrying the same read cannot help: the activity's failure is not retried.
    expect(error).toBeInstanceOf(PlanRefsNotUniqueError);
    expect(toActivityFailure(error)).toMatchObject({ type: 'PlanRefsNotUnique', nonRetryable: true, message });
  });
});
