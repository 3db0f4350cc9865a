import { mkdtempSync } from 'node:fs';
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
import { NOT_IN_HR_READ } from '../../sync/plan';
import { useTestServers } from './http-server';

/**
 * An HR API whose order is not stable across pages (ORDER BY department with LIMIT/OFFSET, ties broken differently per
 * request) serves one person twice and another never. The REST source reports the repeat as a problem of the read
 * naming no employee (hris/rest.ts), and the real plan activity must then hold the run's leaver writes for approval
 * (sync/leavers.ts unidentifiedVerdict): the person never served is planned as a leaver, but not switched off unseen.
 * Peakon is the sandbox over real HTTP, the HR system a real local REST server, the ledger the worker's folder store.
 * Offset paging, and cursor paging whose cursor is the offset underneath (many are): a cursor read is no safer.
 */

const { serve } = useTestServers();

// Ten people in two departments: four tie in Ops. Ids and emails are distinctive, so the privacy check cannot pass by luck.
const people = Array.from({ length: 10 }, (_unused, index) => ({
  id: `HR-${1001 + index}`,
  email: `ada.person${1001 + index}@example.com`,
  first: 'Ada',
  last: `Person${1001 + index}`,
  department: index < 4 ? 'Operations' : 'Sales',
}));
const [first, tied, third, skipped] = people as [(typeof people)[number], (typeof people)[number], (typeof people)[number], (typeof people)[number]];
const PAGE_SIZE = 3;

/**
 * Page 1 (offset 0) sorts the Ops ties as 1001 1002 1003 1004; every later request sorts them 1001 1003 1004 1002. So
 * offset 3 starts at 1002 again: 1002 is served on pages 1 and 2, 1004 on no page. Every page is full, the total right.
 */
function unstableOrder(offset: number): typeof people {
  return offset === 0 ? people : [first, third, skipped, tied, ...people.slice(4)];
}

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ token: 'plan-unstable-pages-token' });
});
afterAll(async () => {
  await sandbox.close();
});

/** Every person as an active Peakon user the connector owns (an earlier run created and recorded them). */
async function ownedPeakonUsers(deps: ActivityDeps): Promise<Map<string, string>> {
  sandbox.reset();
  const users = sandbox.seedUsers(
    people.map((person) => ({
      schemas: [CORE_USER_SCHEMA],
      userName: person.email,
      externalId: person.id,
      name: { givenName: person.first, familyName: person.last },
      emails: [{ value: person.email, primary: true }],
      active: true,
    })),
  );
  await deps.ownership?.record('acme', { owned: users.map((user) => user.id), deleted: [] });
  return new Map(users.map((user) => [user.userName, user.id]));
}

function depsWithLedger(): ActivityDeps {
  const directory = mkdtempSync(path.join(tmpdir(), 'plan-unstable-pages-'));
  return {
    reportDirectory: directory,
    resolveSecret: () => sandbox.token,
    createSource: (config) => createSourceForConfig(config, { resolveSecret: () => sandbox.token }),
    ownership: ledgerStoreFromEnv({ [ENCRYPTION_KEY_VARIABLE]: generateEncryptionKey() }, directory),
  };
}

/** How the HR API pages, the source settings that read it, and how the read's problem names page 2. */
interface Paging {
  name: string;
  answer: (url: URL, order: (offset: number) => typeof people) => { body: unknown };
  pagination: Record<string, unknown>;
  totalPath?: string;
  pageTwoProblem: string;
}

const PAGINGS: Paging[] = [
  {
    name: 'offset',
    answer: (url, order) => {
      const offset = Number(url.searchParams.get('offset'));
      const limit = Number(url.searchParams.get('limit'));
      return { body: { total: people.length, rows: order(offset).slice(offset, offset + limit) } };
    },
    pagination: { type: 'offset', pageSize: PAGE_SIZE },
    totalPath: 'total',
    pageTwoProblem: 'page 2 (offset=3) served 1 record(s) that an earlier page already served',
  },
  {
    name: 'cursor (an offset underneath, base64-encoded; no total announced)',
    answer: (url, order) => {
      const cursor = url.searchParams.get('after');
      const offset = cursor === null ? 0 : Number(Buffer.from(cursor, 'base64').toString('utf8'));
      const next = offset + PAGE_SIZE < people.length ? Buffer.from(String(offset + PAGE_SIZE)).toString('base64') : null;
      return { body: { rows: order(offset).slice(offset, offset + PAGE_SIZE), paging: { next } } };
    },
    pagination: { type: 'cursor', cursorParam: 'after', cursorPath: 'paging.next' },
    pageTwoProblem: 'page 2 served 1 record(s) that an earlier page already served (the first of them on page 1;',
  },
];

