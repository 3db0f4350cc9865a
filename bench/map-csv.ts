import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../config/load';
import { createSourceForConfig } from '../hris';
import type { HrisRecord } from '../hris/source';
import { mapEmployees } from '../mapping/map';
import { summarizeMapping } from '../mapping/summary';
import { mapCsvProblems, mapCsvResultFile } from './options';
import { orgShape, writeOrgCsv } from './org-data';

/**
 * Reads and maps a 50,000-row CSV with the example mapping (dates, value maps, Manager references).
 * Run from the repository root: `npm run build && node dist/bench/map-csv.js [rows]`; figures go to
 * bench/results/map-csv-<rows>.json, so a small run keeps the 50,000-row figures.
 */
const ROWS = Number(process.argv[2] ?? 50_000);
async function main(): Promise<void> {
  if (!Number.isInteger(ROWS) || ROWS < 1) throw new Error(`rows must be an integer ≥ 1, got ${String(process.argv[2])}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'peakon-bench-'));
  const file = path.join(dir, 'hr.csv');
  // The generated HR export lives here; CSV sources are read only inside the data directories (hris/data-dir.ts).
  process.env.PEAKON_SYNC_DATA_DIR = dir;
  try {
    await writeOrgCsv(file, orgShape(ROWS));
    const config = loadConfigFile(path.resolve('examples/sample-config.yaml'));
    if (config.source.type !== 'csv') throw new Error('the example config must read a CSV');
    const source = createSourceForConfig({ ...config, source: { ...config.source, path: file } });
    let peakHeap = process.memoryUsage().heapUsed;
    const started = performance.now();
    const records: HrisRecord[] = [];
    for await (const page of source.readPages()) {
      records.push(...page);
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }
    const readMs = performance.now() - started;
    const report = mapEmployees(records, config);
    const totalMs = performance.now() - started;
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    const summary = summarizeMapping(report);
    // Every row must map cleanly: figures of a run that dropped or rejected rows measure less work.
    const problems = mapCsvProblems(ROWS, summary);
    const result = {
      valid: problems.length === 0,
      ...(problems.length ? { invalidBecause: problems } : {}),
      rows: ROWS,
      readMs: Math.round(readMs),
      mapMs: Math.round(totalMs - readMs),
      totalMs: Math.round(totalMs),
      recordsPerSecond: Math.round(ROWS / (totalMs / 1000)),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      peakHeapUsedMb: Math.round(peakHeap / 1024 / 1024),
      employees: summary.employees,
      problems: summary.problems,
      warnings: summary.warnings,
      node: process.version,
    };
    mkdirSync('bench/results', { recursive: true });
    const resultFile = mapCsvResultFile(ROWS);
    writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\nwritten to ${resultFile}\n`);
    if (problems.length) {
      process.stderr.write(`INVALID: ${problems.join(', ')}\n`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
