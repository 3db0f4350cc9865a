import { mkdirSync, mkdtempSync, promises as fsPromises, realpathSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../config/load';
import { CsvSourceConfigSchema } from '../../hris/config';
import { createCsvSource } from '../../hris/csv';
import { readAllRecords, SourceReadError, type HrisRecord } from '../../hris/source';

/**
 * An export delivered as the README recommends (a temporary file renamed over source.path), deleted and written again,
 * or archived to a folder outside the data directories before the new one is moved in, can land between the open and
 * the source's check that the file it holds is the one it checked (test/hris/csv-symlink-race.test.ts). That is no
 * tampering: the read fails as a file changed while it is read does (a SourceReadError, which the plan retries), not as
 * a config error that fails the run for good blaming a link. Nothing of either file is read.
 *
 * The open spy only stages the timing: it moves the files right after the real open returns, as a delivery landing in
 * that gap would. The files, the moves and the read are real.
 */

const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'peakon-csv-replaced-at-open-')));
const data = path.join(root, 'data');
const archive = path.join(root, 'archive');
mkdirSync(data);
mkdirSync(archive);
const env: NodeJS.ProcessEnv = { ...process.env, PEAKON_SYNC_DATA_DIR: data, PEAKON_SYNC_STATE_DIR: path.join(data, 'state') };
let fileCount = 0;

const OLD = 'id,email,first,last\nE1,ada@example.com,Ada,Lovelace\n';
const NEW = 'id,email,first,last\nE2,grace@example.com,Grace,Hopper\n';

function exportFile(): string {
  const file = path.join(data, `export-${fileCount++}.csv`);
  writeFileSync(file, OLD);
  return file;
}

/** Reads `file` with `move` run once, right after the source opens it. */
async function readWithMoveAtOpen(file: string, move: () => void): Promise<{ outcome: HrisRecord[] | unknown; moved: boolean }> {
  const open = fsPromises.open.bind(fsPromises);
  let moved = false;
  const spy = jest.spyOn(fsPromises, 'open').mockImplementation((async (...args: Parameters<typeof open>) => {
    const handle = await open(...args);
    if (!moved && String(args[0]) === file) {
      moved = true;
      move();
    }
    return handle;
  }) as typeof fsPromises.open);
  try {
    const outcome = await readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file }), env)).then(
      (records) => records,
      (error: unknown) => error,
    );
    return { outcome, moved };
  } finally {
    spy.mockRestore();
  }
}

/** Where there is no /proc (macOS): the source looks at the checked path again instead. */
async function withoutProc<T>(run: () => Promise<T>): Promise<T> {
  const readlink = fsPromises.readlink.bind(fsPromises);
  const noProc = jest.spyOn(fsPromises, 'readlink').mockImplementation(((target: Parameters<typeof readlink>[0], options?: Parameters<typeof readlink>[1]) =>
    String(target).startsWith('/proc/') ? Promise.reject(Object.assign(new Error(`ENOENT: ${String(target)}`), { code: 'ENOENT' })) : readlink(target, options)) as typeof fsPromises.readlink);
  try {
    return await run();
  } finally {
    noProc.mockRestore();
  }
}

/** A new export written next to `file` and renamed over it. */
function renameOver(file: string): () => void {
  return () => {
    const temporary = `${file}.tmp`;
    writeFileSync(temporary, NEW);
    renameSync(temporary, file);
  };
}

function expectRetryable({ outcome, moved }: { outcome: unknown; moved: boolean }, file: string): void {
  expect(moved).toBe(true);
  expect(outcome).not.toBeInstanceOf(ConfigError);
  expect(outcome).toBeInstanceOf(SourceReadError);
  expect((outcome as Error).message).toMatch(new RegExp(`^csv:${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be read: the HR file was (moved or )?(removed or )?replaced`));
  expect((outcome as Error).message).not.toMatch(/link/);
}

describe('CSV source: an export moved or replaced just as it is opened', () => {
  it('fails the read, to be retried, when a new export is renamed over it', async () => {
    const file = exportFile();
    expectRetryable(await readWithMoveAtOpen(file, renameOver(file)), file);
    // The retry reads the new export.
    await expect(readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file }), env))).resolves.toEqual([
      { id: 'E2', email: 'grace@example.com', first: 'Grace', last: 'Hopper' },
    ]);
  });

  (process.platform === 'linux' ? it : it.skip)('fails the read, to be retried, when the old export is archived outside the data directories and a new one moved in', async () => {
    const file = exportFile();
    const result = await readWithMoveAtOpen(file, () => {
      renameSync(file, path.join(archive, `${path.basename(file)}.${fileCount++}`));
      const incoming = path.join(data, `incoming-${fileCount++}.csv`);
      writeFileSync(incoming, NEW);
      renameSync(incoming, file);
    });
    expectRetryable(result, file);
  });

  (process.platform === 'linux' ? it : it.skip)('fails the read, to be retried, when the old export is archived outside and the new one is not there yet', async () => {
    const file = exportFile();
    expectRetryable(await readWithMoveAtOpen(file, () => renameSync(file, path.join(archive, `${path.basename(file)}.${fileCount++}`))), file);
  });

  it('without /proc, fails the read, to be retried, when a new export is renamed over it', async () => {
    const file = exportFile();
    expectRetryable(await withoutProc(() => readWithMoveAtOpen(file, renameOver(file))), file);
  });

  it('without /proc, fails the read, to be retried, when the export is deleted (and not yet written again)', async () => {
    const file = exportFile();
    expectRetryable(await withoutProc(() => readWithMoveAtOpen(file, () => unlinkSync(file))), file);
  });

  it('without /proc, reads the export when nothing moves', async () => {
    const file = exportFile();
    const { outcome, moved } = await withoutProc(() => readWithMoveAtOpen(file, () => undefined));
    expect(moved).toBe(true);
    expect(outcome).toEqual([{ id: 'E1', email: 'ada@example.com', first: 'Ada', last: 'Lovelace' }]);
  });
});
