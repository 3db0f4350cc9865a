/** Durations as people write them in flags and config files: `500ms`, `90s`, `30m`, `24h`, `2d`. */
export const DURATION_PATTERN = /^\s*(\d+)\s*(ms|s|m|h|d)\s*$/;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds, or undefined when `text` is not a number and a unit. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  const unitMs = match?.[2] === undefined ? undefined : UNIT_MS[match[2]];
  return match?.[1] === undefined || unitMs === undefined ? undefined : Number(match[1]) * unitMs;
}
