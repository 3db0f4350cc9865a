import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ENCRYPTED_ENCODING } from '../../codec/aes-gcm-codec';
import { connectorDataConverter } from '../../codec/data-converter';
import { createStorageDriver } from '../../storage/from-env';
import { employeeRef } from '../../sync/employee-ref';
import type { SyncReport } from '../../sync/report';
import { employeeRefKeyFromEnv } from '../../worker/create-worker';
import { generateOrg, leaves, type GeneratedEmployee } from '../fixtures/org';
import { usePipelineTests, withoutLeaverGuard, type PipelineFixture } from '../harness/pipeline';
import { clientDecoder, decodeStoredFile, decoderOf, expectAbsent, filesUnder, memoFieldOf, scanHistory, scanRun, uncodedPath, type ScannedHistory } from './history-scan';

/**
 * Issue: HR data never appears in plain text in Temporal, and secrets never reach workflow history at all. These tests
 * read what Temporal stores — every history of a run, all pages, raw and fetched without the codec — and then every
 * payload in it decoded with the client's codec (which holds the key; references followed into the payload store),
 * the payload store's files (raw and decoded) and the report file.
 *
 * The raw scans look for values that do enter payloads in plain form before encryption (the tests assert each one is
 * found in the decoded payloads), so a payload that skipped the codec would fail them.
 */

// A payload store of this file's own, so "every file in the store" is exactly what these runs wrote (the run's shared
// store holds other files' payloads). Set before usePipelineTests' beforeAll makes the client.
const STORE = mkdtempSync(path.join(tmpdir(), 'peakon-sync-privacy-store-'));
const savedStore = process.env.PEAKON_SYNC_PAYLOAD_STORE;
process.env.PEAKON_SYNC_PAYLOAD_STORE = `local:${STORE}`;
afterAll(() => {
  if (savedStore === undefined) delete process.env.PEAKON_SYNC_PAYLOAD_STORE;
  else process.env.PEAKON_SYNC_PAYLOAD_STORE = savedStore;
});

/**
 * Values no other text in a history could contain by chance (the sample's "Moe" or "Sales" are 3–5 bytes: random
 * ciphertext holds such runs now and then). Every value is at least 10 characters.
 */
function distinctive(org: GeneratedEmployee[]): GeneratedEmployee[] {
  return org.map((employee, index) => ({
    ...employee,
    first_name: `Ysoldine${index}q`,
    last_name: `Wexcombe${index}z`,
    employee_number: `EMPNO${50000 + index}`,
    department: `Dept-Pemberly-${index % 5}`,
  }));
}

/** The mapped forms of one employee (as they go into SCIM bodies, plans and reports) and the raw CSV forms. */
function mappedValues(employee: GeneratedEmployee): string[] {
  const [day, month, year] = employee.date_of_birth.split('/');
  return [employee.work_email, employee.first_name, employee.last_name, employee.employee_number, employee.department, `${year}-${month}-${day}`];
}
const rawValues = (employee: GeneratedEmployee): string[] => [employee.date_of_birth];

/** Memo field names, each with the encodings its payloads had in history. */
function memoFields(histories: readonly ScannedHistory[]): Map<string, Set<string | undefined>> {
  const fields = new Map<string, Set<string | undefined>>();
  for (const history of histories) {
    for (const payload of history.payloads) {
      // `memo` of started events, `upsertedMemo` of workflowPropertiesModified (upsertMemo).
      const field = memoFieldOf(payload.path);
      if (field !== undefined) fields.set(field, (fields.get(field) ?? new Set()).add(payload.encoding));
    }
  }
  return fields;
}

async function checkStoreAndReport(fixture: PipelineFixture, report: SyncReport, personal: readonly string[]): Promise<string> {
  const decoder = clientDecoder();
  const files = filesUnder(STORE).filter(({ file }) => !file.endsWith('.lock'));
  expect(files.length).toBeGreaterThan(0);
  let decodedText = '';
  for (const { file, bytes } of files) {
    expectAbsent(file, bytes.toString('latin1'), [...personal, fixture.sandbox.token]);
    const decoded = await decodeStoredFile(bytes, decoder);
    // Payloads, plan pages and the ownership ledger: each encrypted before it was stored.
    expect({ file, encoding: decoded.encoding }).toEqual({ file, encoding: ENCRYPTED_ENCODING });
    expectAbsent(`${file} (decoded)`, decoded.text, [fixture.sandbox.token]);
    decodedText += decoded.text;
  }
  // The report file lists employees in plain text by design (0600, the operator's), but never the token.
  expect(report.reportPath).toBeDefined();
  expectAbsent(report.reportPath ?? '', readFileSync(report.reportPath ?? '', 'latin1'), [fixture.sandbox.token]);
  return decodedText;
}

