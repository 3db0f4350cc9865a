import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../config/load';
import { createSourceForConfig } from '../hris';
import type { HrisRecord } from '../hris/source';
import { mapEmployees } from '../mapping/map';
import { summarizeMapping } from '../mapping/summary';

/**
 * Reads and maps a 50,000-row CSV with the example mapping (dates, value maps, Manager references).
 * Run from the repository root: `npm run build && node dist/bench/map-csv.js [rows]`.
 */
const ROWS = Number(process.argv[2] ?? 50_000);
const HEADER = 'employee_id,first_name,last_name,work_email,employee_number,manager_id,department,team,gender,date_of_birth,locale,timezone,status,termination_date,termination_reason';
const FIRST = ['Søren', 'José', 'Zoë', 'Ingrid', 'Amara', 'Hiroshi', 'Lucía', 'Mette', 'Noah', 'Priya'];
const LAST = ['Kjær', 'García', 'Martin', 'Larsen', 'Okafor', 'Tanaka', 'Fernández', 'Nørgaard', 'Peters', 'Raman'];
const DEPARTMENTS = ['Engineering', 'Sales', 'People', 'Finance', 'Product'];
const ZONES = ['Europe/Copenhagen', 'Europe/Madrid', 'Europe/London', 'Asia/Tokyo', 'America/New_York'];

function row(index: number): string {
  const id = index + 1;
  // A tree eight wide: employee n reports to n / 8, so the org is about six levels deep.
  const manager = id === 1 ? '' : `E${Math.floor((id - 2) / 8) + 1}`;
  const leaver = id % 40 === 0;
  const day = String((id % 28) + 1).padStart(2, '0');
  const month = String((id % 12) + 1).padStart(2, '0');
  return [
    `E${id}`,
    FIRST[id % FIRST.length],
    LAST[(id * 7) % LAST.length],
    `employee${id}@example.com`,
    String(100000 + id),
    manager,
    DEPARTMENTS[id % DEPARTMENTS.length],
    `Team ${id % 50}`,
    ['M', 'F', 'X'][id % 3],
    `${day}/${month}/${1960 + (id % 40)}`,
    ['da', 'es', 'en-GB', 'ja', 'en-US'][id % 5],
    ZONES[id % ZONES.length],
    leaver ? 'Terminated' : 'Active',
    leaver ? `${day}/${month}/2024` : '',
    leaver ? '"Relocation, family reasons"' : '',
  ].join(',');
}

async function writeCsv(file: string): Promise<void> {
  const out = createWriteStream(file, 'utf8');
  out.write(`${HEADER}\n`);
  // Reports before their managers (reverse order), as exports sorted by hire date often are.
  for (let index = ROWS - 1; index >= 0; index -= 1) {
    if (!out.write(`${row(index)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'peakon-bench-'));
  const file = path.join(dir, 'hr.csv');
  try {
    await writeCsv(file);
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
    const result = {
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
    writeFileSync('bench/results/map-csv.json', `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (summary.employees !== ROWS || summary.problems > 0) throw new Error(`expected ${ROWS} clean employees, got ${summary.employees} with ${summary.problems} problems`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
