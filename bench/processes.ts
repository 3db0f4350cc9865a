import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

// What the benchmarks read about processes from /proc (Linux): memory, CPU time, and the dev server among our children.

export function procStatusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Descendants of this process whose command name is `name` (the dev server is spawned by the SDK's core). */
export function findDescendants(name: string): number[] {
  const parentOf = new Map<number, number>();
  const commOf = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      commOf.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
      parentOf.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  for (const [pid, comm] of commOf) {
    if (comm !== name) continue;
    for (let cursor = parentOf.get(pid); cursor !== undefined && cursor > 1; cursor = parentOf.get(cursor)) {
      if (cursor === process.pid) {
        found.push(pid);
        break;
      }
    }
  }
  return found;
}

export function cpuSecondsOf(pid: number): number {
  // utime + stime (fields 14 and 15 of /proc/<pid>/stat), in clock ticks of 1/100 s.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Resets a process's VmHWM to its current RSS (writing 5 to /proc/<pid>/clear_refs, Linux ≥ 4.0), so the next VmHWM
 * read is the peak since now. False when the kernel or permissions refuse it: the caller falls back to sampling.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