function checkHistories(histories: readonly ScannedHistory[], personal: readonly string[], token: string): void {
  for (const history of histories) {
    expect(history.workflowId).not.toMatch(/@/);
    expectAbsent(`${history.workflowId} (raw)`, history.raw, [...personal, token]);
    for (const payload of history.payloads) {
      expectAbsent(`${history.workflowId} ${payload.path} (decoded)`, payload.text, [token]);
      const at = `${history.workflowId} ${payload.path}`;
      if (payload.plainReference !== undefined) {
        // A payload in the store: history keeps only the driver and the sha256 key, in plain text (the stored payload
        // itself was encrypted before it was stored, and decoded above through the reference).
        expect({ at, reference: payload.plainReference }).toEqual({ at, reference: { driverName: 'local', claimData: { key: expect.stringMatching(/^[0-9a-f]{64}$/) } } });
        expect({ at, encrypted: payload.encrypted }).toEqual({ at, encrypted: true });
      } else if (!uncodedPath(payload.path)) expect({ at, encoding: payload.encoding }).toEqual({ at, encoding: ENCRYPTED_ENCODING });
      else expectAbsent(`${history.workflowId} ${payload.path} (plain)`, payload.text, personal);
    }
  }
  // Every memo payload of every history (a start's `memo`, upsertMemo's `workflowPropertiesModified.upsertedMemo`) is
  // encrypted, though Temporal shows the memo wherever the workflow is listed: the SDK runs it through the codec.
  const memo = memoFields(histories);
  expect(memo.size).toBeGreaterThan(0);
  for (const [field, encodings] of memo) expect({ field, encodings: [...encodings] }).toEqual({ field, encodings: [ENCRYPTED_ENCODING] });
}

