/**
 * `sync.updateMethod: put`, phase 2 of a user created this run: the PUT that writes the references its create could
 * not carry (a manager created in a later wave) must not clear what Peakon holds beyond the create body. Peakon fills
 * in defaults at creation (a timezone the HR system left empty) and other systems write attributes between the POST and
 * the PUT; the sandbox here clears omitted attributes on PUT (RFC 7644's reading, which Peakon leaves open). End to end:
 * real dev server, real HTTP against the sandbox.
 */
import { DEFAULT_TENANT_SCHEMA } from '../../sandbox';
import { PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import { MAX_CREATE_WAVES } from '../../sync/plan';
import type { SyncReport } from '../../sync/report';
import { generateOrg, type GeneratedEmployee } from '../fixtures/org';
import { progressOf } from '../harness/progress';
import { TEST_TUNING, usePipelineTests, withoutLeaverGuard } from '../harness/pipeline';

describe('updateMethod put: the deferred-references PUT of a user created this run', () => {
  const pipeline = usePipelineTests();

  it('keeps what Peakon holds beyond the create body (a default it filled in, attributes another system wrote), and counts its GET', async () => {
    // Business Unit: a Peakon attribute the mapping does not set (someone else manages it).
    const fixture = await pipeline.fixture({ sandbox: { schema: [...DEFAULT_TENANT_SCHEMA, { name: 'Business Unit', type: 'option' }], putClearsOmitted: true }, slowAnswers: true });
    fixture.config.sync = { ...fixture.config.sync, updateMethod: 'put' };
    withoutLeaverGuard(fixture);
    // A management chain of MAX_CREATE_WAVES + 1 people: the last one shares the last wave with their manager, so
    // their create cannot carry the Manager and phase 2 writes it. The HR system has no timezone for them: the create
    // leaves it out, and Peakon would fill in its default.
    const chain = generateOrg(MAX_CREATE_WAVES + 1, 2).map((employee, index, all) => ({ ...employee, manager_id: index === 0 ? '' : (all[index - 1]?.employee_id ?? '') }));
    const report = { ...(chain.at(-1) as GeneratedEmployee), timezone: '' };
    const manager = chain.at(-2) as GeneratedEmployee;
    chain[chain.length - 1] = report;
    fixture.writeEmployees(chain);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        // Every request waits 1 s in the sandbox: room to change the created user after phase 1 and before phase 2's
        // write of it is handled.
        fixture.sandbox.setFaults({ latencyMs: 1_000 });
        const handle = await fixture.startSync();
        await progressOf(handle, (progress) => progress.phase === 'update' || progress.phase === 'done');
        const created = fixture.sandbox.users().find((user) => user.userName === report.work_email) as ScimUser;
        expect(created).toBeDefined();
        expect(created[PEAKON_USER_SCHEMA]?.Manager).toBeUndefined();
        // Peakon's default timezone, and what another system wrote between the POST and the PUT.
        fixture.sandbox.storeRawUser(created.id, { ...created, timezone: 'Europe/Copenhagen', title: 'Set by Peakon', [PEAKON_USER_SCHEMA]: { ...created[PEAKON_USER_SCHEMA], 'Business Unit': 'BU North' } });
        // The first PUT is applied but answered 5xx (commit then fail): the retry reads the user again (now holding the
        // applied PUT) and writes the same state. Seed 15 fails the first PUT and not the second, whether or not the
        // GET drew its faults before this change.
        fixture.sandbox.setFaults({ latencyMs: 1_000, seed: 15, commitThenFailRate: 0.5 });

        const result: SyncReport = await handle.result();
        fixture.sandbox.setFaults({ latencyMs: 0 });
        expect(result.failures).toEqual([]);
        expect(result.counts).toMatchObject({ created: chain.length, failed: 0 });
        const stored = fixture.sandbox.users().find((user) => user.id === created.id) as ScimUser & Record<string, unknown>;
        // The deferred reference is written...
        expect(stored[PEAKON_USER_SCHEMA]?.Manager).toBe(manager.work_email);
        // ...and nothing the create body did not carry is cleared.
        expect({ timezone: stored.timezone, title: stored.title, businessUnit: stored[PEAKON_USER_SCHEMA]?.['Business Unit'] }).toEqual({ timezone: 'Europe/Copenhagen', title: 'Set by Peakon', businessUnit: 'BU North' });
        expect(stored[PEAKON_USER_SCHEMA]).toMatchObject({ Team: report.team, Department: report.department });

        // Phase 2 for that user: each attempt a GET of it, then the PUT; every request counted in the run's operations,
        // the failed attempt's two included (its heartbeat carries them to the retry).
        const path = `/Users/${created.id}`;
        const phaseTwo = fixture.sandbox.ops().filter((op) => op.path.endsWith(path) && op.method !== 'POST');
        expect(phaseTwo.map((op) => [op.method, op.status])).toEqual([
          ['GET', 200],
          ['PUT', expect.any(Number)],
          ['GET', 200],
          ['PUT', 200],
        ]);
        expect(phaseTwo[1]?.status).toBeGreaterThanOrEqual(500);
        expect(result.operations).toBe(fixture.sandbox.ops().length);
      })(),
    );
  });

  it('gives its two requests the time of two: a slow Peakon does not time every attempt out after its PUT landed', async () => {
    const fixture = await pipeline.fixture({ slowAnswers: true });
    fixture.config.sync = { ...fixture.config.sync, updateMethod: 'put' };
    withoutLeaverGuard(fixture);
    const chain = generateOrg(MAX_CREATE_WAVES + 1, 2).map((employee, index, all) => ({ ...employee, manager_id: index === 0 ? '' : (all[index - 1]?.employee_id ?? '') }));
    const report = chain.at(-1) as GeneratedEmployee;
    const manager = chain.at(-2) as GeneratedEmployee;
    fixture.writeEmployees(chain);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        // Each SCIM step has 3 s; every request takes 1.7 s (inside its 2 s deadline): a GET and a PUT take 3.4 s. With
        // one request's time, every attempt timed out after its PUT had been applied, and the step failed after three.
        fixture.sandbox.setFaults({ latencyMs: 1_700 });
        const handle = await fixture.startSync({ tuning: { ...TEST_TUNING, scimActivityTimeoutMs: 3_000, scimRetry: { initialIntervalMs: 50, maximumIntervalMs: 400, maximumAttempts: 3 } } });
        const result: SyncReport = await handle.result();
        fixture.sandbox.setFaults({ latencyMs: 0 });
        expect(result.failures).toEqual([]);
        expect(result.counts).toMatchObject({ created: chain.length, failed: 0 });
        const created = fixture.sandbox.users().find((user) => user.userName === report.work_email) as ScimUser;
        expect(created[PEAKON_USER_SCHEMA]?.Manager).toBe(manager.work_email);
        // One attempt: its GET and its PUT, each once.
        const phaseTwo = fixture.sandbox.ops().filter((op) => op.path.endsWith(`/Users/${created.id}`) && op.method !== 'POST');
        expect(phaseTwo.map((op) => [op.method, op.status])).toEqual([
          ['GET', 200],
          ['PUT', 200],
        ]);
        expect(result.operations).toBe(fixture.sandbox.ops().length);
      })(),
    );
  });
});
