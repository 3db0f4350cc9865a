/**
 * Awaits `waiting`, calling `onTick` every `tickMs` meanwhile (nothing without `onTick`): the one rule for every wait of
 * a request that must not be silent, such as a request in flight, a retry's pause or a pacer's slot, so an activity
 * keeps heartbeating through it (hris/http.ts, scim/client.ts).
 */
export async function whileTicking<T>(waiting: Promise<T>, onTick: (() => void) | undefined, tickMs: number): Promise<T> {
  const ticking = onTick ? setInterval(onTick, tickMs) : undefined;
  try {
    return await waiting;
  } finally {
    clearInterval(ticking);
  }
}