describe('what Temporal holds of a run', () => {
  const pipeline = usePipelineTests();

  it('holds no email, name, date of birth or attribute value in any history, ID, memo or search attribute, and no token in any payload decoded', async () => {
    // Every create lands but its answer is lost: the retried POST is answered 409 with a message naming the email, so
    // the history holds an activity failure whose message is personal data (it must be encrypted like any payload).
    const fixture = await pipeline.fixture({ sandbox: { faults: { seed: 5, commitThenFailRate: 1 } } });
    const employees = distinctive(generateOrg(60, 4));
    // One record fails validation: its failure message names the email and must be encrypted too.
    employees[5] = { ...(employees[5] as (typeof employees)[number]), date_of_birth: '31/02/1990' };
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    const handle = await fixture.startSync();
    const report: SyncReport = await workers.runUntil(handle.result());
    expect(report.counts).toMatchObject({ created: 59, failed: 1 });
    // With the codec, the result decodes to the report as usual (emails included).
    expect(report.failures[0]?.employeeKey).toBe(employees[5]?.work_email);

    const { client } = pipeline.temporal;
    const mapped = employees.filter((_, index) => index !== 5).flatMap(mappedValues);
    const personal = [...mapped, ...employees.flatMap(rawValues), ...employees.map((employee) => employee.team)];
    const histories = await scanRun(client, `peakon-sync/${fixture.config.tenant}/`);
    // The run, its lock, its partitions, and one child per employee and phase that wrote something.
    expect(histories.length).toBeGreaterThan(60);
    expect(histories.some((history) => history.workflowId === handle.workflowId)).toBe(true);
    expect(histories.some((history) => history.workflowId === `peakon-sync/${fixture.config.tenant}/lock`)).toBe(true);
    // Employee refs in IDs are keyed by the encryption key: each created employee's child carries the keyed ref, and no
    // ID carries the unkeyed one anybody could compute from a guessed email.
    const { employeeRefKey } = employeeRefKeyFromEnv();
    expect(employeeRefKey).toBeDefined();
    const ids = histories.map((history) => history.workflowId).join('\n');
    for (const employee of employees.filter((_, index) => index !== 5)) {
      expect(ids).toContain(employeeRef(employeeRefKey, fixture.config.tenant, employee.work_email));
      expect(ids).not.toContain(employeeRef(undefined, fixture.config.tenant, employee.work_email));
    }
    for (const history of histories) {
      const description = await client.workflow.getHandle(history.workflowId).describe();
      expectAbsent(`${history.workflowId} (describe)`, JSON.stringify({ memo: description.memo, searchAttributes: description.typedSearchAttributes, id: description.workflowId }), personal);
    }
    checkHistories(histories, personal, fixture.sandbox.token);

    // The decode pass reaches what the raw scan cannot: the 409s reached history as activity failures (one per
    // employee) whose encoded attributes name the email, and references were followed into the store.
    const failures = histories.flatMap((history) => history.payloads.filter((payload) => /activityTaskFailedEventAttributes\.failure.*\.encodedAttributes$/.test(payload.path)));
    expect(failures.length).toBeGreaterThanOrEqual(59);
    expect(failures.filter((failure) => employees.some((employee) => failure.text.includes(employee.work_email))).length).toBeGreaterThanOrEqual(59);
    expect(fixture.sandbox.ops().filter((op) => op.method === 'POST' && op.status === 409)).toHaveLength(59);
    expect(histories.reduce((sum, history) => sum + history.references, 0)).toBeGreaterThan(0);

    const stored = await checkStoreAndReport(fixture, report, personal);
    // Every value the raw scans look for is in the payloads before encryption: its absence above is the codec's doing.
    const decoded = histories.flatMap((history) => history.payloads.map((payload) => payload.text)).join('\n') + stored;
    expect(mapped.filter((value) => !decoded.includes(value))).toEqual([]);
  });

  it('a second sync with changes (old → new), leavers separated with a reason, and a dry run: no plain value in any history, memo encrypted', async () => {
    const fixture = await pipeline.fixture();
    withoutLeaverGuard(fixture);
    const org = distinctive(generateOrg(30, 3));
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    const { client } = pipeline.temporal;
    await workers.runUntil(
      (async () => {
        const first: SyncReport = await (await fixture.startSync()).result();
        expect(first.counts.created).toBe(30);

        // Changes: new family names, departments and dates of birth (updates carry old → new).
        const [gone, terminated, ...leafs] = leaves(org);
        if (!gone || !terminated || leafs.length < 3) throw new Error('the org has too few leaves');
        const changed = org.filter((employee) => employee !== gone && employee !== terminated).slice(0, 8);
        const next = org.map((employee) => {
          const index = changed.indexOf(employee);
          if (index >= 0) return { ...employee, last_name: `Hollowmere${index}k`, department: `Dept-Quarrying-${index}`, date_of_birth: `0${1 + index}/0${1 + index}/1951` };
          // Terminated in HR, with a reason: a leaver by its past separation date.
          if (employee === terminated) return { ...employee, status: 'Terminated', termination_date: '02/11/2026', termination_reason: 'Reason-Marigold-HR' };
          return employee;
        });
        // Gone from the HR read: a leaver, separated with the configured reason.
        const after = next.filter((employee) => employee !== gone);
        fixture.config.leavers = { ...fixture.config.leavers, action: 'separate', separation: { dateAttribute: 'Separation date', reasonAttribute: 'Separation reason', reason: 'Reason-Zinnia-Config' } };
        fixture.writeEmployees(after);

        const dryHandle = await fixture.startSync({ dryRun: true, asOf: '2026-12-03' });
        const dry: SyncReport = await dryHandle.result();
        expect(dry.dryRun).toBe(true);
        const secondHandle = await fixture.startSync({ asOf: '2026-12-03' });
        const second: SyncReport = await secondHandle.result();
        expect(second.counts.updated).toBeGreaterThanOrEqual(changed.length);
        expect(second.counts.deactivated).toBe(2);

        const oldValues = changed.flatMap((employee) => [employee.last_name, employee.department, employee.date_of_birth, mappedValues(employee)[5] as string]);
        const newValues = after.filter((employee) => !org.includes(employee)).flatMap((employee) => [...mappedValues(employee), employee.date_of_birth]);
        const reasons = ['Reason-Marigold-HR', 'Reason-Zinnia-Config'];
        const personal = [...org.flatMap(mappedValues), ...oldValues, ...newValues, ...reasons];
        const histories = await scanRun(client, `peakon-sync/${fixture.config.tenant}/`);
        // All three runs: the dry run (it plans and starts no children), the second with its update and leaver children.
        expect(histories.filter((history) => history.workflowId === dryHandle.workflowId)).toHaveLength(1);
        expect(histories.filter((history) => history.workflowId.startsWith(`${secondHandle.workflowId}/`)).length).toBeGreaterThanOrEqual(changed.length + 2);
        checkHistories(histories, personal, fixture.sandbox.token);

        // The memo fields these runs have: each encrypted in every event (checkHistories), none in plain text.
        const fields = memoFields(histories);
        expect([...fields.keys()].sort()).toEqual(expect.arrayContaining(['awaitingApproval', 'counts', 'dryRun', 'failures', 'holderRunId', 'operations', 'operationsPerHour', 'status', 'tenant']));

        await checkStoreAndReport(fixture, second, personal);
        // Old values, new values and both separation reasons are in the decoded payloads (plan changes, PATCH bodies,
        // the dry run's result): the raw scan above could have seen them.
        const decoded = histories.flatMap((history) => history.payloads.map((payload) => payload.text)).join('\n');
        const mappedOld = changed.flatMap((employee) => [employee.last_name, employee.department, mappedValues(employee)[5] as string]);
        const mappedNew = after.filter((employee) => !org.includes(employee)).flatMap(mappedValues);
        expect([...mappedOld, ...mappedNew, ...reasons].filter((value) => !decoded.includes(value))).toEqual([]);
      })(),
    );
  });

  it('the scan decodes every payload: a token in a failure\'s encoded attributes, a memo or a stored payload is found', async () => {
    // The check the run tests rely on, against a history built with the real codec and store: if the scan missed
    // failures, memo or references, a token there would pass unseen.
    const token = 'canary-token-5f1c9e';
    const [codec] = connectorDataConverter(process.env).payloadCodecs ?? [];
    if (!codec) throw new Error('no codec');
    const json = (value: unknown): Payload => ({ metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode(JSON.stringify(value)) });
    const [failure, memo, big] = (await codec.encode([json({ message: `bad token ${token}` }), json({ tenant: token }), json({ plan: token })])) as [Payload, Payload, Payload];
    const driver = createStorageDriver({ kind: 'local', directory: mkdtempSync(path.join(tmpdir(), 'peakon-sync-canary-store-')) });
    const [claim] = await driver.store({}, [big]);
    const reference: Payload = {
      metadata: { encoding: new TextEncoder().encode('json/protobuf'), messageType: new TextEncoder().encode('temporal.api.sdk.v1.ExternalStorageReference') },
      data: new TextEncoder().encode(JSON.stringify({ driverName: 'local', claimData: claim?.claimData })),
    };
    const history = temporal.api.history.v1.History.create({
      events: [
        { workflowExecutionStartedEventAttributes: { memo: { fields: { tenant: memo } } } },
        { activityTaskFailedEventAttributes: { failure: { message: 'Encoded failure', encodedAttributes: failure } } },
        { activityTaskCompletedEventAttributes: { result: { payloads: [reference] } } },
      ],
    });
    const scanned = await scanHistory('canary', history, decoderOf(codec, driver));
    // As the SDK stores a large payload: encrypted first, then stored, history keeping a plain reference to it.
    // Raw, the token is nowhere (all three are encrypted)...
    expect(scanned.raw).not.toContain(token);
    // ...decoded, it is in each.
    expect(scanned.payloads.filter((payload) => payload.text.includes(token)).map((payload) => payload.path)).toEqual([
      'events[0].workflowExecutionStartedEventAttributes.memo.fields[tenant]',
      'events[1].activityTaskFailedEventAttributes.failure.encodedAttributes',
      'events[2].activityTaskCompletedEventAttributes.result.payloads[0]',
    ]);
    expect(scanned.references).toBe(1);
    expect(scanned.payloads[2]).toMatchObject({ encrypted: true, plainReference: { driverName: 'local', claimData: claim?.claimData } });
  });
});
