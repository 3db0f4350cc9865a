// The report sweep when the report folder holds more than reports: the worker's state folder with the payload store
// (payloads and the ownership ledger, never swept) inside it.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { LocalStorageDriver } from '../../storage/local-driver';
import { deleteOldFiles, sweepOnce } from '../../storage/retention';

const DAY_MS = 24 * 60 * 60 * 1000;

async function write(file: string, ageDays: number, content = '{}'): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
  const when = new Date(Date.now() - ageDays * DAY_MS);
  await fs.utimes(file, when, when);
  return file;
}

const exists = (file: string) => fs.access(file).then(() => true, () => false);

describe('report retention in a folder that also holds the payload store', () => {
  let state: string;
  let payloads: string;
  beforeEach(async () => {
    state = await fs.mkdtemp(path.join(os.tmpdir(), 'peakon-report-retention-'));
    payloads = path.join(state, 'payloads'); // the default store of PEAKON_SYNC_STATE_DIR=state with PEAKON_SYNC_REPORT_DIR=state
  });
  afterEach(async () => {
    await fs.rm(state, { recursive: true, force: true });
  });

  async function layout() {
    const key = 'd'.repeat(64);
    return {
      oldReport: await write(path.join(state, 'acme', 'run-1.json'), 60),
      oldNestedReport: await write(path.join(state, 'acme', '2024', 'run_0.json'), 60),
      staleReportTemp: await write(path.join(state, 'acme', 'run-2.json.0123456789abcdef.tmp'), 60),
      freshReport: await write(path.join(state, 'acme', 'run-3.json'), 1),
      ledger: await write(path.join(payloads, 'ledger', 'acme.ledger'), 60, 'ledger bytes'),
      ledgerLock: await write(path.join(payloads, 'ledger', 'acme.ledger.lock'), 60, 'token'),
      // A tenant named `ledger`: its reports are reports like any other (only the store's own ledger folder is skipped).
      ledgerTenantReport: await write(path.join(state, 'ledger', 'run-4.json'), 60),
      payload: await write(path.join(payloads, `${key}.payload`), 60, 'payload bytes'),
      payloadTemp: await write(path.join(payloads, `.tmp-${key}-1-abcdef`), 60, 'payload bytes'),
      database: await write(path.join(state, 'temporal.db'), 60, 'sqlite'),
      rootJson: await write(path.join(state, 'settings.json'), 60),
      otherFile: await write(path.join(state, 'acme', 'notes.txt'), 60, 'not a report'),
    };
  }

  it('deletes old report files only: the ledger, payloads and other files stay', async () => {
    const files = await layout();
    const deleted = await deleteOldFiles(state, new Date(Date.now() - 30 * DAY_MS));
    expect(deleted).toBe(4);
    for (const gone of [files.oldReport, files.oldNestedReport, files.staleReportTemp, files.ledgerTenantReport]) expect(await exists(gone)).toBe(false);
    for (const kept of [files.freshReport, files.ledger, files.ledgerLock, files.payload, files.payloadTemp, files.database, files.rootJson, files.otherFile]) {
      expect(await exists(kept)).toBe(true);
    }
  });

  it('a full sweep leaves payloads to the store driver and never enters the store folder or its ledger', async () => {
    const files = await layout();
    const inStore = await write(path.join(payloads, 'acme', 'run-9.json'), 60); // report-like, but inside the store
    const driver = new LocalStorageDriver({ directory: payloads });
    const result = await sweepOnce({ store: driver, reportDirectory: state, retentionDays: 30 });
    expect(result).toMatchObject({ reportsDeleted: 4, payloadsDeleted: 2 }); // the driver's payload and its temp file
    expect(await exists(files.oldReport)).toBe(false);
    expect(await exists(files.ledger)).toBe(true);
    expect(await exists(files.ledgerLock)).toBe(true);
    expect(await exists(inStore)).toBe(true);

    // Same with the store given as a config (how the worker passes it), and a payload stored now survives.
    const [claim] = await driver.store({}, [defaultPayloadConverter.toPayload('fresh')]);
    const again = await sweepOnce({ store: { kind: 'local', directory: payloads }, reportDirectory: state, retentionDays: 30 });
    expect(again).toMatchObject({ reportsDeleted: 0, payloadsDeleted: 0 });
    expect(await exists(driver.pathOf(claim?.claimData.key as string))).toBe(true);
    expect(await exists(files.ledger)).toBe(true);
    expect(await exists(inStore)).toBe(true);
  });

  it('a report folder that is the payload store itself: reports in tenant folders are swept, payloads and the ledger kept', async () => {
    const report = await write(path.join(payloads, 'acme', 'run-1.json'), 60);
    const ledger = await write(path.join(payloads, 'ledger', 'acme.ledger'), 60, 'ledger bytes');
    const payload = await write(path.join(payloads, `${'e'.repeat(64)}.payload`), 60, 'payload bytes');
    const result = await sweepOnce({ reportDirectory: payloads, retentionDays: 30 });
    expect(result.reportsDeleted).toBe(1);
    expect(await exists(report)).toBe(false);
    expect(await exists(ledger)).toBe(true);
    expect(await exists(payload)).toBe(true);
  });
});
