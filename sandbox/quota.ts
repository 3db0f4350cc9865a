const HOUR_MS = 60 * 60 * 1000;

export type QuotaDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Peakon's documented budget: N operations per hour per tenant. A sliding window (not a fixed clock hour) so a client
 * cannot burst 2N operations across an hour boundary, which is the behaviour a well-paced connector must survive.
 * Rejected requests do not consume budget, so a client that honours Retry-After gets through when it retries.
 */
export class HourlyOperationBudget {
  private readonly accepted: number[] = [];
  private head = 0;

  constructor(
    private limitPerHour: number,
    private readonly now: () => number = Date.now,
  ) {}

  tryConsume(): QuotaDecision {
    const now = this.now();
    while (this.head < this.accepted.length && (this.accepted[this.head] ?? now) <= now - HOUR_MS) this.head += 1;
    // Compact occasionally so a long-running sandbox does not keep an hour of timestamps twice over.
    if (this.head > 1024 && this.head * 2 > this.accepted.length) {
      this.accepted.splice(0, this.head);
      this.head = 0;
    }
    if (this.accepted.length - this.head < this.limitPerHour) {
      this.accepted.push(now);
      return { allowed: true };
    }
    // A request gets through once the window holds fewer than the limit: after `used - limit + 1` requests have left it
    // (just the oldest at the limit; more once setLimit lowered the limit below what the window holds).
    const freeing = this.accepted[this.head + this.used - this.limitPerHour] ?? now;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((freeing + HOUR_MS - now) / 1000)) };
  }

  get used(): number {
    return this.accepted.length - this.head;
  }

  reset(): void {
    this.accepted.length = 0;
    this.head = 0;
  }

  /** A new limit from now on; the requests already counted stay in the window. */
  setLimit(limitPerHour: number): void {
    this.limitPerHour = limitPerHour;
  }
}
