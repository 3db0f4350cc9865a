import { mkdirSync, mkdtempSync, promises as fsPromises, realpathSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../config/load';
import { CsvSourceConfigSchema } from '../../hris/config';
import { createCsvSource } from '../../hris/csv';
import { readAllRecords, type HrisRecord } from '../../hris/source';
import type { RecordProblem } from '../../mapping/employee';

/**
 * The CSV source reads source.path only if its real path lies inside the worker's data directories (hris/data-dir.ts).
 * That check resolves the path; the file is opened a moment later. Someone who can write into a data directory can,
 * in between, rename a symlink over the checked file (or over a folder on its path) pointing at a file outside, which
 * the worker can read and they cannot: its rows would then come back as employees, or be quoted in the run's problems.
 * The source opens without following a final symlink and checks that the file it holds is the one checked (on Linux
 * the handle's own path, /proc/self/fd), refusing the read otherwise.
 *
 * The stat spy only stages the race's timing: it performs the attacker's swap at the exact moment between the check
 * and the open (the source's stat of the checked file before opening it), which a real attacker would hit by retrying.
 * The swap itself, the files and the read are real.
 */

const SECRET = 'SECRET-OUTSIDE-ROW';
const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'peakon-csv-race-')));
const data = path.join(root, 'data');
const outside = path.join(root, 'outside');
mkdirSync(data);
mkdirSync(outside);
const outsideFile = path.join(outside, 'export.csv');
writeFileSync(outsideFile, `id,email,first,last\n${SECRET},${SECRET.toLowerCase()}@outside.example,${SECRET},${SECRET}\n`);
const env: NodeJS.ProcessEnv = { ...process.env, PEAKON_SYNC_DATA_DIR: data, PEAKON_SYNC_STATE_DIR: path.join(data, 'state') };
let fileCount = 0;

function insideFile(folder = data): string {
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `export-${fileCount++}.csv`);
  writeFileSync(file, 'id,email,first,last\nE1,ada@example.com,Ada,Lovelace\n');
  return file;
}

/** Reads `file` with `swap` run once, when the source stats the checked file just before opening it. */
async function readWithSwap(file: string, swap: () => void): Promise<{ outcome: HrisRecord[] | unknown; problems: RecordProblem[]; swapped: boolean }> {
  const stat = fsPromises.stat.bind(fsPromises);
  let swapped = false;
  const spy = jest.spyOn(fsPromises, 'stat').mockImplementation(((target: Parameters<typeof stat>[0], options?: Parameters<typeof stat>[1]) => {
    if (!swapped && String(target) === file) {
      swapped = true;
      swap();
    }
    return stat(target, options);
  }) as typeof fsPromises.stat);
  const problems: RecordProblem[] = [];
  try {
    const source = createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file }), env);
    const outcome = await readAllRecords(source, { onProblem: (problem) => problems.push(problem) }).then(
      (records) => records,
      (error: unknown) => error,
    );
    return { outcome, problems, swapped };
  } finally {
    spy.mockRestore();
  }
}

function expectRefused({ outcome, problems, swapped }: { outcome: unknown; problems: RecordProblem[]; swapped: boolean }, file: string): void {
  expect(swapped).toBe(true);
  // Nothing of the outside file anywhere: not as records, not in problems, not in the error.
  expect(JSON.stringify(outcome instanceof Error ? { message: outcome.message } : outcome)).not.toContain(SECRET);
  expect(JSON.stringify(problems)).not.toContain(SECRET);
  expect(outcome).toBeInstanceOf(ConfigError);
  expect((outcome as Error).message).toBe(
    `source.path: ${file} was replaced by a link to another file after its real path was checked; the CSV source reads only a file whose real path lies inside the worker's data directories`,
  );
}

describe('CSV source: a symlink swapped in between the data-directory check and the open', () => {
  it('reads the file inside the data directory, and refuses the outside one named directly', async () => {
    const file = insideFile();
    const { outcome, swapped } = await readWithSwap(file, () => undefined);
    expect(swapped).toBe(true);
    expect(outcome).toEqual([{ id: 'E1', email: 'ada@example.com', first: 'Ada', last: 'Lovelace' }]);
    await expect(readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: outsideFile }), env))).rejects.toThrow(/is outside the worker's data directories/);
  });

  it('refuses the read when a symlink to a file outside is renamed over the checked file', async () => {
    const file = insideFile();
    const result = await readWithSwap(file, () => {
      const link = path.join(data, `link-${fileCount++}`);
      symlinkSync(outsideFile, link);
      renameSync(link, file);
    });
    expectRefused(result, file);
  });

  it('refuses the read when a folder on the checked path is swapped for a symlink to a folder outside', async () => {
    const folder = path.join(data, `hr-${fileCount++}`);
    const file = insideFile(folder);
    // The outside folder holds a file of the same name.
    writeFileSync(path.join(outside, path.basename(file)), `id,email,first,last\n${SECRET},x@outside.example,${SECRET},${SECRET}\n`);
    const result = await readWithSwap(file, () => {
      renameSync(folder, `${folder}-old`);
      symlinkSync(outside, folder);
    });
    expectRefused(result, file);
  });

  it('refuses the folder swap where there is no /proc (macOS): the checked path is looked at again once open', async () => {
    const folder = path.join(data, `hr-${fileCount++}`);
    const file = insideFile(folder);
    writeFileSync(path.join(outside, path.basename(file)), `id,email,first,last\n${SECRET},x@outside.example,${SECRET},${SECRET}\n`);
    const readlink = fsPromises.readlink.bind(fsPromises);
    const noProc = jest.spyOn(fsPromises, 'readlink').mockImplementation(((target: Parameters<typeof readlink>[0], options?: Parameters<typeof readlink>[1]) =>
      String(target).startsWith('/proc/') ? Promise.reject(Object.assign(new Error(`ENOENT: ${String(target)}`), { code: 'ENOENT' })) : readlink(target, options)) as typeof fsPromises.readlink);
    try {
      const result = await readWithSwap(file, () => {
        renameSync(folder, `${folder}-old`);
        symlinkSync(outside, folder);
      });
      expectRefused(result, file);
      // And without a swap the file is read as before.
      expect((await readWithSwap(insideFile(), () => undefined)).outcome).toEqual([{ id: 'E1', email: 'ada@example.com', first: 'Ada', last: 'Lovelace' }]);
    } finally {
      noProc.mockRestore();
    }
  });

  it("refuses the read when a folder on the checked path is swapped for a symlink into the worker's own folder", async () => {
    const folder = path.join(data, `hr-${fileCount++}`);
    const file = insideFile(folder);
    const own = path.join(data, 'state', 'reports');
    mkdirSync(own, { recursive: true });
    writeFileSync(path.join(own, path.basename(file)), `id,email,first,last\n${SECRET},x@other-tenant.example,${SECRET},${SECRET}\n`);
    const result = await readWithSwap(file, () => {
      renameSync(folder, `${folder}-old`);
      symlinkSync(own, folder);
    });
    expectRefused(result, file);
  });
});
