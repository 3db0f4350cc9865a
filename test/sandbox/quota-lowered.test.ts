import { startSandbox, type RunningSandbox } from '../../sandbox';
import { scim, TOKEN } from './helpers';

/**
 * Only Date is faked (the hour's window reads Date.now); timers and I/O stay real, so the requests are real HTTP.
 * After the limit is lowered below what the window holds, Retry-After must reach the moment a request gets through:
 * when request number (used - limit + 1) of the window has left it, not merely the oldest.
 */
describe('sandbox hourly budget lowered below what the window holds', () => {
  const MINUTE = 60_000;
  const T0 = Date.parse('2025-03-03T09:00:00Z');
  let sandbox: RunningSandbox | undefined;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'queueMicrotask', 'hrtime', 'performance'] });
    jest.setSystemTime(T0);
  });
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
    jest.useRealTimers();
  });

  it('answers Retry-After until enough requests left the window, and the retry then gets through', async () => {
    const running = await startSandbox({ token: TOKEN, quotaPerHour: 5 });
    sandbox = running;
    const get = () => scim(running, 'GET', '/ServiceProviderConfig');
    expect((await get()).status).toBe(200); // request 1 at T0
    jest.setSystemTime(T0 + 10 * MINUTE);
    for (let request = 2; request <= 4; request += 1) expect((await get()).status).toBe(200); // requests 2-4 at T0+10 min
    running.setQuotaPerHour(2);

    jest.setSystemTime(T0 + 20 * MINUTE);
    const limited = await get();
    expect(limited.status).toBe(429);
    // 4 held, limit 2: requests 1, 2 and 3 must leave; request 3 leaves at T0+70 min, 50 minutes from now.
    expect(Number(limited.headers.get('retry-after'))).toBe(50 * 60);

    // Only the oldest gone (T0+60 min): still 3 held, still limited.
    jest.setSystemTime(T0 + 60 * MINUTE + 1_000);
    expect((await get()).status).toBe(429);
    // When Retry-After said: through.
    jest.setSystemTime(T0 + 20 * MINUTE + Number(limited.headers.get('retry-after')) * 1000);
    expect((await get()).status).toBe(200);
  });
});
