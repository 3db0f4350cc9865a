/**
 * The replay tests prove only what the committed histories hold: a patch every run writes today, with no history that
 * took its branch, leaves that branch unproven, and a later change to it would break runs in flight on deploy with
 * `npm test` green. So an ordinary run of today's code (a first load with leavers' guard off and nothing failing) must
 * write no patch marker that no committed history carries; when this fails, record (docs/versioning.md).
 */
import type { History } from '@temporalio/common/lib/proto-utils';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';
import { committedHistories } from './histories';

type Event = NonNullable<History['events']>[number];

/** The id a `patched()` marker event records (its `patch-data` payload is plain JSON, `{"id": …}`). */
function patchIdOf(event: Event): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_patch') return undefined;
  const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
  if (!data) return undefined;
  const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as { id?: unknown };
  return typeof parsed.id === 'string' ? parsed.id : undefined;
}

function patchIdsOf(history: History): string[] {
  return (history.events ?? []).flatMap((event) => patchIdOf(event) ?? []);
}

describe('the committed histories cover what runs write today', () => {
  const pipeline = usePipelineTests();

  it('has, for every patch marker an ordinary first load writes, a committed history that carries it', async () => {
    const recorded = new Set(committedHistories().flatMap((committed) => patchIdsOf(committed.history)));
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(4, 2));
    const workers = await fixture.startWorkers();
    const handle = await fixture.startSync();
    const report: SyncReport = await workers.runUntil(handle.result());
    expect(report.counts).toMatchObject({ created: 4, failed: 0 });
    // Every workflow of the run: the run itself, then the children its histories started (lock, partitions, employees).
    const written = new Set<string>();
    const queue = [{ workflowId: handle.workflowId, runId: (await handle.describe()).runId }];
    for (let next = queue.shift(); next; next = queue.shift()) {
      const child = pipeline.temporal.client.workflow.getHandle(next.workflowId, next.runId);
      await child.result().catch(() => undefined);
      const history = await child.fetchHistory();
      for (const id of patchIdsOf(history)) written.add(id);
      for (const event of history.events ?? []) {
        const started = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
        if (started?.workflowId && started.runId) queue.push({ workflowId: started.workflowId, runId: started.runId });
      }
    }
    // The run wrote markers at all (else the comparison below would pass on nothing).
    expect(written.size).toBeGreaterThan(0);
    expect([...written].filter((id) => !recorded.has(id)).sort()).toEqual([]);
  }, 120_000);
});
