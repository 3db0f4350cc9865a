import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { planSyncActivity, type PlanInput, type PlanResult } from '../../activities/plan';
import type { ActivityDeps } from '../../activities/deps';
import { ENCRYPTION_KEY_VARIABLE, generateEncryptionKey } from '../../codec/keys';
import { ConnectorConfigSchema, type ConnectorConfig } from '../../config/schema';
import { createSourceForConfig } from '../../hris';
import { ledgerStoreFromEnv } from '../../ownership/store';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { CORE_USER_SCHEMA } from '../../scim/resources';
import type { SyncReport } from '../../sync/report';
import { generateOrg, leaves } from '../fixtures/org';
import { usePipelineTests, withoutLeaverGuard } from '../harness/pipeline';

/**
 * README, "Leavers, returners and the guard": `leavers.timeZone` is where "today" is decided for termination dates, and
 * a person is a leaver from the first run on or after their date in that zone. The run's day is computed in the plan
 * activity from the run's start time (`PlanInput.startedAt`, which workflows/sync.ts fills with the workflow's start
 * time); every other date test injects `asOf`, which skips that computation. Here nothing is injected but the start
 * time: 2026-12-01T23:30:00Z is already 2 December in Copenhagen (UTC+1 in winter) and still 1 December in UTC, so a
 * termination date of 2 December has come in the one zone and not in the other.
 *
 * The plan activity runs in the SDK's activity context (MockActivityEnvironment), Peakon is the sandbox over real HTTP,
 * the HR system a CSV file, the ownership ledger the worker's real folder store. The last test runs whole syncs on the
 * real dev server, without `asOf`, so the workflow's own start time is the one the plan converts.
 */

const STARTED_AT = '2026-12-01T23:30:00Z';

