import { startSandbox, type RunningSandbox } from '../../sandbox';
import { createScimClient, type ScimClient } from '../../scim/client';
import { ScimTransientError } from '../../scim/errors';
import { CORE_USER_SCHEMA } from '../../scim/resources';

/**
 * A listing's pages retried in place (scim/client.ts IterateUserPagesOptions.retryPages), over real HTTP against the
 * sandbox's seeded faults (500/503, not applied): the plan's listing of a large tenant survives the odd failed page
 * instead of starting over from the HR read, and gives up, naming the failure, when a page keeps failing.
 */
const TOKEN = 'sandbox-token-list-retry';

describe('a listing whose pages fail now and then', () => {
  let sandbox: RunningSandbox;
  const users = 300;
  const pageSize = 20;
  /** Short delays: the policy's shape, not its seconds, is under test. */
  const clientWith = (extra: { onWait?: () => void } = {}): ScimClient => createScimClient({ baseUrl: sandbox.baseUrl, token: TOKEN, timeoutMs: 5000, pageSize, listPageRetry: { attempts: 5, baseDelayMs: 5, maxDelayMs: 50 }, waitTickMs: 1, ...extra });
  const list = async (client: ScimClient, retryPages: boolean): Promise<number> => {
    let listed = 0;
    for await (const page of client.iterateUserPages(undefined, { retryPages })) listed += page.length;
    return listed;
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, port: 0 });
    const seeding = createScimClient({ baseUrl: sandbox.baseUrl, token: TOKEN, timeoutMs: 5000 });
    for (let index = 0; index < users; index += 1) {
      const email = `person${index}@example.com`;
      await seeding.createUser({ schemas: [CORE_USER_SCHEMA], userName: email, emails: [{ value: email, primary: true }], name: { givenName: 'P', familyName: String(index) }, active: true });
    }
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('retries a failed page in place: every user listed once, each retry counted as the operation it is', async () => {
    // 15 pages at a fault rate of 20%: without retries the listing fails (the next test shows it for this seed).
    sandbox.setFaults({ seed: 7, faultRate: 0.2 });
    const before = sandbox.ops().length;
    let waits = 0;
    const client = clientWith({ onWait: () => (waits += 1) });
    await expect(list(client, true)).resolves.toBe(users);
    const sent = sandbox.ops().length - before;
    expect(sent).toBeGreaterThan(users / pageSize);
    expect(client.totalOperations()).toBe(sent);
    // The wait between tries is told (the plan heartbeats then).
    expect(waits).toBeGreaterThan(0);
  });

  it('without retryPages (an employee step: one request per attempt) the first failed page fails the listing', async () => {
    sandbox.setFaults({ seed: 7, faultRate: 0.2 });
    await expect(list(clientWith(), false)).rejects.toBeInstanceOf(ScimTransientError);
  });

  it('a page that keeps failing fails the listing after the policy\'s attempts, not later', async () => {
    sandbox.setFaults({ faultRate: 1 });
    const before = sandbox.ops().length;
    await expect(list(clientWith(), true)).rejects.toBeInstanceOf(ScimTransientError);
    expect(sandbox.ops().length - before).toBe(5);
  });
});
