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
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA } from '../../scim/resources';

/**
 * README, "Leavers": a record that is read but invalid is still employed, never a leaver; under `matching.key:
 * employeeNumber` the user holding the email of a skipped create is very likely the same person. A contractor's owned
 * Peakon user (HR id 50, number X100, c@example.com) whose person is now employee 77 (number E200, the same email):
 * the valid record's create is skipped and the user kept; the same record invalid in the next run (an empty given
 * name) must keep it too, by its email (RecordProblem.emailKey → LeaverContext.retainedEmailKeys), since neither the
 * user's number nor its externalId matches anything the read retained.
 *
 * The plan activity runs in the SDK's activity context, Peakon is the sandbox over real HTTP, the HR system a CSV file,
 * the ownership ledger the worker's real folder store.
 */
describe('employee-number matching: the user holding an invalid record\'s email is not a leaver', () => {
  let sandbox: RunningSandbox;
  let directory: string;
  let deps: ActivityDeps;
  let contractorId: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ token: 'retained-email-token' });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const config = (): ConnectorConfig =>
    ConnectorConfigSchema.parse({
      tenant: 'acme',
      peakon: { baseUrl: sandbox.baseUrl, token: { env: 'UNUSED' }, timeoutMs: 2000, operationsPerHour: 1_000_000 },
      source: { type: 'csv', path: path.join(directory, 'hr.csv') },
      mapping: { id: 'id', email: 'email', givenName: 'first', familyName: 'last', employeeNumber: 'number' },
      matching: { key: 'employeeNumber' },
      // One leaver in four owned users is not what this test is about: no guard holds it.
      leavers: { action: 'deactivate', guard: { maxCount: 20, maxShare: 1 } },
    });
  const colleagues = 'id,number,email,first,last\n1,N1,ada@example.com,Ada,Lovelace\n2,N2,bea@example.com,Bea,Arthur\n3,N3,cy@example.com,Cy,Young\n';
  const writeHr = (extra: string) => writeFileSync(path.join(directory, 'hr.csv'), `${colleagues}${extra}`);
  const plan = (extra: Partial<PlanInput> = {}): Promise<PlanResult> =>
    new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 10_000 }, { logger: new DefaultLogger('ERROR') }).run(planSyncActivity(deps), { run: { tenant: 'acme', runId: 'peakon-sync/acme/2026-12-01T12:00:00Z' }, config: config(), dryRun: true, asOf: '2026-12-01', ...extra });
  const contractorEntries = (result: PlanResult) => result.entries.filter((entry) => entry.peakonUserId === contractorId).map((entry) => ({ action: entry.action, reason: entry.reason }));

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'retained-email-'));
    sandbox.reset();
    const seeded = sandbox.seedUsers(
      [
        ['1', 'N1', 'ada', 'Ada', 'Lovelace'],
        ['2', 'N2', 'bea', 'Bea', 'Arthur'],
        ['3', 'N3', 'cy', 'Cy', 'Young'],
        ['50', 'X100', 'c', 'Cas', 'Contractor'],
      ].map(([externalId, number, name, given, family]) => ({
        schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        externalId,
        userName: `${name}@example.com`,
        name: { givenName: given, familyName: family },
        emails: [{ value: `${name}@example.com`, primary: true }],
        active: true,
        [ENTERPRISE_USER_SCHEMA]: { employeeNumber: number },
      })),
    );
    contractorId = seeded[3]?.id ?? '';
    deps = { reportDirectory: directory, resolveSecret: () => sandbox.token, createSource: (source) => createSourceForConfig(source, { resolveSecret: () => sandbox.token }), ownership: ledgerStoreFromEnv({ [ENCRYPTION_KEY_VARIABLE]: generateEncryptionKey() }, directory) };
    // The contractor's own record once: a real (not dry) plan matches all four users and records them as owned.
    writeHr('50,X100,c@example.com,Cas,Contractor\n');
    await plan({ dryRun: false });
    expect((await deps.ownership?.read('acme'))?.owned.sort()).toEqual(seeded.map((user) => user.id).sort());
  }, 30_000);

  it('valid: the create of employee 77 is skipped (the email is held) and the contractor\'s user is kept', async () => {
    writeHr('77,E200,c@example.com,Cas,Contractor\n');
    const result = await plan();
    expect(result.entries.find((entry) => entry.recordRef === 'row 5')).toMatchObject({ action: 'skip', reason: expect.stringContaining('the email is held by Peakon user') });
    expect(contractorEntries(result)).toEqual([]);
    expect(result.leavers).toMatchObject({ planned: 0 });
  });

  it('invalid (an empty given name): the record is rejected, and the contractor\'s user is still not a leaver', async () => {
    writeHr('77,E200,c@example.com,,Contractor\n');
    const result = await plan();
    expect(contractorEntries(result)).toEqual([]);
    expect(result.problems).toEqual([expect.objectContaining({ recordRef: 'row 5', employeeKey: 'E200', sourceId: '77', emailKey: 'c@example.com', field: 'givenName' })]);
    expect(result.leavers).toMatchObject({ planned: 0 });
  });

  it('control: the record gone from the read, the contractor\'s user is a leaver as before', async () => {
    writeHr('');
    const result = await plan();
    expect(contractorEntries(result)).toEqual([{ action: 'deactivate', reason: 'no longer in scope of the HR read' }]);
  });
});
