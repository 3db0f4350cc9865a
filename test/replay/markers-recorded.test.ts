/**
 * The replay tests prove only what the committed histories hold: a patch every run writes today, with no history that
 * took its branch, leaves that branch unproven, and a later change to it would break runs in flight on deploy with
 * `npm test` green. So an ordinary run of today's code (a first load with leavers' guard off and nothing failing) must
 * write no patch marker that no committed history carries; when this fails, record (docs/versioning.md).
 */
import type { History } from '@temporalio/common/lib/proto-utils';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
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

/**
 * Patches whose branch no committed history takes, each with why it is not recorded: their replay is unproven, and
 * this list says so where a reviewer sees it. A new patch must be recorded (docs/versioning.md) or added here.
 */
const NOT_RECORDED: Readonly<Record<string, string>> = {
  'approval-beats-timeout': 'taken only if the guard deadline wins its race with an approval handled in the same task, which today\'s SDK never lets happen (workflows/sync.ts)',
  'cap-partitions-per-phase': 'taken only by a phase of more than 200 partitions (sync/phases.ts MAX_PARTITIONS_PER_PHASE): thousands of employees to record',
  'publish-failed-after-finish': 'taken only when the run report cannot be written after the outcome was published (a full or read-only report folder)',
};

/** Every patch id the workflow code declares (`…_PATCH = '<id>'`), read from its source so a new one cannot be missed. */
function declaredPatchIds(): string[] {
  const folder = path.resolve(__dirname, '../../workflows');
  return readdirSync(folder)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => [...readFileSync(path.join(folder, file), 'utf8').matchAll(/_PATCH = '([a-z0-9-]+)'/g)].map((match) => match[1] as string));
}

describe('the committed histories cover what runs write today', () => {
  const pipeline = usePipelineTests();

  it('carry every patch the workflows declare, but for the few listed with why they are not recorded', () => {
    const recorded = new Set(committedHistories().flatMap((committed) => patchIdsOf(committed.history)));
    const declared = declaredPatchIds();
    expect(declared.length).toBeGreaterThan(10);
    expect(declared.filter((id) => !recorded.has(id) && NOT_RECORDED[id] === undefined).sort()).toEqual([]);
    // An entry whose patch is recorded by now, or no longer declared, is stale: the list stays the truth.
    expect(Object.keys(NOT_RECORDED).filter((id) => recorded.has(id) || !declared.includes(id)).sort()).toEqual([]);
  });

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
