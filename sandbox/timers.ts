/**
 * Latency and hang faults wait on timers; close() cancels them all so a sandbox with a 30 s hang in flight still
 * stops at once (its sockets are destroyed, so the abandoned waits have nobody to answer).
 */
export class PendingTimers {
  private readonly pending = new Set<NodeJS.Timeout>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve();
      }, ms);
      this.pending.add(timer);
    });
  }

  cancelAll(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
