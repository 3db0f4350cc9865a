/**
 * Until when Peakon told this worker process to stop sending a tenant's requests (a 429's Retry-After), by tenant and
 * base URL. The budget a 429 reports is the tenant's, not the request's: once one step of the tenant has been told to
 * wait, every other step of it that reaches this process during the wait fails at once as rate limited, without
 * sending, and its employee workflow waits out the rest on a durable timer. Without it, every employee in flight (up
 * to maxConcurrentPartitions × maxConcurrentEmployees) spent one more request on its own 429, which Peakon counts too.
 * Each process learns on its own first 429; nothing here is shared between workers.
 */
const heldUntil = new Map<string, number>();

const keyOf = (tenant: string, baseUrl: string) => `${tenant}|${baseUrl}`;

export function holdTenant(tenant: string, baseUrl: string, delayMs: number, now = Date.now()): void {
  if (!(delayMs > 0)) return;
  const key = keyOf(tenant, baseUrl);
  heldUntil.set(key, Math.max(heldUntil.get(key) ?? 0, now + delayMs));
}

/** How long the tenant's requests must still wait in this process; 0 when they may go. */
export function tenantHeldForMs(tenant: string, baseUrl: string, now = Date.now()): number {
  const key = keyOf(tenant, baseUrl);
  const until = heldUntil.get(key);
  if (until === undefined) return 0;
  if (until <= now) {
    heldUntil.delete(key);
    return 0;
  }
  return until - now;
}
