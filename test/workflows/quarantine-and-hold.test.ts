/**
 * Three README claims, end to end (real Temporal dev server, real workers, the sandbox as Peakon):
 * - a run whose Peakon base URL is wrong (the server answers 404) ends `quarantined` and writes nothing;
 * - a plan that meets its tenant's 429 hold is retried after the wait and holds no plan slot meanwhile: with one plan
 *   slot per worker, another tenant's whole sync runs while the held tenant waits;
 * - an employee told 429 again and again waits longer each time (at least 1 s, 2 s, 4 s, …), never less than Peakon's
 *   Retry-After, and counts every refused request.
 *
 * Between the connector and the sandbox sits a front door: a plain HTTP relay that logs every request (also those the
 * sandbox does not log, outside its SCIM base) and, when told to, answers the next request itself with a 429 and a
 * short Retry-After, as Peakon would when the tenant's budget is spent (the sandbox's own 429 asks for about an hour).
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import type { SyncReport } from '../../sync/report';
import { employeeWorkflowId } from '../../workflows/ids';
import { RATE_LIMIT_PATIENCE_PATCH } from '../../workflows/employee';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

interface RelayedRequest {
  at: number;
  method: string;
  path: string;
  status: number;
}

interface FrontDoor {
  origin: string;
  requests: RelayedRequest[];
  /**
   * The next `count` requests (of `method` only, when given) are answered 429 with `Retry-After: seconds`, without
   * reaching the sandbox.
   */
  refuseNext(count: number, retryAfterSeconds: number, method?: string): void;
  close(): Promise<void>;
}

async function startFrontDoor(target: string): Promise<FrontDoor> {
  const requests: RelayedRequest[] = [];
  let refusals = 0;
  let retryAfter = 0;
  let refusedMethod: string | undefined;
  const server = http.createServer((incoming, response) => {
    const entry: RelayedRequest = { at: Date.now(), method: incoming.method ?? '?', path: incoming.url ?? '/', status: 0 };
    requests.push(entry);
    if (refusals > 0 && (refusedMethod === undefined || refusedMethod === entry.method)) {
      refusals -= 1;
      entry.status = 429;
      incoming.resume();
      response.writeHead(429, { 'Content-Type': 'application/scim+json', 'Retry-After': String(retryAfter) });
      response.end(JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '429', scimType: 'tooMany', detail: 'rate limited by the test front door' }));
      return;
    }
    const outgoing = http.request(new URL(entry.path, target), { method: entry.method, headers: { ...incoming.headers, host: new URL(target).host } }, (answer) => {
      entry.status = answer.statusCode ?? 0;
      response.writeHead(entry.status, answer.headers);
      answer.pipe(response);
    });
    outgoing.on('error', (error) => response.destroy(error));
    incoming.pipe(outgoing);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    refuseNext(count, seconds, method) {
      refusals = count;
      retryAfter = seconds;
      refusedMethod = method;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('quarantine on a base URL Peakon does not know', () => {
  const pipeline = usePipelineTests();

  it('a run whose Peakon base URL has a wrong path (404) ends quarantined, says why, and writes nothing', async () => {
    const fixture = await pipeline.fixture();
    const door = await startFrontDoor(fixture.sandbox.origin);
    try {
      fixture.writeEmployees(generateOrg(10, 2));
      // The sandbox's SCIM base is /scim/v2: everything under /scim/v3 is answered 404.
      fixture.config.peakon = { ...fixture.config.peakon, baseUrl: `${door.origin}/scim/v3` };
      const workers = await fixture.startWorkers();
      await workers.runUntil(
        (async () => {
          const report: SyncReport = await (await fixture.startSync()).result();
          expect(report.status).toBe('quarantined');
          expect(report.message).toMatch(/404/);
          expect(report.counts).toMatchObject({ created: 0, updated: 0, deactivated: 0, deleted: 0 });
        })(),
      );
      // It asked (at least once, reads only), every answer a 404, and wrote nothing.
      expect(door.requests.length).toBeGreaterThan(0);
      expect(door.requests.filter((request) => WRITES.has(request.method))).toEqual([]);
      expect(door.requests.every((request) => request.status === 404 && request.path.startsWith('/scim/v3/'))).toBe(true);
      expect(fixture.sandbox.users()).toEqual([]);
    } finally {
      await door.close();
    }
  });
});

describe("a plan during its tenant's 429 hold", () => {
  const pipeline = usePipelineTests();

  it('is retried after the Retry-After, holding no plan slot: with one plan slot, another tenant syncs meanwhile', async () => {
    const RETRY_AFTER_S = 10;
    const held = await pipeline.fixture();
    const other = await pipeline.fixture();
    const door = await startFrontDoor(held.sandbox.origin);
    try {
      held.writeEmployees(generateOrg(6, 2));
      other.writeEmployees(generateOrg(6, 2));
      held.config.peakon = { ...held.config.peakon, baseUrl: `${door.origin}/scim/v2` };
      // Peakon's answer to the held tenant's first request: 429, wait RETRY_AFTER_S seconds.
      door.refuseNext(1, RETRY_AFTER_S);
      // One plan at a time on this worker (PEAKON_SYNC_PLAN_CONCURRENCY=1): the held tenant's plan, if it kept its
      // slot through the wait, would keep the other tenant's plan queued behind it.
      const workers = await held.startWorkers({ maxConcurrentPlans: 1 });
      await workers.runUntil(
        (async () => {
          const heldRun = await held.startSync();
          await waitFor('the held tenant to be answered 429', () => door.requests.some((request) => request.status === 429));
          const refusedAt = door.requests[0]?.at ?? 0;
          expect(door.requests).toHaveLength(1);

          const otherRun = await other.startSync();
          const otherReport: SyncReport = await otherRun.result();
          const otherDoneAt = Date.now();
          expect(otherReport.status).toBe('completed');
          expect(otherReport.counts.created).toBe(6);
          // The other tenant planned and wrote everything within the held tenant's wait…
          expect(otherDoneAt - refusedAt).toBeLessThan(RETRY_AFTER_S * 1000);
          // …while the held tenant sent nothing more and is still running.
          expect(door.requests).toHaveLength(1);
          expect((await heldRun.describe()).status.name).toBe('RUNNING');

          const heldReport: SyncReport = await heldRun.result();
          expect(heldReport.status).toBe('completed');
          expect(heldReport.counts.created).toBe(6);
          expect(held.sandbox.users()).toHaveLength(6);
          // Its next request went out after the Retry-After (not before it), and was not refused again.
          const next = door.requests[1];
          expect(next).toBeDefined();
          expect((next?.at ?? 0) - refusedAt).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000 - 250);
          expect(door.requests.filter((request) => request.status === 429)).toHaveLength(1);
          // That request was a second plan: the first failed on the 429 at once (not retried by Temporal) and the run
          // waited out the Retry-After on a durable timer before planning again (workflows/sync.ts).
          const history = (await heldRun.fetchHistory()).events ?? [];
          const plans = history.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'planSync');
          expect(plans).toHaveLength(2);
          const [first, second] = plans.map((plan) => Number(plan.eventId));
          const between = history.filter((event) => Number(event.eventId) > (first ?? 0) && Number(event.eventId) < (second ?? 0));
          expect(between.some((event) => event.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type === 'RateLimited')).toBe(true);
          const timer = between.find((event) => event.timerStartedEventAttributes);
          expect(Number(timer?.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? 0)).toBeGreaterThanOrEqual(RETRY_AFTER_S);
        })(),
      );
    } finally {
      await door.close();
    }
  });
});

