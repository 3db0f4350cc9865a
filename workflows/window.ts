/**
 * Runs `start` for each item with at most `width` in flight (a sliding window). Deterministic in workflow code: it only
 * awaits promises Temporal resolves in history order. Stops starting new items once `shouldStop()` is true.
 */
export async function slidingWindow<T>(items: readonly T[], width: number, start: (item: T) => Promise<void>, shouldStop: () => boolean = () => false): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (const item of items) {
    if (shouldStop()) break;
    const running: Promise<void> = start(item).finally(() => inFlight.delete(running));
    inFlight.add(running);
    if (inFlight.size >= width) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}
