import { createOperationPacer, type PacerClock } from '../../scim/pacer';

/** A clock whose sleeps complete at once and advance time by exactly the requested amount. */
function fakeClock(startMs = 1_000_000): PacerClock & { sleeps: number[]; nowMs: () => number } {
  let now = startMs;
  const sleeps: number[] = [];
  return {
    sleeps,
    nowMs: () => now,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe('OperationPacer', () => {
  it('lets a burst through, then spaces operations evenly at operationsPerHour', async () => {
    const clock = fakeClock();
    const pacer = createOperationPacer({ operationsPerHour: 3600, burst: 3, clock });
    for (let i = 0; i < 6; i += 1) await pacer.acquire();
    // 3600/h = one per second after the burst of three.
    expect(clock.sleeps).toEqual([1000, 1000, 1000]);
  });

  it('never exceeds the hourly budget over a long run', async () => {
    const clock = fakeClock();
    const pacer = createOperationPacer({ operationsPerHour: 25_000, burst: 10, clock });
    const start = clock.nowMs();
    for (let i = 0; i < 25_009; i += 1) await pacer.acquire();
    // 25,009 operations = a burst of 10 plus 24,999 intervals of 144 ms: just under an hour.
    expect(clock.nowMs() - start).toBeCloseTo(24_999 * 144, 0);
    await pacer.acquire();
    expect(clock.nowMs() - start).toBeGreaterThanOrEqual(3_600_000);
  });

  it('refills the burst after an idle period', async () => {
    const clock = fakeClock();
    const pacer = createOperationPacer({ operationsPerHour: 3600, burst: 2, clock });
    await pacer.acquire();
    await pacer.acquire();
    await clock.sleep(10_000);
    clock.sleeps.length = 0;
    await pacer.acquire();
    await pacer.acquire();
    expect(clock.sleeps).toEqual([]);
  });

  it('spaces concurrent callers instead of waking them together', async () => {
    const now = 5_000;
    const requestedSleeps: number[] = [];
    // Time does not advance while the callers queue: each must reserve its own later slot.
    const clock: PacerClock = { now: () => now, sleep: async (ms) => void requestedSleeps.push(ms) };
    const pacer = createOperationPacer({ operationsPerHour: 7200, burst: 1, clock });
    await Promise.all([pacer.acquire(), pacer.acquire(), pacer.acquire(), pacer.acquire()]);
    expect(requestedSleeps).toEqual([500, 1000, 1500]);
  });

  it('holds every caller back after a 429 with Retry-After', async () => {
    const clock = fakeClock();
    const pacer = createOperationPacer({ operationsPerHour: 3600, burst: 5, clock });
    await pacer.acquire();
    pacer.holdFor(30_000);
    await pacer.acquire();
    expect(clock.sleeps).toEqual([30_000]);
    // No burst replay after the hold.
    await pacer.acquire();
    expect(clock.sleeps).toEqual([30_000, 1000]);
  });

  it('rejects nonsensical settings', () => {
    expect(() => createOperationPacer({ operationsPerHour: 0 })).toThrow(/operationsPerHour/);
    expect(() => createOperationPacer({ operationsPerHour: 100, burst: 0 })).toThrow(/burst/);
  });
});
