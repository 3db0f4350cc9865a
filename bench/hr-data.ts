import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Generated HR exports for benchmarks, in the columns of examples/sample-hr.csv. */
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

/** Writes `rows` employees in the sample CSV's columns: a tree eight wide, about one in forty a leaver. */
export async function writeHrCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file, 'utf8');
  out.write(`${HEADER}\n`);
  // Reports before their managers (reverse order), as exports sorted by hire date often are.
  for (let index = rows - 1; index >= 0; index -= 1) {
    if (!out.write(`${row(index)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