describe('leavers.timeZone decides the run\'s day from its start time', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ token: 'leavers-time-zone-token' });
  });
  afterAll(async () => {
    await sandbox.close();
  });
  let directory: string;
  let deps: ActivityDeps;
  let adaId: string;

  const configFor = (timeZone: string | undefined, discovery: 'list' | 'filter' = 'list'): ConnectorConfig =>
    ConnectorConfigSchema.parse({
      tenant: 'acme',
      peakon: { baseUrl: sandbox.baseUrl, token: { env: 'UNUSED' }, timeoutMs: 2000, operationsPerHour: 1_000_000 },
      source: { type: 'csv', path: path.join(directory, 'hr.csv') },
      mapping: { id: 'id', email: 'email', givenName: 'first', familyName: 'last' },
      sync: { discovery },
      // The guard would hold one leaver in three owned users; holding is not what this test is about.
      leavers: { action: 'deactivate', terminationDate: { field: 'termination', date: 'DD/MM/YYYY' }, guard: { maxCount: 20, maxShare: 1 }, ...(timeZone !== undefined ? { timeZone } : {}) },
    });

  const plan = (config: ConnectorConfig, extra: Partial<PlanInput> = {}): Promise<PlanResult> =>
    new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 10_000 }, { logger: new DefaultLogger('ERROR') }).run(planSyncActivity(deps), { run: { tenant: 'acme', runId: `peakon-sync/acme/${STARTED_AT}` }, config, dryRun: true, startedAt: STARTED_AT, ...extra });

  const entryOf = (result: PlanResult, email: string) => result.entries.find((entry) => entry.employeeKey === email);

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'leavers-time-zone-'));
    // Ada is in Peakon and owned; Bea is not in Peakon yet. Both leave on 2 December 2026; Cy stays.
    writeFileSync(path.join(directory, 'hr.csv'), 'id,email,first,last,termination\nE1,ada@example.com,Ada,Lovelace,02/12/2026\nE2,bea@example.com,Bea,Arthur,02/12/2026\nE3,cy@example.com,Cy,Young,\n');
    sandbox.reset();
    const seeded = sandbox.seedUsers(
      [['ada', 'Ada', 'Lovelace'], ['cy', 'Cy', 'Young']].map(([name, given, family]) => ({ schemas: [CORE_USER_SCHEMA], userName: `${name}@example.com`, name: { givenName: given, familyName: family }, emails: [{ value: `${name}@example.com`, primary: true }], active: true })),
    );
    adaId = seeded[0]?.id ?? '';
    const env = { [ENCRYPTION_KEY_VARIABLE]: generateEncryptionKey() };
    deps = { reportDirectory: directory, resolveSecret: () => sandbox.token, createSource: (config) => createSourceForConfig(config, { resolveSecret: () => sandbox.token }), ownership: ledgerStoreFromEnv(env, directory) };
    // A month earlier, a real (not dry) plan matches Ada and Cy and records them as owned.
    await plan(configFor(undefined), { dryRun: false, startedAt: '2026-11-01T12:00:00Z' });
    expect((await deps.ownership?.read('acme'))?.owned.sort()).toEqual(seeded.map((user) => user.id).sort());
  }, 30_000);

  it('whole-tenant run: in Europe/Copenhagen the date has come (Ada is a leaver); in the default UTC it has not', async () => {
    const copenhagen = await plan(configFor('Europe/Copenhagen'));
    expect(entryOf(copenhagen, 'ada@example.com')).toMatchObject({ action: 'deactivate', peakonUserId: adaId, reason: expect.stringContaining('termination date 2026-12-02 has come') });
    expect(entryOf(copenhagen, 'bea@example.com')).toMatchObject({ action: 'skip', reason: expect.stringContaining('not created') });
    expect(copenhagen.counts).toMatchObject({ create: 0, deactivate: 1 });
    expect(copenhagen.leavers).toMatchObject({ planned: 1, held: false });

    const utc = await plan(configFor(undefined));
    expect(configFor(undefined).leavers?.timeZone).toBe('UTC');
    expect(entryOf(utc, 'ada@example.com')?.action).not.toBe('deactivate');
    expect(entryOf(utc, 'bea@example.com')?.action).toBe('create');
    expect(utc.counts).toMatchObject({ create: 1, deactivate: 0 });
    expect(utc.leavers).toMatchObject({ planned: 0 });
  }, 30_000);

  it('sync --employee knows the same day: Bea is not created in Copenhagen, and is in UTC', async () => {
    const copenhagen = await plan(configFor('Europe/Copenhagen'), { employeeKey: 'bea@example.com' });
    expect(copenhagen.entries).toEqual([expect.objectContaining({ employeeKey: 'bea@example.com', action: 'skip', reason: 'termination date 2026-12-02 has come: not created' })]);
    const utc = await plan(configFor(undefined), { employeeKey: 'bea@example.com' });
    expect(utc.entries).toEqual([expect.objectContaining({ employeeKey: 'bea@example.com', action: 'create' })]);
  }, 30_000);

  it('sync.discovery: filter knows the same day: Ada and Bea are left as they are in Copenhagen, looked up in UTC', async () => {
    const copenhagen = await plan(configFor('Europe/Copenhagen', 'filter'));
    for (const email of ['ada@example.com', 'bea@example.com']) expect(entryOf(copenhagen, email)).toMatchObject({ action: 'skip', reason: expect.stringContaining('termination date 2026-12-02 has come') });
    expect(entryOf(copenhagen, 'cy@example.com')?.action).toBe('discover');
    const utc = await plan(configFor(undefined, 'filter'));
    for (const email of ['ada@example.com', 'bea@example.com', 'cy@example.com']) expect(entryOf(utc, email)?.action).toBe('discover');
  }, 30_000);
});

describe('leavers.timeZone in a whole sync: the workflow hands the plan its start time', () => {
  const pipeline = usePipelineTests();

  // Pacific/Kiritimati (UTC+14) and Etc/GMT+12 (UTC-12) are 26 hours apart, so at any moment their days differ: a
  // termination date of today in Kiritimati has come there and is still ahead at UTC-12, whenever this test runs.
  const dayIn = (timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

  it('no asOf: a termination date of today in leavers.timeZone deactivates; the same date a zone behind keeps the person', async () => {
    const fixture = await pipeline.fixture();
    withoutLeaverGuard(fixture);
    const org = generateOrg(6, 2);
    const [leaving] = leaves(org);
    if (!leaving) throw new Error('the org has no leaves');
    const [year, month, day] = dayIn('Pacific/Kiritimati').split('-');
    leaving.termination_date = `${day}/${month}/${year}`;
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        fixture.config.leavers = { ...fixture.config.leavers, timeZone: 'Etc/GMT+12' };
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts).toMatchObject({ created: 6, failed: 0 });
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts).toMatchObject({ deactivated: 0, failed: 0 });
        const leaver = () => fixture.sandbox.users().find((user) => user.userName.toLowerCase() === leaving.work_email.toLowerCase());
        expect(leaver()?.active).toBe(true);

        fixture.config.leavers = { ...fixture.config.leavers, timeZone: 'Pacific/Kiritimati' };
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts).toMatchObject({ deactivated: 1, failed: 0 });
        expect(leaver()?.active).toBe(false);
      })(),
    );
  }, 120_000);
});
