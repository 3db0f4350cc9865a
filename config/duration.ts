/** Durations as people write them in flags and config files: `500ms`, `90s`, `30m`, `24h`, `2d`. */
export const DURATION_PATTERN = /^\s*(\d+)\s*(ms|s|m|h|d)\s*$/;

/** Milliseconds per unit of DURATION_PATTERN (and of Temporal's Go durations, which add smaller ones: client/schedules/options.ts). */
export const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds, or undefined when `text` is not a number and a unit. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  const unitMs = match?.[2] === undefined ? undefined : UNIT_MS[match[2]];
  return match?.[1] === undefined || unitMs === undefined ? undefined : Number(match[1]) * unitMs;
}

/** 7_200_000 → `2h`, 5_400_000 → `1h30m`, 2_500 → `2.5s`: a duration as `parseDurationMs` reads it back. */
export function formatDuration(milliseconds: number): string {
  if (milliseconds < 1_000) return `${milliseconds}ms`;
  const parts: string[] = [];
  let rest = milliseconds;
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  if (rest > 0) parts.push(`${Number((rest / 1_000).toFixed(3))}s`);
  return parts.join('');
}