describe('an employee step told 429 again and again', () => {
  const pipeline = usePipelineTests();

  it("backs off (1 s, 2 s, 4 s: never shorter than Peakon's Retry-After), records the patch, and counts every refused request", async () => {
    const fixture = await pipeline.fixture();
    const door = await startFrontDoor(fixture.sandbox.origin);
    try {
      fixture.writeEmployees(generateOrg(1, 1));
      fixture.config.peakon = { ...fixture.config.peakon, baseUrl: `${door.origin}/scim/v2` };
      // Peakon asks for a 1-second wait three times in a row (a budget at its edge, a proxy's short Retry-After).
      door.refuseNext(3, 1, 'POST');
      const workers = await fixture.startWorkers();
      await workers.runUntil(
        (async () => {
          const report: SyncReport = await (await fixture.startSync()).result();
          expect(report.status).toBe('completed');
          expect(report.counts).toMatchObject({ created: 1, failed: 0 });
          const posts = door.requests.filter((request) => request.method === 'POST');
          expect(posts.map((request) => request.status)).toEqual([429, 429, 429, 201]);
          // Every request counted, the three refused POSTs included.
          expect(report.operations).toBe(door.requests.length);

          const line = (JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile).employees.find((entry) => entry.action === 'create');
          const employee = pipeline.temporal.client.workflow.getHandle(employeeWorkflowId(report.runId, 'create', line?.employeeRef ?? ''));
          const events = (await employee.fetchHistory()).events ?? [];
          const timers = events.flatMap((event) => (event.timerStartedEventAttributes ? [Number(event.timerStartedEventAttributes.startToFireTimeout?.seconds ?? 0)] : []));
          // Each wait in a row at least twice the floor before it; Peakon's 1 s is obeyed on the first.
          expect(timers).toEqual([1, 2, 4]);
          const markers = events.flatMap((event) => (event.markerRecordedEventAttributes?.markerName === 'core_patch' ? [Buffer.from(event.markerRecordedEventAttributes.details?.['patch-data']?.payloads?.[0]?.data ?? []).toString('utf8')] : []));
          expect(markers.some((marker) => marker.includes(RATE_LIMIT_PATIENCE_PATCH))).toBe(true);
          // The gaps between the refused POSTs follow the timers (the sandbox never saw them).
          const gaps = posts.slice(1).map((request, index) => request.at - (posts[index]?.at ?? 0));
          expect(gaps.map((gap, index) => gap >= (timers[index] ?? 0) * 1000 - 250)).toEqual([true, true, true]);
        })(),
      );
    } finally {
      await door.close();
    }
  });
});
