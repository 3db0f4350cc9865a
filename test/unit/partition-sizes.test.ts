import { MAX_PARTITIONS_PER_PHASE, partitionBySize, partitionSizesOfPhase, type PartitionSizing } from '../../sync/phases';
import { MAX_CREATE_WAVES } from '../../sync/plan';

const DEFAULTS = { partitionSize: 200, maxConcurrentPartitions: 2 };

/** Partitions a phase makes when every batch uses its `usual` or its `capped` size (small items: the count decides). */
function partitionsWith(batches: readonly number[], sizings: readonly PartitionSizing[], pick: keyof PartitionSizing): number {
  return batches.reduce((sum, count, index) => sum + Math.ceil(count / (sizings[index]?.[pick] ?? 1)), 0);
}

/** A deterministic pseudo-random sequence (no dependency, same cases every run). */
function* numbers(seed: number): Generator<number> {
  let state = seed;
  for (;;) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    yield state / 2_147_483_648;
  }
}

describe('partition sizes of a phase, capped at MAX_PARTITIONS_PER_PHASE partitions', () => {
  it('leaves the usual sizes when they make no more partitions than the cap: ordinary runs are untouched', () => {
    // A first load of 1,000 in seven waves, at the defaults: each wave split to fill both slots, at most 200 each.
    const waves = [1, 3, 9, 27, 81, 243, 636];
    const sizings = partitionSizesOfPhase(waves, DEFAULTS);
    expect(sizings.map((sizing) => sizing.usual)).toEqual([1, 2, 5, 14, 41, 122, 200]);
    expect(sizings.every((sizing) => sizing.capped === sizing.usual)).toBe(true);
    // A phase of one batch: 40,000 at the default partitionSize is exactly the cap.
    expect(partitionSizesOfPhase([40_000], DEFAULTS)).toEqual([{ usual: 200, capped: 200 }]);
    // partitionSize 1 is fine while the phase stays under the cap.
    expect(partitionSizesOfPhase([MAX_PARTITIONS_PER_PHASE], { partitionSize: 1, maxConcurrentPartitions: 2 })).toEqual([{ usual: 1, capped: 1 }]);
    expect(partitionSizesOfPhase([0], DEFAULTS)).toEqual([{ usual: 1, capped: 1 }]);
  });

  it('raises the size once a phase would pass the cap: 50,000 employees at partitionSize 1 make 200 partitions, not 50,000', () => {
    const settings = { partitionSize: 1, maxConcurrentPartitions: 2 };
    expect(partitionSizesOfPhase([50_000], settings)).toEqual([{ usual: 1, capped: 250 }]);
    // What the workflow hands partitionBySize (the employees' steps, a few bytes each).
    expect(partitionBySize(Array.from({ length: 50_000 }, (_unused, at) => ({ at })), 250)).toHaveLength(MAX_PARTITIONS_PER_PHASE);
    // One over the cap: two per partition, evenly.
    expect(partitionSizesOfPhase([MAX_PARTITIONS_PER_PHASE + 1], settings)).toEqual([{ usual: 1, capped: 2 }]);
    // Phase 1 counts its waves together: 16 waves of 3,125 at partitionSize 9 (5,568 usual partitions) make at most
    // the cap plus one partial partition per wave.
    const waves = Array.from({ length: MAX_CREATE_WAVES }, () => 3_125);
    const sizings = partitionSizesOfPhase(waves, { partitionSize: 9, maxConcurrentPartitions: 2 });
    expect(partitionsWith(waves, sizings, 'usual')).toBe(16 * 348);
    expect(partitionsWith(waves, sizings, 'capped')).toBeLessThanOrEqual(MAX_PARTITIONS_PER_PHASE + MAX_CREATE_WAVES);
  });

  it('keeps every phase within the cap plus one partition per batch, whatever the sizes and settings', () => {
    const random = numbers(7);
    const next = (below: number) => Math.floor((random.next().value as number) * below);
    for (let trial = 0; trial < 500; trial += 1) {
      const batches = Array.from({ length: 1 + next(MAX_CREATE_WAVES) }, () => next(next(2) === 0 ? 500 : 60_000));
      const settings = { partitionSize: 1 + next(1_000), maxConcurrentPartitions: 1 + next(100) };
      const sizings = partitionSizesOfPhase(batches, settings);
      const usual = partitionsWith(batches, sizings, 'usual');
      const capped = partitionsWith(batches, sizings, 'capped');
      expect(sizings.every((sizing) => sizing.capped >= sizing.usual)).toBe(true);
      if (usual <= MAX_PARTITIONS_PER_PHASE) expect(sizings.every((sizing) => sizing.capped === sizing.usual)).toBe(true);
      expect(capped).toBeLessThanOrEqual(MAX_PARTITIONS_PER_PHASE + batches.length);
    }
  });
});
