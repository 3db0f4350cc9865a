import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import { CORE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { LeaverContext } from '../../sync/leavers';
import { buildPlan, NOT_IN_HR_READ } from '../../sync/plan';

/**
 * `leavers.action: separate` (sync/leavers.ts leaverWrite): the separation date and reason a leaver's PATCH writes. The
 * HR system's own values win; without them, what Peakon already holds (an earlier run wrote it from the HR record,
 * which has since left the read) is kept; only without either do the run's day and the configured reason fill in.
 */
describe('separation date and reason of a leaver under separate', () => {
  const settings = LeaversSchema.parse({ action: 'separate', separation: { reason: 'Other' }, guard: { maxCount: 100, maxShare: 1 } });
  const today = '2026-11-30';
  const stayer: DesiredEmployee = { employeeKey: 'stays@example.com', recordRef: 'row 2', sourceId: 'H1', user: { schemas: [CORE_USER_SCHEMA], userName: 'stays@example.com', active: true }, references: {}, createOnly: [], warnings: [] };
  const peakonUser = (id: string, email: string, held: Record<string, string>): ScimUser => ({ schemas: [CORE_USER_SCHEMA], id, userName: email, active: true, [PEAKON_USER_SCHEMA]: held });
  const planFor = (records: DesiredEmployee[], users: ScimUser[]) => {
    const leavers: LeaverContext = { today, owned: new Set(users.map((user) => user.id)), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: records.length };
    return buildPlan(records, [peakonUser('u-stays', 'stays@example.com', {}), ...users], { matchingKey: 'email', updateMethod: 'patch', refOf: (key) => key, leavers, leaverSettings: settings, today });
  };
  const writeOf = (plan: ReturnType<typeof planFor>, id: string) => plan.entries.find((entry) => entry.peakonUserId === id);

  it('gone from the HR read, with the date and reason an earlier run wrote: only active changes, both kept', () => {
    const plan = planFor([stayer], [peakonUser('u-gone', 'gone@example.com', { 'Separation date': '2026-12-20', 'Separation reason': 'Resignation' })]);
    const entry = writeOf(plan, 'u-gone');
    expect(entry).toMatchObject({ action: 'deactivate', recordRef: NOT_IN_HR_READ });
    expect(entry?.changes).toEqual([{ field: 'active', from: true, to: false }]);
    expect(entry?.update?.write).toEqual({ method: 'patch', operations: [{ op: 'replace', path: 'active', value: false }] });
  });

  it('gone from the HR read with nothing held: the run\'s day and the configured reason', () => {
    const entry = writeOf(planFor([stayer], [peakonUser('u-gone', 'gone@example.com', { 'Separation reason': ' ' })]), 'u-gone');
    expect(entry?.changes).toEqual([
      { field: 'active', from: true, to: false },
      { field: 'Separation date', from: null, to: today, peakon: true },
      { field: 'Separation reason', from: ' ', to: 'Other', peakon: true },
    ]);
  });

  it('a separation attribute named with a dot is written through its extension (in a path the dot names a sub-attribute)', () => {
    const dotted = LeaversSchema.parse({ action: 'separate', separation: { dateAttribute: 'Sep. date', reason: 'Other' }, guard: { maxCount: 100, maxShare: 1 } });
    const leavers: LeaverContext = { today, owned: new Set(['u-gone']), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: 1 };
    const plan = buildPlan([stayer], [peakonUser('u-stays', 'stays@example.com', {}), peakonUser('u-gone', 'gone@example.com', {})], { matchingKey: 'email', updateMethod: 'patch', refOf: (key) => key, leavers, leaverSettings: dotted, today });
    expect(writeOf(plan, 'u-gone')?.update?.write).toEqual({
      method: 'patch',
      operations: [
        { op: 'replace', path: 'active', value: false },
        { op: 'replace', value: { [PEAKON_USER_SCHEMA]: { 'Sep. date': today } } },
        { op: 'replace', path: `${PEAKON_USER_SCHEMA}:Separation reason`, value: 'Other' },
      ],
    });
  });

  describe('marked inactive in the HR system (a status, no termination date yet)', () => {
    const marked: DesiredEmployee = { ...stayer, employeeKey: 'marked@example.com', sourceId: 'H3', user: { schemas: [CORE_USER_SCHEMA], userName: 'marked@example.com', active: false } };
    const planMarked = (record: DesiredEmployee, held: Record<string, string | null>, updateMethod: 'patch' | 'put', options: { peakonActive?: boolean; wholeTenant?: boolean } = {}) => {
      const users = [peakonUser('u-stays', 'stays@example.com', {}), { ...peakonUser('u-marked', 'marked@example.com', held as Record<string, string>), active: options.peakonActive ?? true }];
      const leavers: LeaverContext = { today, owned: new Set(users.map((user) => user.id)), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: 2 };
      // A single-employee sync (`sync --employee`) knows no whole-tenant listing: no leaver context, the day as `today`.
      return writeOf(buildPlan([stayer, record], users, { matchingKey: 'email', updateMethod, refOf: (key) => key, ...(options.wholeTenant === false ? {} : { leavers }), leaverSettings: settings, today }), 'u-marked');
    };
    /** The sample's mapping: the separation attributes from HR cells that are blank until HR fills them (null). */
    const blankCells = { ...marked, user: { ...marked.user, [PEAKON_USER_SCHEMA]: { 'Separation date': null, 'Separation reason': null } } };

    it('the deactivation also writes the run\'s day and the configured reason', () => {
      const entry = planMarked(marked, {}, 'patch');
      expect(entry).toMatchObject({ action: 'deactivate', reason: 'inactive in the HR system' });
      expect(entry?.changes).toEqual(
        expect.arrayContaining([
          { field: 'active', from: true, to: false },
          { field: 'Separation date', from: null, to: today, peakon: true },
          { field: 'Separation reason', from: null, to: 'Other', peakon: true },
        ]),
      );
      expect(entry?.update?.write).toEqual({ method: 'patch', operations: expect.arrayContaining([{ op: 'replace', path: 'active', value: false }, { op: 'replace', path: `${PEAKON_USER_SCHEMA}:Separation date`, value: today }, { op: 'replace', path: `${PEAKON_USER_SCHEMA}:Separation reason`, value: 'Other' }]) });
    });

    it('a mapped reason wins; what Peakon holds fills in before the defaults', () => {
      const mappedReason = planMarked({ ...marked, user: { ...marked.user, [PEAKON_USER_SCHEMA]: { 'Separation reason': 'Retirement' } } }, { 'Separation reason': 'Resignation' }, 'patch');
      expect(mappedReason?.changes).toEqual(expect.arrayContaining([{ field: 'Separation date', from: null, to: today, peakon: true }, { field: 'Separation reason', from: 'Resignation', to: 'Retirement', peakon: true }]));
      const held = planMarked(blankCells, { 'Separation date': '2026-11-01', 'Separation reason': 'Resignation' }, 'patch');
      expect(held?.changes).toContainEqual({ field: 'active', from: true, to: false });
      expect(held?.changes.filter((change) => change.peakon)).toEqual([]);
    });

    it('once switched off, later runs keep the separation Peakon holds, though the HR cells are blank (null)', () => {
      const later = planMarked(blankCells, { 'Separation date': today, 'Separation reason': 'Other' }, 'patch', { peakonActive: false });
      expect(later?.action).not.toBe('deactivate');
      expect(later?.changes.filter((change) => change.peakon)).toEqual([]);
      expect(JSON.stringify(later?.update?.write ?? null)).not.toContain('Separation');
      // Nothing held (switched off before this version): nothing invented either, no run's day as if they left today.
      const never = planMarked(blankCells, {}, 'patch', { peakonActive: false });
      expect(never?.changes.filter((change) => change.peakon)).toEqual([]);
    });

    it('a single-employee sync that switches them off writes the separation too', () => {
      const entry = planMarked(blankCells, {}, 'patch', { wholeTenant: false });
      expect(entry?.changes).toEqual(expect.arrayContaining([{ field: 'active', from: true, to: false }, { field: 'Separation date', from: null, to: today, peakon: true }, { field: 'Separation reason', from: null, to: 'Other', peakon: true }]));
    });

    it('under PUT the read-first write carries them', () => {
      const entry = planMarked(marked, {}, 'put');
      expect(entry?.update?.write).toMatchObject({ method: 'put', body: { active: false, [PEAKON_USER_SCHEMA]: { 'Separation date': today, 'Separation reason': 'Other' } } });
    });
  });

  it('a termination date and reason from the HR record win over what Peakon holds', () => {
    const leaving: DesiredEmployee = { ...stayer, employeeKey: 'leaves@example.com', sourceId: 'H2', terminationDate: '2026-11-15', user: { schemas: [CORE_USER_SCHEMA], userName: 'leaves@example.com', active: true, [PEAKON_USER_SCHEMA]: { 'Separation reason': 'Retirement' } } };
    const plan = planFor([stayer, leaving], [peakonUser('u-leaves', 'leaves@example.com', { 'Separation date': '2026-12-20', 'Separation reason': 'Resignation' })]);
    expect(writeOf(plan, 'u-leaves')?.changes).toEqual([
      { field: 'active', from: true, to: false },
      { field: 'Separation date', from: '2026-12-20', to: '2026-11-15', peakon: true },
      { field: 'Separation reason', from: 'Resignation', to: 'Retirement', peakon: true },
    ]);
  });
});
