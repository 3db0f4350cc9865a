import type { TenantHold } from '../scim/client';

/**
 * Until when Peakon told this worker process to stop sending a tenant's requests (a 429's Retry-After), by tenant and
 * base URL: the one record of it, for the employees' steps and the plans alike. The budget a 429 reports is the
 * tenant's, not the request's: once one request of the tenant has been told to wait, every other one that reaches this
 * process during the wait fails at once as rate limited, without sending. A step's employee workflow then waits out the
 * rest on a durable timer; a plan's attempt is retried after it (no plan slot held meanwhile). Without it, every
 * employee in flight (up to maxConcurrentPartitions × maxConcurrentEmployees) spent one more request on its own 429,
 * which Peakon counts too. Each process learns on its own first 429; nothing here is shared between workers.
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

/** The tenant's hold, for a SCIM client (the plan's): it refuses to send while held, and holds on a 429. */
export function tenantHold(tenant: string, baseUrl: string): TenantHold {
  return { heldForMs: () => tenantHeldForMs(tenant, baseUrl), holdFor: (delayMs) => holdTenant(tenant, baseUrl, delayMs) };
}
