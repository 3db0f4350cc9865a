import { appendFileSync, mkdtempSync, renameSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/deps';
import { planSyncActivity, type PlanInput, type PlanResult } from '../../activities/plan';
import { ConnectorConfigSchema } from '../../config/schema';
import { createSourceForConfig } from '../../hris';
import { CsvSourceConfigSchema } from '../../hris/config';
import { createCsvSource } from '../../hris/csv';
import { readAllRecords, SourceReadError, type HrisRecord } from '../../hris/source';
import { startSandbox, type RunningSandbox } from '../../sandbox';

/**
 * An HR export written in place while the run reads it, cut exactly at a line end, parses as a complete file: the
 * people in its missing tail would be leavers. The CSV source compares the file it opened with what is at its path
 * once the last byte is read, across every page of the read (pageSize 1 here: one record per page), and fails the read
 * (SourceReadError, so the run stops before any write) when it changed. Real files in a temporary folder (inside the
 * worker's data directories, test/harness/global-setup.ts); the plan activity's Peakon is the sandbox.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'peakon-csv-changed-'));
let fileCount = 0;
const HEADER = 'id,email,first,last\n';
const row = (index: number) => `E${index},e${index}@example.com,Ada,Person${index}\n`;
const rows = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_unused, offset) => row(from + offset)).join('');

function csvFile(content: string): string {
  const file = path.join(dir, `export-${fileCount++}.csv`);
  writeFileSync(file, content);
  return file;
}

/** Reads the whole file one record per page, calling `afterFirstPage` once the first page is handed on. */
function readPaged(file: string, afterFirstPage: () => void = () => undefined): Promise<HrisRecord[]> {
  const source = createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file, pageSize: 1 }));
  return readAllRecords(source, { onPage: (read) => read === 1 && afterFirstPage() });
}

const CHANGED = /^csv:.* cannot be read: the HR file changed while it was read \(size, modified time\): deliver it by writing a temporary file and renaming it; nothing was written$/;

describe('CSV source: a file that changes while it is read', () => {
  it('reads an unchanged file page by page as before', async () => {
    const records = await readPaged(csvFile(HEADER + rows(1, 5)));
    expect(records.map((record) => record['id'])).toEqual(['E1', 'E2', 'E3', 'E4', 'E5']);
  });

  it('fails the read when the file grows between two page reads (an export still being written, cut at a line end)', async () => {
    const file = csvFile(HEADER + rows(1, 3));
    const failure = await readPaged(file, () => appendFileSync(file, rows(4, 6))).then(
      (records) => new Error(`expected the read to fail, it returned ${records.length} records`),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SourceReadError);
    expect((failure as Error).message).toMatch(CHANGED);
    // Never the file's contents (the file's own name, a random temporary one, may hold such letters: it is left out).
    expect((failure as Error).message.replace(file, '<file>')).not.toMatch(/E\d|example\.com|Person/);
  });

  it('fails the read when the file is rewritten in place to the same size', async () => {
    const file = csvFile(HEADER + rows(1, 3));
    const failure = await readPaged(file, () => {
      // Same length, later modified time: another export written over this one in place.
      writeFileSync(file, HEADER + rows(1, 3).replaceAll('Ada', 'Bob'));
      const later = new Date(Date.now() + 5000);
      utimesSync(file, later, later);
    }).then(
      () => new Error('expected the read to fail'),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SourceReadError);
    expect((failure as Error).message).toMatch(/the HR file changed while it was read \(modified time\): deliver it by writing a temporary file and renaming it; nothing was written$/);
  });

  it('fails the read when another file is renamed over it while it is read', async () => {
    const file = csvFile(HEADER + rows(1, 3));
    const failure = await readPaged(file, () => {
      const next = path.join(dir, `next-${fileCount++}.csv`);
      writeFileSync(next, HEADER + rows(1, 3));
      renameSync(next, file);
    }).then(
      () => new Error('expected the read to fail'),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SourceReadError);
    expect((failure as Error).message).toMatch(/the HR file was replaced while it was read \(another file is now at its path\): read it again once it is in place; nothing was written$/);
    // The file now in place, unchanged while it is read, reads whole.
    expect(await readPaged(file)).toHaveLength(3);
  });

  it('fails the read when the file is removed while it is read', async () => {
    const file = csvFile(HEADER + rows(1, 3));
    const failure = await readPaged(file, () => unlinkSync(file)).then(
      () => new Error('expected the read to fail'),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SourceReadError);
    expect((failure as Error).message).toMatch(/the HR file was removed or replaced while it was read \(ENOENT at its path once read\); nothing was written$/);
  });
});

describe('plan activity reading a CSV export that changes while it is read', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ token: 'csv-changed-token' });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const deps: ActivityDeps = {
    reportDirectory: mkdtempSync(path.join(tmpdir(), 'csv-changed-plan-')),
    resolveSecret: () => sandbox.token,
    createSource: (config) => createSourceForConfig(config, { resolveSecret: () => sandbox.token }),
  };

  function planInput(file: string): PlanInput {
    const config = ConnectorConfigSchema.parse({
      tenant: 'acme',
      peakon: { baseUrl: sandbox.baseUrl, token: { env: 'UNUSED' }, timeoutMs: 2000, operationsPerHour: 1_000_000 },
      source: { type: 'csv', path: file, pageSize: 1 },
      mapping: { id: 'id', email: 'email', givenName: 'first', familyName: 'last' },
    });
    return { run: { tenant: 'acme', runId: 'peakon-sync/acme/2026-11-28T10:00:00Z' }, config };
  }

  it('fails the plan with SourceReadFailed, before it reads Peakon, when the export grows between pages; plans it once unchanged', async () => {
    const file = csvFile(HEADER + rows(1, 3));
    const environment = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 10_000 }, { logger: new DefaultLogger('ERROR') });
    // The plan heartbeats after each page it reads: the first one is where the exporter writes more rows.
    environment.on('heartbeat', (details: { stage: string }) => {
      if (details.stage === 'reading the HR system (1 records)') appendFileSync(file, rows(4, 6));
    });
    const opsBefore = sandbox.ops().length;
    const failure = await environment.run(planSyncActivity(deps), planInput(file)).then(
      () => new Error('expected the plan to fail'),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('SourceReadFailed');
    expect((failure as ApplicationFailure).message).toMatch(CHANGED);
    // The read failed before the plan asked Peakon anything.
    expect(sandbox.ops().length).toBe(opsBefore);

    // The next attempt reads the finished export whole.
    const retried = new MockActivityEnvironment({ attempt: 2, heartbeatTimeoutMs: 10_000 }, { logger: new DefaultLogger('ERROR') });
    const result: PlanResult = await retried.run(planSyncActivity(deps), planInput(file));
    expect(result.counts).toMatchObject({ create: 6 });
  });
});
