import { isEmployeeRunId } from '../../client/start-sync';
import { employeeRef } from '../../sync/employee-ref';
import { scheduledSyncWorkflowIdPrefix, syncWorkflowId } from '../../workflows/ids';

// `status`/`cancel` exit 1 for a skipped `sync --employee` run and 0 for a skipped whole-tenant run: which one a run
// is comes only from its workflow ID, so a tenant whose name is the mark's word must not be taken for one.
describe('isEmployeeRunId', () => {
  const startedAt = new Date('2026-11-28T02:00:00Z');

  it.each(['acme', 'employee'])('a sync --employee run of tenant %s is one', (tenant) => {
    const id = `${syncWorkflowId(tenant, startedAt)}/employee/${employeeRef(undefined, tenant, 'ada@example.com')}`;
    expect(isEmployeeRunId(id)).toBe(true);
  });

  it.each(['acme', 'employee'])('whole-tenant, scheduled and dry runs of tenant %s are not', (tenant) => {
    expect(isEmployeeRunId(syncWorkflowId(tenant, startedAt))).toBe(false);
    expect(isEmployeeRunId(`${scheduledSyncWorkflowIdPrefix(tenant)}-2026-11-28T02:00:00Z`)).toBe(false);
    expect(isEmployeeRunId(`${syncWorkflowId(tenant, startedAt)}/dry-run`)).toBe(false);
  });
});
