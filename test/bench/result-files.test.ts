import { chaosResultFile, FULL_CHAOS } from '../../bench/chaos';
import { mapCsvResultFile } from '../../bench/options';

/**
 * Benchmarks print figures and write them to bench/results/ (README, "Development"), one file per set of options that
 * changes the figures, so a small run never overwrites the published size's.
 */
describe('the chaos run’s result file', () => {
  const name = (changes: Partial<typeof FULL_CHAOS> = {}) => chaosResultFile({ ...FULL_CHAOS, ...changes });

  it('is written without --out, named by employees and seed', () => {
    expect(name()).toBe('bench/results/chaos-300-seed-42.json');
    expect(name({ employees: 30 })).toBe('bench/results/chaos-30-seed-42.json');
    expect(name({ seed: 7 })).toBe('bench/results/chaos-300-seed-7.json');
  });

  it('names the workers, changed share and client timeout apart when they are not the full run’s', () => {
    expect(name({ workers: 1 })).toBe('bench/results/chaos-300-seed-42-workers-1.json');
    expect(name({ changedShare: 0.5 })).toBe('bench/results/chaos-300-seed-42-changed-0.5.json');
    expect(name({ timeoutMs: 500 })).toBe('bench/results/chaos-300-seed-42-timeout-500.json');
    const variants = [name(), name({ employees: 30 }), name({ seed: 7 }), name({ workers: 1 }), name({ changedShare: 0.5 }), name({ timeoutMs: 500 })];
    expect(new Set(variants).size).toBe(variants.length);
  });
});

describe('map-csv’s result file', () => {
  it('names the row count, so a small run keeps the 50,000-row figures', () => {
    expect(mapCsvResultFile(50_000)).toBe('bench/results/map-csv-50000.json');
    expect(mapCsvResultFile(100)).toBe('bench/results/map-csv-100.json');
  });
});
