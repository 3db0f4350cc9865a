/**
 * How long an employee step waits out Peakon's 429s (workflows/employee.ts, rateLimitPatience): long enough to outlast
 * Peakon's hourly window whatever the 429s say, and in few enough waits that the employee's history stays small.
 */
import { RATE_LIMIT_PATIENCE_MS, rateLimitPatience } from '../../workflows/employee';

/** The waits a step makes when every answer is a 429 asking for `askedMs`, until its patience is spent. */
function waitsUntilGivingUp(askedMs: number): number[] {
  const waits: number[] = [];
  let waited = 0;
  for (;;) {
    const wait = rateLimitPatience(waits.length, waited, askedMs);
    if (wait === undefined) return waits;
    waits.push(wait);
    waited += wait;
    if (waits.length > 10_000) throw new Error('never gives up');
  }
}

const HOUR = 3_600_000;
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('rateLimitPatience', () => {
  it('outlasts an hour of 429s that name no wait (60 s each): the old rule gave up after 48 of them, 48 minutes', () => {
    const waits = waitsUntilGivingUp(60_000);
    expect(sum(waits)).toBeGreaterThanOrEqual(RATE_LIMIT_PATIENCE_MS);
    expect(sum(waits.slice(0, 48))).toBeGreaterThan(2 * HOUR);
    // About ten history events per wait: two days of patience stay far below Temporal's 10,240-event warning.
    expect(waits.length).toBeLessThan(250);
  });

  it("obeys Peakon's Retry-After when it asks for longer than the floor, and gives up no sooner than 48 hourly waits", () => {
    const waits = waitsUntilGivingUp(HOUR);
    expect(waits.every((wait) => wait === HOUR)).toBe(true);
    expect(waits).toHaveLength(48);
  });

  it('backs off a step told again and again to wait a second: 1, 2, 4, … s up to 15 minutes', () => {
    const waits = waitsUntilGivingUp(1_000);
    expect(waits.slice(0, 5)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(Math.max(...waits)).toBe(15 * 60_000);
    expect(waits.length).toBeLessThan(250);
  });
});
