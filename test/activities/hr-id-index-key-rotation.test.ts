/**
 * Filter discovery's HR id index (DesiredState.readHrIds) across an encryption key rotation: the plan hashes the read's
 * HR ids with the employee-ref key of its worker's current key, and a discovery of the same run may run on a worker
 * restarted with a new current key and the old one in PEAKON_SYNC_ENCRYPTION_OLD_KEYS (the README's roll-out). It must
 * hash with the key the index names (HrIdIndexRef.keyId), or the index holds nobody and this record's identity is
 * written over another person's Peakon user. A worker without that key fails the discovery retryably, naming the key's
 * id. Real parts: the plan's own index writer, the folder payload store with the connector's codec of each worker's
 * keys, the ownership ledger, and the discovery activity over HTTP against the sandbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../../activities/deps';
import { scimStepActivities, type DiscoverInput } from '../../activities/employee';
import { FailureType } from '../../activities/failures';
import { storeReadHrIdIndex } from '../../activities/plan';
import { encryptionKeyId, generateEncryptionKey } from '../../codec/keys';
import { ledgerStoreFor } from '../../ownership/store';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { CORE_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import { planPageStoreFromEnv, UNKEYED_HR_ID_INDEX } from '../../storage/plan-pages';
import { keyCollision } from '../../sync/plan';
import type { HrIdIndexRef } from '../../sync/types';
import { employeeRefKeyFromEnv } from '../../worker/create-worker';
import { inActivity } from '../harness/in-activity';

const TOKEN = 'sandbox-token-key-rotation';
const TENANT = 'acme';

describe("filter discovery's HR id index across an encryption key rotation", () => {
  let sandbox: RunningSandbox;
  const folder = mkdtempSync(path.join(tmpdir(), 'peakon-hr-id-rotation-'));
  const oldKey = generateEncryptionKey();
  const newKey = generateEncryptionKey();
  const oldKeyId = encryptionKeyId(Buffer.from(oldKey, 'base64'));
  // The roll-out: the plan's worker still on the old key; the discovery's restarted with the new one, the old one kept.
  const beforeRotation = { PEAKON_SYNC_ENCRYPTION_KEY: oldKey };
  const rotated = { PEAKON_SYNC_ENCRYPTION_KEY: newKey, PEAKON_SYNC_ENCRYPTION_OLD_KEYS: oldKey };
  // A worker given only the new key (the old one already dropped, or never handed to it).
  const newKeyOnly = { PEAKON_SYNC_ENCRYPTION_KEY: newKey };
  const keyless = { PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS: '1' };

  /** A worker's activity deps from its env, as defaultActivityDeps builds them (keys, ledger and pages in one folder). */
  const depsOf = (env: NodeJS.ProcessEnv, directory = folder): ActivityDeps => ({
    reportDirectory: '/nonexistent',
    resolveSecret: () => TOKEN,
    createSource: () => {
      throw new Error('no HR source here');
    },
    ...employeeRefKeyFromEnv(env),
    ownership: ledgerStoreFor({ kind: 'local', directory }, env),
    planPages: planPageStoreFromEnv(env, directory),
  });

  let colleague: ScimUser;
  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, port: 0 });
  });
  beforeEach(async () => {
    sandbox.reset();
    // The colleague's user: their HR id HR-1, owned by the connector. The HR system gave their old email to HR-2.
    [colleague] = sandbox.seedUsers([{ schemas: [CORE_USER_SCHEMA], userName: 'colleague@example.com', externalId: 'HR-1', name: { givenName: 'Col', familyName: 'League' }, emails: [{ value: 'colleague@example.com', primary: true }], active: true }]) as [ScimUser];
    await depsOf(beforeRotation).ownership?.record(TENANT, { owned: [colleague.id], deleted: [] });
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** The plan's side: the read (HR-1 renamed, HR-2 the new hire with HR-1's old email) indexed on `env`'s worker. */
  async function planOn(env: NodeJS.ProcessEnv, directory = folder): Promise<HrIdIndexRef> {
    const deps = depsOf(env, directory);
    const index = await storeReadHrIdIndex(deps, deps.planPages as NonNullable<ActivityDeps['planPages']>, TENANT, [{ sourceId: 'HR-1' }, { sourceId: 'HR-2' }]);
    if (!index) throw new Error('no index stored');
    return index;
  }

  /** The new hire's discovery by key, on `env`'s worker. */
  function discoverOn(env: NodeJS.ProcessEnv, readHrIds: HrIdIndexRef, directory = folder) {
    const user = { schemas: [CORE_USER_SCHEMA], userName: 'colleague@example.com', emails: [{ value: 'colleague@example.com', primary: true }], name: { givenName: 'Newt', familyName: 'Hire' }, externalId: 'HR-2', active: true };
    const input: DiscoverInput = {
      run: { tenant: TENANT, runId: 'peakon-sync/acme/2026-11-30T10:00:00Z' },
      peakon: { baseUrl: sandbox.baseUrl, token: { env: 'PEAKON_TOKEN' }, timeoutMs: 5_000, operationsPerHour: 25_000 },
      ref: 'employee-ref',
      updateMethod: 'patch',
      matchingKey: 'email',
      userName: 'colleague@example.com',
      desired: { user, references: {}, createOnly: [], sourceId: 'HR-2', readHrIds },
      lookup: { by: 'key', spelling: 0 },
    };
    return inActivity(scimStepActivities(depsOf(env, directory)).discoverEmployee).run(input);
  }

  const heldByColleague = () => ({ operations: 1, externalId: 'HR-1', leftAlone: keyCollision({ id: colleague.id }, 'email')?.reason });

  it('names the key it was hashed with; a worker holding it only as an old key still sees the colleague and leaves their user alone', async () => {
    const index = await planOn(beforeRotation);
    expect(index.keyId).toBe(oldKeyId);
    expect(heldByColleague().leftAlone).toBeDefined();
    // The control: the plan's own key current.
    await expect(discoverOn(beforeRotation, index)).resolves.toEqual(heldByColleague());
    // After the restart with the new key current: the same answer, not an update of the colleague's user.
    await expect(discoverOn(rotated, index)).resolves.toEqual(heldByColleague());
  });

  it('a worker without the key the index names fails the discovery retryably, naming the key id, never a key', async () => {
    const index = await planOn(beforeRotation);
    const failure: unknown = await discoverOn(newKeyOnly, index).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: FailureType.Transient, nonRetryable: false });
    const { message } = failure as ApplicationFailure;
    expect(message).toContain(`encryption key ${oldKeyId}`);
    for (const key of [oldKey, newKey]) expect(message).not.toContain(key);
  });

  it('an index that names no key (stored before keyId) is checked with the current key, as before', async () => {
    const { keyId: _keyId, ...legacy } = await planOn(rotated);
    await expect(discoverOn(rotated, legacy)).resolves.toEqual(heldByColleague());
  });

  it('a keyless worker (PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS=1) stores and checks an index naming no key, as before', async () => {
    const plain = mkdtempSync(path.join(tmpdir(), 'peakon-hr-id-keyless-'));
    try {
      await depsOf(keyless, plain).ownership?.record(TENANT, { owned: [colleague.id], deleted: [] });
      const index = await planOn(keyless, plain);
      expect(index.keyId).toBe(UNKEYED_HR_ID_INDEX);
      await expect(discoverOn(keyless, index, plain)).resolves.toEqual(heldByColleague());
      // The upgrade to a key (docs/deploy.md: the key set, plain payloads still allowed): a run planned keyless whose
      // discovery runs on a worker already given the key still sees the colleague.
      await expect(discoverOn({ ...keyless, ...newKeyOnly }, index, plain)).resolves.toEqual(heldByColleague());
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });
});
