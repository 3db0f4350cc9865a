/**
 * In-process pacing of SCIM operations. Peakon allows 25,000 operations per hour per tenant and asks integrations to
 * throttle themselves; a 429 storm costs more than waiting. One pacer per worker process (or per tenant in a process)
 * spaces requests evenly with a small burst allowance. It does not coordinate across processes: the connector uses it
 * only for a plan's reads (activities/deps.ts pacerFor), at the tenant's whole budget, because one run's plan reads
 * before any write of that run; writes are paced across every worker by the tenant's task queue
 * (worker/tenant-queues.ts). A dry run's plan beside a real run reads on top of the budget (the README says so).
 *
 * Implemented as GCRA (the "virtual scheduling" form of a token bucket): each caller synchronously reserves the next
 * free slot, so concurrent callers are spaced out instead of all waking at the same instant.
 */

import { realSleep } from '../net/sleep';

export interface OperationPacer {
  /** Resolves when one more operation may be sent; rejects with the signal's reason if it aborts first. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** After a 429: nobody in this process sends before `delayMs` has passed (bursts are not replayed afterwards). */
  holdFor(delayMs: number): void;
}

export interface PacerClock {
  now(): number;
  /** May end early once `signal` aborts (acquire checks it afterwards). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface OperationPacerOptions {
  operationsPerHour: number;
  /** Operations that may go out back-to-back after an idle period. Default DEFAULT_PACER_BURST. */
  burst?: number;
  clock?: PacerClock;
}

const MS_PER_HOUR = 3_600_000;

/** Operations that go out back-to-back after an idle period unless a pacer is told otherwise. */
export const DEFAULT_PACER_BURST = 5;

export const systemClock: PacerClock = {
  now: () => Date.now(),
  sleep: realSleep,
};

export function createOperationPacer(options: OperationPacerOptions): OperationPacer {
  const { operationsPerHour, burst = DEFAULT_PACER_BURST, clock = systemClock } = options;
  if (!Number.isFinite(operationsPerHour) || operationsPerHour <= 0) {
    throw new Error(`operationsPerHour must be a positive number, got ${operationsPerHour}`);
  }
  if (!Number.isInteger(burst) || burst < 1) throw new Error(`burst must be an integer ≥ 1, got ${burst}`);

  const intervalMs = MS_PER_HOUR / operationsPerHour;
  const burstToleranceMs = (burst - 1) * intervalMs;
  // Theoretical arrival time of the next operation if traffic were perfectly even.
  let theoreticalArrivalMs = Number.NEGATIVE_INFINITY;

  return {
    async acquire(signal) {
      signal?.throwIfAborted();
      const now = clock.now();
      const arrival = Math.max(theoreticalArrivalMs, now);
      const sendAt = Math.max(now, arrival - burstToleranceMs);
      theoreticalArrivalMs = arrival + intervalMs;
      // An aborted wait keeps its reserved slot: it spends no operation, but freeing a GCRA slot mid-queue is not worth it.
      if (sendAt > now) await clock.sleep(sendAt - now, signal);
      signal?.throwIfAborted();
    },
    holdFor(delayMs) {
      if (!(delayMs > 0)) return;
      theoreticalArrivalMs = Math.max(theoreticalArrivalMs, clock.now() + delayMs + burstToleranceMs);
    },
  };
}
