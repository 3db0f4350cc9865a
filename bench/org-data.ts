import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { MAX_CREATE_WAVES } from '../sync/plan';

/**
 * Generated HR exports for the pipeline benchmark, in the columns of examples/sample-hr.csv (so
 * examples/sample-config.yaml maps them): an org tree at least `minDepth` levels deep whatever the size, rows in a
 * seeded random order (so managers are often listed after their reports, as real exports are), and one employee in
 * forty a leaver (who never reaches Peakon; their reports' Manager is left out with a warning).
 */
const HEADER = 'employee_id,first_name,last_name,work_email,employee_number,manager_id,department,team,gender,date_of_birth,locale,timezone,status,termination_date,termination_reason';
const FIRST = ['Søren', 'José', 'Zoë', 'Ingrid', 'Amara', 'Hiroshi', 'Lucía', 'Mette', 'Noah', 'Priya'];
const LAST = ['Kjær', 'García', 'Martin', 'Larsen', 'Okafor', 'Tanaka', 'Fernández', 'Nørgaard', 'Peters', 'Raman'];
const DEPARTMENTS = ['Engineering', 'Sales', 'People', 'Finance', 'Product'];
const ZONES = ['Europe/Copenhagen', 'Europe/Madrid', 'Europe/London', 'Asia/Tokyo', 'America/New_York'];

export interface OrgShape {
  employees: number;
  /** Reports per manager: employee i (0-based) reports to floor((i - 1) / branching). */
  branching: number;
  /** Levels of the tree (the CEO is level 1). */
  depth: number;
  /** Leavers (status Terminated): never created. */
  leavers: number;
}

/** The widest tree of `employees` people that is still at least `minDepth` levels deep. */
export function orgShape(employees: number, minDepth = 6): OrgShape {
  let branching = Math.max(2, Math.floor(employees ** (1 / (minDepth - 1))));
  while (branching > 2 && depthOf(employees, branching) < minDepth) branching -= 1;
  let leavers = 0;
  for (let index = 0; index < employees; index += 1) if (isLeaver(index)) leavers += 1;
  return { employees, branching, depth: depthOf(employees, branching), leavers };
}

function depthOf(employees: number, branching: number): number {
  let depth = 0;
  for (let levelStart = 0, levelSize = 1; levelStart < employees; levelStart += levelSize, levelSize *= branching) depth += 1;
  return depth;
}

const isLeaver = (index: number) => (index + 1) % 40 === 0;

/**
 * The sizes of a first load's create waves for this org, as the connector's plan makes them (sync/plan.ts createWaves):
 * a person is created one wave after their manager; someone whose manager is a leaver (never created, so their Manager
 * is left out) or who has none goes in the first. Leavers are never created.
 */
export function createWaveSizes(shape: OrgShape): number[] {
  const waveOf: number[] = [];
  const sizes: number[] = [];
  for (let index = 0; index < shape.employees; index += 1) {
    const manager = index === 0 ? undefined : Math.floor((index - 1) / shape.branching);
    const wave = manager === undefined || isLeaver(manager) ? 0 : Math.min((waveOf[manager] ?? 0) + 1, MAX_CREATE_WAVES - 1);
    waveOf.push(wave);
    if (!isLeaver(index)) sizes[wave] = (sizes[wave] ?? 0) + 1;
  }
  return Array.from(sizes, (size) => size ?? 0);
}

/** Indices of `count` active employees spread over the whole org: the ones a re-sync "with changes" changes. */
export function changedEmployees(shape: OrgShape, count: number): Set<number> {
  const changed = new Set<number>();
  if (count <= 0) return changed;
  const step = Math.max(1, Math.floor(shape.employees / count));
  for (let index = step - 1; changed.size < count && index < shape.employees * 2; index += step) {
    const candidate = index % shape.employees;
    if (!isLeaver(candidate)) changed.add(candidate);
    else if (!isLeaver((candidate + 1) % shape.employees)) changed.add((candidate + 1) % shape.employees);
  }
  return changed;
}

function row(index: number, shape: OrgShape, changed: ReadonlySet<number>): string {
  const id = index + 1;
  const manager = index === 0 ? '' : `E${Math.floor((index - 1) / shape.branching) + 1}`;
  const leaver = isLeaver(index);
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
    // A changed employee moved team: exactly one attribute differs, so the re-sync sends one PATCH for them.
    changed.has(index) ? `Team ${id % 50} (moved)` : `Team ${id % 50}`,
    ['M', 'F', 'X'][id % 3],
    `${day}/${month}/${1960 + (id % 40)}`,
    ['da', 'es', 'en-GB', 'ja', 'en-US'][id % 5],
    ZONES[id % ZONES.length],
    leaver ? 'Terminated' : 'Active',
    leaver ? `${day}/${month}/2024` : '',
    leaver ? '"Relocation, family reasons"' : '',
  ].join(',');
}

/** The same seeded order on every call, so a re-sync reads the same file order. */
function rowOrder(employees: number): number[] {
  const order = Array.from({ length: employees }, (_, index) => index);
  let seed = 20_240_601;
  for (let index = order.length - 1; index > 0; index -= 1) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    const other = seed % (index + 1);
    [order[index], order[other]] = [order[other] as number, order[index] as number];
  }
  return order;
}

/** Writes the org as CSV; `changed` employees have moved team since the base export. */
export async function writeOrgCsv(file: string, shape: OrgShape, changed: ReadonlySet<number> = new Set()): Promise<void> {
  const out = createWriteStream(file, 'utf8');
  out.write(`${HEADER}\n`);
  for (const index of rowOrder(shape.employees)) {
    if (!out.write(`${row(index, shape, changed)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Share of employees (with a manager) listed before their manager in the file. */
export function reportsBeforeManagers(shape: OrgShape): number {
  const position = new Array<number>(shape.employees);
  rowOrder(shape.employees).forEach((index, at) => (position[index] = at));
  let before = 0;
  for (let index = 1; index < shape.employees; index += 1) {
    if ((position[index] as number) < (position[Math.floor((index - 1) / shape.branching)] as number)) before += 1;
  }
  return shape.employees > 1 ? before / (shape.employees - 1) : 0;
}
