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

/**
 * README's example config (`active` maps status Active/Terminated, `scope.include` keeps only those two): one blank
 * status cell must not make a current employee a leaver. Without the scope the blank status rejects the record, and a
 * record that is read but invalid is still employed; with it, the record is a problem that says who it is (mapping/
 * scope.ts scopeVerdict), so its owned, active Peakon user is retained, not deactivated as "no longer in scope".
 *
 * The plan activity runs in the SDK's activity context, Peakon is the sandbox over real HTTP, the HR system a CSV file,
 * the ownership ledger the worker's real folder store.
 */
describe('scope: an owned user whose record\'s scope field is empty is not a leaver', () => {
  let sandbox: RunningSandbox;
  let directory: string;
  let deps: ActivityDeps;
  let caseyId: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ token: 'scope-empty-token' });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const config = (): ConnectorConfig =>
    ConnectorConfigSchema.parse({
      tenant: 'acme',
      peakon: { baseUrl: sandbox.baseUrl, token: { env: 'UNUSED' }, timeoutMs: 2000, operationsPerHour: 1_000_000 },
      source: { type: 'csv', path: path.join(directory, 'hr.csv') },
      mapping: {
        id: 'id',
        email: 'email',
        givenName: 'first',
        familyName: 'last',
        active: { field: 'status', map: { Active: true, Terminated: false } },
        scope: { include: [[{ field: 'status', in: ['Active', 'Terminated'] }]] },
      },
      // One leaver in four owned users is not what this test is about: no guard holds it.
      leavers: { action: 'deactivate', guard: { maxCount: 20, maxShare: 1 } },
    });
  const colleagues = 'id,email,first,last,status\n1,ada@example.com,Ada,Lovelace,Active\n2,bea@example.com,Bea,Arthur,Active\n3,cy@example.com,Cy,Young,Active\n';
  const writeHr = (casey: string) => writeFileSync(path.join(directory, 'hr.csv'), `${colleagues}${casey}`);
  const plan = (extra: Partial<PlanInput> = {}): Promise<PlanResult> =>
    new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 10_000 }, { logger: new DefaultLogger('ERROR') }).run(planSyncActivity(deps), { run: { tenant: 'acme', runId: 'peakon-sync/acme/2026-12-01T12:00:00Z' }, config: config(), dryRun: true, asOf: '2026-12-01', ...extra });
  const caseyEntries = (result: PlanResult) => result.entries.filter((entry) => entry.peakonUserId === caseyId).map((entry) => ({ action: entry.action, reason: entry.reason }));

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'scope-empty-'));
    sandbox.reset();
    const seeded = sandbox.seedUsers(
      [
        ['1', 'ada', 'Ada', 'Lovelace'],
        ['2', 'bea', 'Bea', 'Arthur'],
        ['3', 'cy', 'Cy', 'Young'],
        ['4', 'casey', 'Casey', 'Jones'],
      ].map(([externalId, name, given, family]) => ({ schemas: [CORE_USER_SCHEMA], externalId, userName: `${name}@example.com`, name: { givenName: given, familyName: family }, emails: [{ value: `${name}@example.com`, primary: true }], active: true })),
    );
    caseyId = seeded[3]?.id ?? '';
    deps = { reportDirectory: directory, resolveSecret: () => sandbox.token, createSource: (source) => createSourceForConfig(source, { resolveSecret: () => sandbox.token }), ownership: ledgerStoreFromEnv({ [ENCRYPTION_KEY_VARIABLE]: generateEncryptionKey() }, directory) };
    // Casey active once: a real (not dry) plan matches all four users and records them as owned.
    writeHr('4,casey@example.com,Casey,Jones,Active\n');
    await plan({ dryRun: false });
    expect((await deps.ownership?.read('acme'))?.owned.sort()).toEqual(seeded.map((user) => user.id).sort());
  }, 30_000);

  it('a blank status cell: the record is a problem naming it and the field, and Casey\'s user is not a leaver', async () => {
    writeHr('4,casey@example.com,Casey,Jones,\n');
    const result = await plan();
    expect(caseyEntries(result)).toEqual([]);
    expect(result.problems).toEqual([expect.objectContaining({ recordRef: 'row 5', employeeKey: 'casey@example.com', sourceId: '4', field: 'status', message: expect.stringContaining('cannot tell whether this record is in scope') })]);
    expect(result.leavers).toMatchObject({ planned: 0 });
  });

  it('control: a status the include rule does not keep (Contractor) takes Casey out of scope, a leaver as before', async () => {
    writeHr('4,casey@example.com,Casey,Jones,Contractor\n');
    const result = await plan();
    expect(caseyEntries(result)).toEqual([{ action: 'deactivate', reason: 'no longer in scope of the HR read' }]);
    expect(result.problems).toEqual([]);
  });
});