async function planAgainst(paging: Paging, order: (offset: number) => typeof people, deps: ActivityDeps): Promise<PlanResult> {
  const hr = await serve(({ url }) => paging.answer(url, order));
  const config = ConnectorConfigSchema.parse({
    tenant: 'acme',
    peakon: { baseUrl: sandbox.baseUrl, token: { env: 'UNUSED' }, timeoutMs: 2000, operationsPerHour: 1_000_000 },
    source: { type: 'rest', url: `${hr.origin}/api/employees`, recordsPath: 'rows', ...(paging.totalPath ? { totalPath: paging.totalPath } : {}), pagination: paging.pagination, timeoutMs: 2000 },
    mapping: { id: 'id', email: 'email', givenName: 'first', familyName: 'last' },
    leavers: { action: 'deactivate' },
  });
  const input: PlanInput = { run: { tenant: 'acme', runId: 'peakon-sync/acme/2026-11-28T10:00:00Z' }, config, asOf: '2026-11-28' };
  const environment = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 10_000 }, { logger: new DefaultLogger('ERROR') });
  return environment.run(planSyncActivity(deps), input);
}

const leaverWrites = (result: PlanResult) => result.entries.filter((entry) => entry.update?.leaver !== undefined);

describe.each(PAGINGS)('plan activity over an HR API whose order is not stable across pages, paged by $name', (paging) => {
  it('holds the leaver writes for approval: the person never served is planned as a leaver, not switched off unseen', async () => {
    const deps = depsWithLedger();
    const userIds = await ownedPeakonUsers(deps);
    const result = await planAgainst(paging, unstableOrder, deps);

    // First what the run does (a write held, not run), then why.
    // The person served twice is read once (its second copy is a blank stand-in): no problem of theirs, no leaver.
    expect(result.problems.filter((problem) => problem.employeeKey === tied.email)).toEqual([]);
    // The person never served is the one leaver, a real deactivation write…
    expect(leaverWrites(result)).toEqual([
      expect.objectContaining({ recordRef: NOT_IN_HR_READ, employeeKey: skipped.email, peakonUserId: userIds.get(skipped.email), action: 'deactivate', update: expect.objectContaining({ leaver: 'deactivate' }) }),
    ]);
    // …held for a person's approval, for the unidentified record, not for the guard's count or share (1 of 10 owned).
    expect(result.leavers).toMatchObject({ action: 'deactivate', planned: 1, held: true });
    expect(result.leavers?.heldReason).toMatch(/^1 HR record or read problem names no employee \(.*a page that served a record again.*\): any of them may be one of the 1 people no longer in the HR read/);
    expect(result.leavers?.heldReason).not.toContain(skipped.email);

    // The read's problem: page 2 served a record page 1 had, naming no employee and quoting nobody.
    const pagination = result.problems.filter((problem) => problem.field === 'pagination');
    expect(pagination).toEqual([{ recordRef: 'page 2 of the read', field: 'pagination', message: expect.stringContaining(paging.pageTwoProblem) }]);
    expect(pagination[0]).not.toHaveProperty('employeeKey');
    expect(pagination[0]).not.toHaveProperty('sourceId');
    const message = pagination[0]?.message ?? '';
    expect(message).toContain('some other record may have been skipped');
    for (const person of people) {
      for (const value of [person.id, person.email, person.last, String(userIds.get(person.email))]) expect(message).not.toContain(value);
    }
    expect(message).not.toContain('Operations');

    // Everyone read is still planned, the one served twice too: the read did not fail the run.
    expect(result.entries.filter((entry) => entry.action === 'unchanged').map((entry) => entry.employeeKey).sort()).toEqual(people.filter((person) => person !== skipped).map((person) => person.email).sort());
  }, 60_000);

  it('control: the same API with a stable order plans no leaver and holds nothing', async () => {
    const deps = depsWithLedger();
    await ownedPeakonUsers(deps);
    const result = await planAgainst(paging, () => people, deps);
    expect(result.problems).toEqual([]);
    expect(leaverWrites(result)).toEqual([]);
    expect(result.leavers).toMatchObject({ action: 'deactivate', planned: 0, held: false });
    expect(result.leavers?.heldReason).toBeUndefined();
    expect(result.entries.map((entry) => entry.action)).toEqual(people.map(() => 'unchanged'));
  }, 60_000);
});
