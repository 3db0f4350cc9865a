/**
 * Leavers someone deletes by hand in Peakon while the guard holds their deactivations: a deactivation (PATCH
 * active=false) answered 404 is done, as a DELETE answered 404 is; the user is gone, which is more than switched off.
 * Only a write that switches the user off or deletes them: an update of anyone else answered 404 still fails (NotFound).
 * A real Temporal dev server, the connector's workflows and activities, and real HTTP against the sandbox.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/deps';
import { scimStepActivities, type WriteInput } from '../../activities/employee';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { createScimClient } from '../../scim/client';
import { CORE_USER_SCHEMA, type ScimUserWrite } from '../../scim/resources';
import { peakonAttributePatch } from '../../sync/payloads';
import type { SyncReport } from '../../sync/report';
import type { EmployeeWrite } from '../../sync/types';
import { approveLeaversUpdate } from '../../workflows/sync';
import { generateOrg, leaves } from '../fixtures/org';
import { usePipelineTests, TEST_TUNING } from '../harness/pipeline';
import { progressOf } from '../harness/progress';

describe('held leavers deleted by hand in Peakon before the approval', () => {
  const pipeline = usePipelineTests();

  it('approve: each deactivation answered 404 counts as deactivated, not failed; no circuit breaker, no quarantine', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(40, 2);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        fixture.writeEmployees(org);
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(40);
        const gone = leaves(org).slice(0, 30);
        expect(gone).toHaveLength(30);
        fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)));
        // One write at a time in one partition, none retried: without the rule, 20 failures in a row trip the breaker.
        fixture.config.sync = { ...fixture.config.sync, maxConcurrentPartitions: 1, maxConcurrentEmployees: 1 };
        const handle = await fixture.startSync({ tuning: { ...TEST_TUNING, scimRetry: { initialIntervalMs: 50, maximumIntervalMs: 50, maximumAttempts: 1 } } });
        const waiting = await progressOf(handle, (progress) => progress.phase === 'awaiting approval');
        expect(waiting.awaitingApproval).toMatchObject({ leavers: 30 });

        // An admin deletes the held leavers in Peakon by hand, then approves.
        const admin = createScimClient({ baseUrl: fixture.sandbox.baseUrl, token: fixture.sandbox.token, timeoutMs: 5_000 });
        const goneEmails = new Set(gone.map((employee) => employee.work_email.toLowerCase()));
        const goneIds = fixture.sandbox.users().filter((user) => goneEmails.has(user.userName.toLowerCase())).map((user) => user.id);
        expect(goneIds).toHaveLength(30);
        for (const id of goneIds) await admin.deleteUser(id);
        const opsBefore = fixture.sandbox.ops().length;

        const decided = await handle.executeUpdate(approveLeaversUpdate);
        const report: SyncReport = await handle.result();
        expect(report.status).toBe('completed');
        expect(report.counts).toMatchObject({ deactivated: 30, failed: 0 });
        expect(decided).toMatchObject({ decision: 'approved', leavers: 30, deactivated: 30, failed: 0 });
        // One PATCH each, every one answered 404, none retried.
        const patches = fixture.sandbox.ops().slice(opsBefore).filter((op) => op.method === 'PATCH');
        expect(patches).toHaveLength(30);
        expect(new Set(patches.map((op) => op.status))).toEqual(new Set([404]));
        expect(fixture.sandbox.users()).toHaveLength(10);

        // The next run: the deleted users are not in Peakon's listing, so nothing is left to switch off.
        const writesBefore = fixture.sandbox.ops().filter((op) => op.method !== 'GET').length;
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.status).toBe('completed');
        expect(next.counts).toMatchObject({ deactivated: 0, failed: 0 });
        expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET')).toHaveLength(writesBefore);
      })(),
    );
  }, 180_000);
});

describe('a write answered 404 (the user deleted in Peakon)', () => {
  const TOKEN = 'sandbox-token-gone';
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, port: 0 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const deps: ActivityDeps = {
    reportDirectory: '/nonexistent',
    resolveSecret: () => TOKEN,
    createSource: () => {
      throw new Error('no HR source here');
    },
  };
  const user: ScimUserWrite = { schemas: [CORE_USER_SCHEMA], userName: 'ada@example.com', emails: [{ value: 'ada@example.com', primary: true }], name: { givenName: 'Ada', familyName: 'Lovelace' }, active: true };

  /** Creates a user, deletes it as an admin would, and sends `write` to its id through the write activity. */
  async function writeToDeleted(write: EmployeeWrite): Promise<unknown> {
    sandbox.reset();
    const admin = createScimClient({ baseUrl: sandbox.baseUrl, token: TOKEN, timeoutMs: 5_000 });
    const created = await admin.createUser(user);
    await admin.deleteUser(created.id);
    const input: WriteInput = {
      run: { tenant: 'acme', runId: 'peakon-sync/acme/2026-11-30T10:00:00Z' },
      peakon: { baseUrl: sandbox.baseUrl, token: { env: 'PEAKON_TOKEN' }, timeoutMs: 5_000, operationsPerHour: 25_000 },
      ref: 'employee-ref',
      peakonUserId: created.id,
      write,
    };
    const { writeEmployee } = scimStepActivities(deps);
    return new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') }).run(writeEmployee, input).then(
      (result) => result,
      (error: unknown) => error,
    );
  }

  const notFound = (outcome: unknown) => {
    expect(outcome).toBeInstanceOf(ApplicationFailure);
    expect((outcome as ApplicationFailure).type).toBe('NotFound');
  };

  it('a deactivation (PATCH active=false, with separation attributes or not) is done', async () => {
    await expect(writeToDeleted({ method: 'patch', operations: [{ op: 'replace', path: 'active', value: false }] })).resolves.toEqual({ operations: 1 });
    // leavers.action: separate (sync/leavers.ts leaverWrite).
    await expect(writeToDeleted({ method: 'patch', operations: [{ op: 'replace', path: 'active', value: false }, peakonAttributePatch('Separation date', '2026-11-30')] })).resolves.toEqual({ operations: 1 });
    // Under sync.updateMethod: put, a person the HR system marks inactive is switched off by a PUT with active=false.
    await expect(writeToDeleted({ method: 'put', body: { ...user, active: false } })).resolves.toEqual({ operations: 1 });
  });

  it('a DELETE is done, as before', async () => {
    await expect(writeToDeleted({ method: 'delete' })).resolves.toEqual({ operations: 1 });
  });

  it('an update of an employee who stays active fails NotFound, as before: PATCH or PUT', async () => {
    notFound(await writeToDeleted({ method: 'patch', operations: [{ op: 'replace', path: 'name.givenName', value: 'Augusta' }] }));
    notFound(await writeToDeleted({ method: 'put', body: { ...user, name: { givenName: 'Augusta', familyName: 'Lovelace' } } }));
    // A returner (active=true) whose user is gone is not done either.
    notFound(await writeToDeleted({ method: 'patch', operations: [{ op: 'replace', path: 'active', value: true }] }));
  });

  // A gateway or proxy that does not route the path answers with a page, not the API: that 404 says nothing about the
  // user, so it stays a failure the circuit breaker sees, never a leaver reported done while still active.
  it('a 404 page (HTML from a gateway, not an API answer) fails NotFound, a deactivation and a DELETE too', async () => {
    const gateway = createServer((_request, response) => {
      response.writeHead(404, { 'content-type': 'text/html' });
      response.end('<html><body><h1>404 Not Found</h1>nginx</body></html>');
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = gateway.address() as AddressInfo;
      const { writeEmployee } = scimStepActivities(deps);
      const send = (write: EmployeeWrite) =>
        new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') })
          .run(writeEmployee, { run: { tenant: 'acme', runId: 'peakon-sync/acme/2026-11-30T10:00:00Z' }, peakon: { baseUrl: `http://127.0.0.1:${port}/scim/v2`, token: { env: 'PEAKON_TOKEN' }, timeoutMs: 5_000, operationsPerHour: 25_000 }, ref: 'employee-ref', peakonUserId: 'u-1', write })
          .then((result) => result, (error: unknown) => error);
      notFound(await send({ method: 'patch', operations: [{ op: 'replace', path: 'active', value: false }] }));
      notFound(await send({ method: 'delete' }));
    } finally {
      await new Promise((resolve) => gateway.close(resolve));
    }
  });
});
