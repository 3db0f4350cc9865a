/**
 * The most requests any window of `windowMs` holds (times in ms, any order). Peakon counts an hour; a run shorter than
 * that cannot show a 429 whatever its bursts, so pacing is judged by its busiest short stretches against the budget.
 */
export function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  for (let start = 0, end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] ?? 0) - (sorted[start] ?? 0) >= windowMs) start += 1;
    busiest = Math.max(busiest, end - start + 1);
  }
  return busiest;
}
