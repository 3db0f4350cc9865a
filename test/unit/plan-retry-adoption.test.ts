import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { planSyncActivity, type PlanInput, type PlanResult } from '../../activities/plan';
import type { ActivityDeps } from '../../activities/deps';
import { ENCRYPTION_KEY_VARIABLE, generateEncryptionKey } from '../../codec/keys';
import { ConnectorConfigSchema } from '../../config/schema';
import { createSourceForConfig } from '../../hris';
import { ledgerStoreFromEnv } from '../../ownership/store';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { CORE_USER_SCHEMA } from '../../scim/resources';
import { planPageStoreFromEnv, type PlanPageStore } from '../../storage/plan-pages';

/**
 * The plan activity records whom it matched in the ownership ledger. An attempt that fails after that (its plan pages
 * could not be stored) is retried, and the retry reads the ledger again: it must plan as the first attempt did, so
 * a user matched for the first time is still reported `adopted`, not silently owned. Peakon is the sandbox over real
 * HTTP, the HR system a CSV file, the ledger and the pages the worker's real folder stores.
 */

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ token: 'retry-adoption-token' });
});
afterAll(async () => {
  await sandbox.close();
});

/** A page store whose first `put` fails, as a payload store down for a moment would. */
function failingOnce(pages: PlanPageStore): PlanPageStore & { failed: number } {
  const store = {
    failed: 0,
    location: pages.location,
    put: async (entries: Parameters<PlanPageStore['put']>[0], signal?: AbortSignal) => {
      if (store.failed === 0) {
        store.failed += 1;
        throw new Error('the payload store is down for a moment');
      }
      return pages.put(entries, signal);
    },
    get: (key: string, signal?: AbortSignal) => pages.get(key, signal),
  };
  return store;
}

describe('plan activity retried after a failed attempt', () => {
  it('plans as the first attempt did: a user matched for the first time is still adopted, and owned once the plan is stored', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'plan-retry-adoption-'));
    const csv = path.join(directory, 'hr.csv');
    writeFileSync(csv, 'id,email,first,last\nE1,hand@example.com,Hand,Made\nE2,new@example.com,New,Hire\n');
    sandbox.reset();
    // Made by hand in Peakon, never by the connector: the first run matching it adopts it.
    const [hand] = sandbox.seedUsers([{ schemas: [CORE_USER_SCHEMA], userName: 'hand@example.com', name: { givenName: 'Hand', familyName: 'Old' }, emails: [{ value: 'hand@example.com', primary: true }], active: true }]);
    const env = { [ENCRYPTION_KEY_VARIABLE]: generateEncryptionKey() };
    const ownership = ledgerStoreFromEnv(env, directory);
    const pages = failingOnce(planPageStoreFromEnv(env, directory));
    const deps: ActivityDeps = {
      reportDirectory: directory,
      resolveSecret: () => sandbox.token,
      createSource: (config) => createSourceForConfig(config, { resolveSecret: () => sandbox.token }),
      ownership,
      planPages: pages,
    };
    const config = ConnectorConfigSchema.parse({
      tenant: 'acme',
      peakon: { baseUrl: sandbox.baseUrl, token: { env: 'UNUSED' }, timeoutMs: 2000, operationsPerHour: 1_000_000 },
      source: { type: 'csv', path: csv },
      mapping: { id: 'id', email: 'email', givenName: 'first', familyName: 'last' },
    });
    const input: PlanInput = { run: { tenant: 'acme', runId: 'peakon-sync/acme/2026-11-28T10:00:00Z' }, config, storedPlan: true };
    const attempt = (number: number): Promise<PlanResult> => new MockActivityEnvironment({ attempt: number, heartbeatTimeoutMs: 10_000 }, { logger: new DefaultLogger('ERROR') }).run(planSyncActivity(deps), input);

    await expect(attempt(1)).rejects.toThrow(/the payload store is down/);
    expect(pages.failed).toBe(1);
    const retried: PlanResult = await attempt(2);
    expect(retried.stored?.pages.length).toBeGreaterThan(0);
    expect(retried.entries.find((entry) => entry.employeeKey === 'hand@example.com')).toMatchObject({ action: 'update', peakonUserId: hand?.id, adopted: true });
    // Owned now that the plan is stored: the next run judges it as its own.
    expect((await ownership.read('acme')).owned).toEqual([hand?.id]);
  }, 30_000);
});
