import { patched } from '@temporalio/workflow';
import { partitionBySize, partitionSizesOfPhase, type PartitionSizing } from '../sync/phases';

/** Splits one batch of a phase's work (a wave, or a whole phase) into partitions. */
export type PartitionsOf = <T>(work: T[]) => T[][];

interface PartitionSettings {
  partitionSize: number;
  maxConcurrentPartitions: number;
}

/**
 * patched() marker of a run whose partition size the cap on partitions per phase raised (sync/phases.ts
 * MAX_PARTITIONS_PER_PHASE; 2026-11). Written only then, so runs the cap does not touch record nothing new, and a run
 * recorded before the cap replays with the sizes it used. See docs/versioning.md.
 */
export const PARTITIONS_PER_PHASE_CAP_PATCH = 'cap-partitions-per-phase';

/**
 * The batch's partitions, of its usual size unless the cap asks for larger ones (sync/phases.ts `partitionSizesOfPhase`:
 * no larger than needed to keep every partition slot busy, and no more than MAX_PARTITIONS_PER_PHASE per phase, so the
 * parent's history stays far below Temporal's limits). patched() only when the cap changes the size.
 */
function partitionsWith<T>(work: T[], sizing: PartitionSizing): T[][] {
  return partitionBySize(work, sizing.capped > sizing.usual && patched(PARTITIONS_PER_PHASE_CAP_PATCH) ? sizing.capped : sizing.usual);
}

/** Partitions of a phase that runs as one batch (phase 2, the leavers). */
export function partitionsOfPhase<T>(work: T[], settings: PartitionSettings): T[][] {
  const [sizing] = partitionSizesOfPhase([work.length], settings);
  return sizing ? partitionsWith(work, sizing) : [];
}

/**
 * Partitions of phase 1, wave by wave. Every wave's size is known from the plan's entries (`entries`: those with a
 * create), so the cap counts the phase's partitions over all its waves, not one wave at a time.
 */
export function phaseOnePartitions(entries: readonly { wave: number }[], waves: number, settings: PartitionSettings): (wave: number) => PartitionsOf {
  const sizes = Array.from({ length: waves }, () => 0);
  for (const entry of entries) sizes[entry.wave] = (sizes[entry.wave] ?? 0) + 1;
  const sizings = partitionSizesOfPhase(sizes, settings);
  return (wave) => (work) => {
    const sizing = sizings[wave];
    return sizing ? partitionsWith(work, sizing) : partitionsOfPhase(work, settings);
  };
}
