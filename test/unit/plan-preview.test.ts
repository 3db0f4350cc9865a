import { PREVIEW_PAGE, planPreview, type PlannedEmployee } from '../../sync/employee-report';

/** A dry run's result carries a preview of the plan; what it must not lose is the writes, leavers above all. */
describe('a dry run\'s preview', () => {
  const entry = (index: number, action: PlannedEmployee['action'], extra: Partial<PlannedEmployee> = {}): PlannedEmployee => ({ ref: `e-${index}`, employeeKey: `p${index}@example.com`, recordRef: `row ${index + 2}`, action, changes: [], warnings: [], ...extra });

  it('keeps the leavers planned last when more than a page of past terminations (skips) and unchanged people come first', () => {
    const entries = [
      ...Array.from({ length: 150 }, (_, index) => entry(index, 'unchanged')),
      ...Array.from({ length: 120 }, (_, index) => entry(150 + index, 'skip', { reason: 'inactive in the HR system and not in Peakon: not created' })),
      entry(270, 'update', { changes: [{ field: 'Team', from: 'A', to: 'B' }] }),
      entry(271, 'deactivate', { reason: 'no longer in scope of the HR read' }),
      entry(272, 'delete', { reason: 'no longer in scope of the HR read' }),
    ];
    const preview = planPreview(entries);
    expect(preview).toHaveLength(PREVIEW_PAGE);
    expect(preview.slice(0, 3).map((line) => line.action)).toEqual(['update', 'deactivate', 'delete']);
    expect(preview.slice(3).every((line) => line.action === 'skip')).toBe(true);
  });
});
