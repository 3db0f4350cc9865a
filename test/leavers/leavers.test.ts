/**
 * Leavers, returners, ownership and the guard, end to end: a real Temporal dev server, the connector's workflows and
 * activities, and real HTTP against the Peakon-compatible sandbox, whose stored users are the truth checked here.
 */
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunReportFile } from '../../activities/report';
import { sendLeaverDecision } from '../../client/commands/approve';
import { exitCodeFor, EXIT_LEAVERS_HELD, formatReport } from '../../client/format-report';
import { ConnectorConfigSchema } from '../../config/schema';
import { ledgerStoreFromEnv } from '../../ownership/store';
import { defaultPayloadDirectory } from '../../worker/environment';
import { servedWithDates } from '../../sandbox/dates';
import { PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { SyncReport } from '../../sync/report';
import { approveLeaversUpdate, rejectLeaversUpdate } from '../../workflows/sync';
import { generateOrg, leaves, type GeneratedEmployee } from '../fixtures/org';
import { usePipelineTests, withoutLeaverGuard, type PipelineFixture } from '../harness/pipeline';
import { progressOf } from '../harness/progress';
import { decodedMemoFields, decodedPayloads, expectNoPlainEmails } from './no-plain-email';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const byEmail = (fixture: PipelineFixture) => new Map(fixture.sandbox.users().map((user) => [user.userName.toLowerCase(), user]));
const withoutMeta = ({ meta: _meta, ...user }: ScimUser) => user;
const writesOf = (fixture: PipelineFixture, from: number) => fixture.sandbox.ops().slice(from).filter((op) => op.method !== 'GET');
/** The run's report file (one line per employee), by employee key. */
const reportLines = (report: SyncReport) => new Map((JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile).employees.map((line) => [line.employeeKey, line]));

/** Peakon's start date (Tenure) mapped from the HR file's start_date column. */
function mapTenure(fixture: PipelineFixture, { onlyOnCreate }: { onlyOnCreate: boolean }): void {
  fixture.config.mapping = { ...fixture.config.mapping, attributes: { ...fixture.config.mapping.attributes, Tenure: { field: 'start_date', date: 'DD/MM/YYYY', matchOn: 'id', trim: true, onlyOnCreate } } };
}

/** The org with a start_date column: everyone started on 1 January 2020. */
const startedIn2020 = (org: GeneratedEmployee[]) => org.map((employee) => ({ ...employee, start_date: '01/01/2020' }) as GeneratedEmployee);

/** Five people with Tenure mapped, all started in 2020 but one hire who starts on 10 January 2027; no leaver guard. */
function withFutureHire(fixture: PipelineFixture, sync: { discovery?: 'filter' } = {}): { fixture: PipelineFixture; hire: GeneratedEmployee } {
  withoutLeaverGuard(fixture);
  if (sync.discovery) fixture.config.sync = { ...fixture.config.sync, discovery: sync.discovery };
  mapTenure(fixture, { onlyOnCreate: false });
  const org = startedIn2020(generateOrg(5, 2));
  const [hire] = leaves(org);
  if (!hire) throw new Error('the org has no leaves');
  Object.assign(hire, { start_date: '10/01/2027' });
  fixture.writeEmployees(org);
  return { fixture, hire };
}

describe('leavers', () => {
  const pipeline = usePipelineTests();

  it('deactivates owned leavers with one PATCH each and touches nobody else: not hand-made users, not other systems\' users', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(12, 3);
    // 20 people created by hand in Peakon (no externalId) and 3 provisioned by another system (Okta's externalId).
    const handMade = fixture.sandbox.seedUsers([
      ...Array.from({ length: 20 }, (_, index) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `hand.${index}@example.org`, name: { givenName: 'Hand', familyName: `Made ${index}` }, emails: [{ value: `hand.${index}@example.org`, primary: true }], active: true })),
      ...Array.from({ length: 3 }, (_, index) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `okta.${index}@example.org`, externalId: `OKTA-00u${index}abc`, name: { givenName: 'Okta', familyName: `User ${index}` }, emails: [{ value: `okta.${index}@example.org`, primary: true }], active: true })),
    ]);
    withoutLeaverGuard(fixture);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first: SyncReport = await (await fixture.startSync()).result();
        expect(first.counts.created).toBe(12);
        expect(first.leavers).toMatchObject({ planned: 0, unowned: 23 });

        const gone = leaves(org).slice(0, 2);
        fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)));
        const before = byEmail(fixture);
        const opsBefore = fixture.sandbox.ops().length;
        const second: SyncReport = await (await fixture.startSync()).result();
        expect(second.status).toBe('completed');
        expect(second.counts).toMatchObject({ deactivated: 2, created: 0, updated: 0, failed: 0 });
        expect(second.leavers).toMatchObject({ action: 'deactivate', planned: 2, held: false, decision: 'not needed', unowned: 23 });
        // k leavers cost k operations: one PATCH each, nothing else written.
        const writes = writesOf(fixture, opsBefore);
        expect(writes.map((op) => op.method)).toEqual(['PATCH', 'PATCH']);
        const after = byEmail(fixture);
        for (const [email, user] of before) {
          const now = after.get(email) as ScimUser;
          if (gone.some((employee) => employee.work_email === email)) {
            expect(now.active).toBe(false);
            expect(withoutMeta({ ...now, active: true })).toEqual(withoutMeta({ ...user, active: true }));
          } else expect(withoutMeta(now)).toEqual(withoutMeta(user));
        }
        for (const user of handMade) expect(withoutMeta(after.get(user.userName) as ScimUser)).toEqual(withoutMeta(user));

        // Already inactive: the next run writes nothing.
        const opsSteady = fixture.sandbox.ops().length;
        const third: SyncReport = await (await fixture.startSync()).result();
        expect(third.counts.deactivated).toBe(0);
        expect(writesOf(fixture, opsSteady)).toEqual([]);
      })(),
    );
  });

  it('writes leavers last: every deactivation after every create and every update of the run', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(12, 3);
    withoutLeaverGuard(fixture);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(12);
        // One run with all three kinds of write: 2 people gone, 2 moved to another team, 2 hired.
        const [goneA, goneB, movedA, movedB] = leaves(org) as [GeneratedEmployee, GeneratedEmployee, GeneratedEmployee, GeneratedEmployee];
        const hired = [goneA, goneB].map((employee, index) => ({ ...employee, employee_id: `N${index}`, employee_number: String(71000 + index), work_email: `hired.${index}@example.com` }));
        const goneIds = new Set([goneA, goneB].map((employee) => byEmail(fixture).get(employee.work_email)?.id));
        expect(goneIds.size).toBe(2);
        fixture.writeEmployees([
          ...org.filter((employee) => employee !== goneA && employee !== goneB).map((employee) => (employee === movedA || employee === movedB ? { ...employee, team: 'Moved' } : employee)),
          ...hired,
        ]);
        const opsBefore = fixture.sandbox.ops().length;
        const report: SyncReport = await (await fixture.startSync()).result();
        expect(report.counts).toMatchObject({ created: 2, updated: 2, deactivated: 2, failed: 0 });
        const writes = writesOf(fixture, opsBefore);
        const isLeaverWrite = (op: (typeof writes)[number]) => [...goneIds].some((id) => id !== undefined && op.path.endsWith(`/Users/${id}`));
        const leaverPositions = writes.flatMap((op, index) => (isLeaverWrite(op) ? [index] : []));
        const otherPositions = writes.flatMap((op, index) => (isLeaverWrite(op) ? [] : [index]));
        expect(writes.filter(isLeaverWrite).map((op) => op.method)).toEqual(['PATCH', 'PATCH']);
        expect(writes.filter((op) => !isLeaverWrite(op)).map((op) => op.method).sort()).toEqual(['PATCH', 'PATCH', 'POST', 'POST']);
        expect(Math.min(...leaverPositions)).toBeGreaterThan(Math.max(...otherPositions));
        // Every update after every create, in the order the requests reached the sandbox.
        const lastCreate = Math.max(...writes.flatMap((op, index) => (!isLeaverWrite(op) && op.method === 'POST' ? [index] : [])));
        const firstUpdate = Math.min(...writes.flatMap((op, index) => (!isLeaverWrite(op) && (op.method === 'PATCH' || op.method === 'PUT') ? [index] : [])));
        expect(lastCreate).toBeLessThan(firstUpdate);
      })(),
    );
  });

  it.each(['patch', 'put'] as const)('every update runs after every create: in the sandbox\'s request log the last POST comes before the first update (%s)', async (updateMethod) => {
    const fixture = await pipeline.fixture();
    fixture.config.sync = { ...fixture.config.sync, updateMethod };
    const org = generateOrg(30, 3);
    withoutLeaverGuard(fixture);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(30);
        // Six existing people change team; four are hired in two waves (a new manager under the root, and three
        // reports of that new manager). Every request is slowed, so writes of overlapping phases would interleave.
        const root = org.find((employee) => employee.manager_id === '') as GeneratedEmployee;
        const moved = leaves(org).slice(0, 6);
        expect(moved).toHaveLength(6);
        const template = moved[0] as GeneratedEmployee;
        const newManager = { ...template, employee_id: 'N100', employee_number: '73100', work_email: 'new.manager@example.com', manager_id: root.employee_id };
        const newReports = [0, 1, 2].map((index) => ({ ...template, employee_id: `N10${index + 1}`, employee_number: String(73101 + index), work_email: `new.report.${index}@example.com`, manager_id: newManager.employee_id }));
        // The reports are listed before their manager: file order must not matter.
        fixture.writeEmployees([...newReports, ...org.map((employee) => (moved.includes(employee) ? { ...employee, team: 'Moved' } : employee)), newManager]);
        fixture.sandbox.setFaults({ latencyMs: 100 });
        const opsBefore = fixture.sandbox.ops().length;
        const report: SyncReport = await (await fixture.startSync()).result();
        fixture.sandbox.setFaults({ latencyMs: 0 });
        expect(report.counts).toMatchObject({ created: 4, updated: 6, deactivated: 0, failed: 0 });
        const writes = writesOf(fixture, opsBefore);
        const updateMethodName = updateMethod === 'put' ? 'PUT' : 'PATCH';
        expect(writes.map((op) => op.method).sort()).toEqual([...Array(6).fill(updateMethodName), 'POST', 'POST', 'POST', 'POST'].sort());
        const lastCreate = Math.max(...writes.flatMap((op, index) => (op.method === 'POST' ? [index] : [])));
        const firstUpdate = Math.min(...writes.flatMap((op, index) => (op.method === 'PATCH' || op.method === 'PUT' ? [index] : [])));
        expect(lastCreate).toBeLessThan(firstUpdate);
        // The first update arrived once the last create had been answered: at least its 100 ms latency after it
        // arrived (90: a timer may fire a little early).
        const lastCreateOp = writes[lastCreate] as (typeof writes)[number];
        expect(lastCreateOp.status).toBe(201);
        expect(Date.parse((writes[firstUpdate] as (typeof writes)[number]).time) - Date.parse(lastCreateOp.time)).toBeGreaterThanOrEqual(90);
        expect(byEmail(fixture).get(newReports[0]?.work_email ?? '')?.[PEAKON_USER_SCHEMA]?.Manager).toBe(newManager.work_email);
      })(),
    );
  });

  it('a dry run of a tenant of more than a hundred previews its leavers (unchanged people do not crowd them out)', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(104, 4);
    withoutLeaverGuard(fixture);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(104);
        const gone = leaves(org).slice(0, 2);
        fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)));
        const dry: SyncReport = await (await fixture.startSync({ dryRun: true })).result();
        expect(dry.planned).toMatchObject({ unchanged: 102, deactivate: 2 });
        expect(dry.plan?.map((line) => [line.employeeKey, line.action])).toEqual(expect.arrayContaining(gone.map((employee) => [employee.work_email, 'deactivate'])));
        expect(dry.plan?.some((line) => line.action === 'unchanged')).toBe(false);
      })(),
    );
  });

  it('separate: sets the separation date (the run\'s day) and the configured reason with the deactivation, of a leaver gone from the read and of one the HR status marks inactive', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(8, 3);
    fixture.config.leavers = { ...fixture.config.leavers, action: 'separate', separation: { dateAttribute: 'Separation date', reasonAttribute: 'Separation reason', reason: 'Voluntary' } };
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        const [gone] = leaves(org);
        fixture.writeEmployees(org.filter((employee) => employee !== gone));
        const report: SyncReport = await (await fixture.startSync({ asOf: '2026-12-03' })).result();
        expect(report.counts.deactivated).toBe(1);
        const user = byEmail(fixture).get(gone?.work_email ?? '') as ScimUser;
        expect(user.active).toBe(false);
        expect(user[PEAKON_USER_SCHEMA]).toMatchObject({ 'Separation date': '2026-12-03', 'Separation reason': 'Voluntary' });

        // The returner: back in the HR read, reactivated in the same write, the separation the connector wrote cleared
        // (the sample maps Separation date/reason from the HR record, which is empty for an active employee).
        fixture.writeEmployees(org);
        const opsBefore = fixture.sandbox.ops().length;
        const back: SyncReport = await (await fixture.startSync()).result();
        expect(back.counts.updated).toBe(1);
        expect(back.leavers?.returners).toBe(1);
        expect(writesOf(fixture, opsBefore).map((op) => op.method)).toEqual(['PATCH']);
        const returned = byEmail(fixture).get(gone?.work_email ?? '') as ScimUser;
        expect(returned.active).toBe(true);
        expect(returned[PEAKON_USER_SCHEMA]?.['Separation date'] ?? null).toBeNull();

        // Marked Terminated in the HR system before any termination date is known (the usual status-driven export):
        // switched off with a separation all the same, or no later run would ever add one (they are inactive then).
        fixture.writeEmployees(org.map((employee) => (employee === gone ? { ...employee, status: 'Terminated' } : employee)));
        const marked: SyncReport = await (await fixture.startSync({ asOf: '2026-12-05' })).result();
        expect(marked.counts.deactivated).toBe(1);
        const separated = byEmail(fixture).get(gone?.work_email ?? '') as ScimUser;
        expect(separated.active).toBe(false);
        expect(separated[PEAKON_USER_SCHEMA]).toMatchObject({ 'Separation date': '2026-12-05', 'Separation reason': 'Voluntary' });
        // The next run writes nothing: the blank termination cells (mapped to null) do not remove that separation.
        const opsBeforeNext = fixture.sandbox.ops().length;
        await (await fixture.startSync({ asOf: '2026-12-06' })).result();
        expect(writesOf(fixture, opsBeforeNext)).toEqual([]);
        expect((byEmail(fixture).get(gone?.work_email ?? '') as ScimUser)[PEAKON_USER_SCHEMA]).toMatchObject({ 'Separation date': '2026-12-05', 'Separation reason': 'Voluntary' });
      })(),
    );
  });

  it('delete: refused by the config without allowDelete; with it, one DELETE per leaver and the ledger forgets them', async () => {
    const base = { tenant: 'acme', peakon: { baseUrl: 'https://api.peakon.com/scim/v2' }, source: { type: 'csv', path: 'hr.csv' }, mapping: { id: 'id', email: 'email', givenName: 'first', familyName: 'last' } };
    const refused = ConnectorConfigSchema.safeParse({ ...base, leavers: { action: 'delete' } });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]).toMatchObject({ path: ['leavers', 'allowDelete'], message: expect.stringContaining('destroys the history') });

    const fixture = await pipeline.fixture();
    const org = generateOrg(8, 3);
    fixture.config.leavers = { ...fixture.config.leavers, action: 'delete', allowDelete: true };
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        const [gone] = leaves(org);
        const goneId = byEmail(fixture).get(gone?.work_email ?? '')?.id;
        const ledger = ledgerStoreFromEnv(process.env, defaultPayloadDirectory());
        expect((await ledger.read(fixture.config.tenant)).owned).toContain(goneId);
        fixture.writeEmployees(org.filter((employee) => employee !== gone));
        // A config that skipped validation (a run started straight through a Temporal client) cannot delete either.
        const unconfirmedBefore = fixture.sandbox.ops().length;
        fixture.config.leavers = { ...fixture.config.leavers, allowDelete: false };
        await expect((await fixture.startSync()).result()).rejects.toMatchObject({ cause: { message: expect.stringContaining('leavers.allowDelete: action: delete destroys the history') } });
        expect(writesOf(fixture, unconfirmedBefore)).toEqual([]);
        fixture.config.leavers = { ...fixture.config.leavers, allowDelete: true };
        const opsBefore = fixture.sandbox.ops().length;
        const report: SyncReport = await (await fixture.startSync()).result();
        expect(report.counts.deleted).toBe(1);
        expect((await ledger.read(fixture.config.tenant)).owned).not.toContain(goneId);
        expect((await ledger.read(fixture.config.tenant)).owned).toHaveLength(7);
        expect(writesOf(fixture, opsBefore).map((op) => op.method)).toEqual(['DELETE']);
        expect(byEmail(fixture).has(gone?.work_email ?? '')).toBe(false);
        expect(fixture.sandbox.users()).toHaveLength(7);
      })(),
    );
  });

  it('a run whose report cannot be written fails and says so, but still owns the people it created: they become leavers later', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(8, 3);
    withoutLeaverGuard(fixture);
    fixture.writeEmployees(org);
    // A file where the tenant's report folder goes: every attempt to write the report fails (EEXIST: making the folder).
    const reportFolder = path.join(fixture.stateDirectory, fixture.config.tenant);
    writeFileSync(reportFolder, 'not a folder');
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const failing = await fixture.startSync();
        const failure = await failing.result().then(() => undefined, (error: unknown) => error);
        expect(failure).toBeInstanceOf(WorkflowFailedError);
        // The workflow's failure names why: the report folder could not be made (a file is in its place).
        expect((failure as WorkflowFailedError).cause?.message).toContain(`the run report's folder cannot be made (PEAKON_SYNC_REPORT_DIR): EEXIST: file already exists, mkdir '${reportFolder}'`);
        expect(fixture.sandbox.users()).toHaveLength(8);
        // The memo had said "completed" before the report was attempted; a failed run must not keep showing that.
        expect((await failing.describe()).memo).toMatchObject({ status: 'failed' });

        rmSync(reportFolder);
        const gone = leaves(org).slice(0, 2);
        fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)));
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.counts).toMatchObject({ deactivated: 2, created: 0 });
        for (const employee of gone) expect(byEmail(fixture).get(employee.work_email)?.active).toBe(false);
      })(),
    );
  });

  it('a scope exclude rule makes owned users leavers: one PATCH active=false each, reason "no longer in scope of the HR read"; excluding more than maxShare is held', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(12, 3);
    // The default guard (maxCount 20, maxShare 0.2): 2 of 12 pass it, 3 of the 10 left do not.
    expect(fixture.config.leavers.guard).toMatchObject({ maxCount: 20, maxShare: 0.2 });
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(12);
        // The HR file stays as it is: only the config's scope changes, excluding two people (leaves, so nobody's
        // Manager reference changes) by a field the mapping does not otherwise read.
        const [excludedA, excludedB, ...others] = leaves(org) as GeneratedEmployee[];
        if (!excludedA || !excludedB || others.length < 3) throw new Error('the org has too few leaves');
        const excluded = [excludedA, excludedB];
        fixture.config.mapping = { ...fixture.config.mapping, scope: { exclude: [[{ field: 'employee_id', in: excluded.map((employee) => employee.employee_id) }]] } };
        const before = byEmail(fixture);
        const excludedIds = excluded.map((employee) => before.get(employee.work_email)?.id);
        const opsBefore = fixture.sandbox.ops().length;
        const report: SyncReport = await (await fixture.startSync()).result();
        expect(report.status).toBe('completed');
        expect(report.counts).toMatchObject({ deactivated: 2, created: 0, updated: 0, failed: 0 });
        expect(report.leavers).toMatchObject({ action: 'deactivate', planned: 2, held: false });
        // Exactly two writes, a PATCH of each excluded user; afterwards they differ from before in `active` only.
        const writes = writesOf(fixture, opsBefore);
        expect(writes.map((op) => `${op.method} ${op.path}`).sort()).toEqual(excludedIds.map((id) => `PATCH /scim/v2/Users/${id}`).sort());
        const after = byEmail(fixture);
        for (const [email, user] of before) {
          const now = after.get(email) as ScimUser;
          if (excluded.some((employee) => employee.work_email === email)) {
            expect(now.active).toBe(false);
            expect(withoutMeta({ ...now, active: true })).toEqual(withoutMeta({ ...user, active: true }));
          } else expect(withoutMeta(now)).toEqual(withoutMeta(user));
        }
        const lines = reportLines(report);
        for (const employee of excluded) expect(lines.get(employee.work_email)).toMatchObject({ action: 'deactivate', status: 'deactivated', reason: 'no longer in scope of the HR read' });

        // Three more excluded while three are hired (the read in scope does not shrink: 10 before, 10 now): 3 of the 10
        // owned active users is more than maxShare, so the deactivations wait for a person; nothing of them is written.
        const more = others.slice(0, 3);
        const hired = more.map((employee, index) => ({ ...employee, employee_id: `N${index}`, employee_number: String(72000 + index), work_email: `scope.hire.${index}@example.com` }));
        fixture.writeEmployees([...org, ...hired]);
        fixture.config.mapping = { ...fixture.config.mapping, scope: { exclude: [[{ field: 'employee_id', in: [...excluded, ...more].map((employee) => employee.employee_id) }]] } };
        const heldBefore = fixture.sandbox.ops().length;
        const handle = await fixture.startSync();
        const waiting = await progressOf(handle, (progress) => progress.phase === 'awaiting approval');
        expect(waiting.awaitingApproval).toMatchObject({ leavers: 3, reason: expect.stringContaining('30% of the 10 owned active users, more than leavers.guard.maxShare (20%)') });
        expect(new Set(waiting.awaitingApproval?.preview)).toEqual(new Set(more.map((employee) => employee.work_email)));
        expect(writesOf(fixture, heldBefore).map((op) => op.method)).toEqual(['POST', 'POST', 'POST']);
        await handle.executeUpdate(rejectLeaversUpdate);
        const held: SyncReport = await handle.result();
        expect(held.leavers).toMatchObject({ held: true, decision: 'rejected', planned: 3 });
        expect(held.counts).toMatchObject({ created: 3, deactivated: 0 });
        expect(writesOf(fixture, heldBefore).map((op) => op.method)).toEqual(['POST', 'POST', 'POST']);
        for (const employee of more) expect(byEmail(fixture).get(employee.work_email)?.active).toBe(true);
      })(),
    );
  });

  it('delete with allowDelete: a user the HR system marks inactive (no termination date) is deactivated by a PATCH, never deleted; only a leaver gone from the read is deleted', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(10, 3);
    withoutLeaverGuard(fixture);
    fixture.config.leavers = { ...fixture.config.leavers, action: 'delete', allowDelete: true };
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(10);
        // Two records the export marks Terminated with no termination date (still read, in scope, inactive), and one
        // person gone from the read: the action really is delete for a leaver.
        const [markedA, markedB, gone] = leaves(org) as GeneratedEmployee[];
        if (!markedA || !markedB || !gone) throw new Error('the org has too few leaves');
        const marked = [markedA, markedB];
        for (const employee of marked) expect(employee.termination_date).toBe('');
        fixture.writeEmployees(org.filter((employee) => employee !== gone).map((employee) => (marked.includes(employee) ? { ...employee, status: 'Terminated' } : employee)));
        const before = byEmail(fixture);
        const markedIds = marked.map((employee) => before.get(employee.work_email)?.id);
        const goneId = before.get(gone.work_email)?.id;
        const opsBefore = fixture.sandbox.ops().length;
        const report: SyncReport = await (await fixture.startSync()).result();
        expect(report.status).toBe('completed');
        expect(report.counts).toMatchObject({ deleted: 1, created: 0, updated: 0, failed: 0 });
        expect(report.leavers).toMatchObject({ action: 'delete', planned: 3, held: false });
        // The summary says the same: two switched off (HR-inactive are never deleted), one deleted, each as planned.
        const summary = formatReport(report);
        expect(summary).toMatch(/^ {2}deactivated: +2$/m);
        expect(summary).toMatch(/^ {2}deleted: +1$/m);
        const writes = writesOf(fixture, opsBefore);
        expect(writes.map((op) => `${op.method} ${op.path}`).sort()).toEqual([...markedIds.map((id) => `PATCH /scim/v2/Users/${id}`), `DELETE /scim/v2/Users/${goneId}`].sort());
        // The marked people are still in Peakon, switched off and otherwise as they were; only the leaver is gone.
        const after = byEmail(fixture);
        expect(fixture.sandbox.users()).toHaveLength(9);
        expect(after.has(gone.work_email)).toBe(false);
        for (const employee of marked) {
          const now = after.get(employee.work_email) as ScimUser;
          expect(now.active).toBe(false);
          expect(withoutMeta({ ...now, active: true })).toEqual(withoutMeta(before.get(employee.work_email) as ScimUser));
        }
        const lines = reportLines(report);
        for (const employee of marked) expect(lines.get(employee.work_email)?.status).toBe('deactivated');
        expect(lines.get(gone.work_email)).toMatchObject({ action: 'delete', status: 'deleted' });

        // The next run: the marked people are already inactive, nothing is written (in particular no DELETE).
        const steady = fixture.sandbox.ops().length;
        await (await fixture.startSync()).result();
        expect(writesOf(fixture, steady)).toEqual([]);
        expect(fixture.sandbox.users()).toHaveLength(9);

        // One of them then drops out of the export: a leaver Peakon holds inactive is deleted too (delete removes the
        // person's data), with one DELETE, and the ledger forgets them; the other, still read, stays switched off.
        fixture.writeEmployees(org.filter((employee) => employee !== gone && employee !== markedA).map((employee) => (employee === markedB ? { ...employee, status: 'Terminated' } : employee)));
        const dropped = fixture.sandbox.ops().length;
        const droppedReport: SyncReport = await (await fixture.startSync()).result();
        expect(droppedReport.counts).toMatchObject({ deleted: 1, created: 0, updated: 0, failed: 0 });
        expect(droppedReport.leavers).toMatchObject({ action: 'delete', planned: 1, held: false });
        expect(writesOf(fixture, dropped).map((op) => `${op.method} ${op.path}`)).toEqual([`DELETE /scim/v2/Users/${markedIds[0]}`]);
        expect(byEmail(fixture).has(markedA.work_email)).toBe(false);
        expect(byEmail(fixture).get(markedB.work_email)?.active).toBe(false);
        expect((await ledgerStoreFromEnv(process.env, defaultPayloadDirectory()).read(fixture.config.tenant)).owned).not.toContain(markedIds[0]);
      })(),
    );
  });

  it('off: leavers stay active and are only counted', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(8, 3);
    fixture.config.leavers = { ...fixture.config.leavers, action: 'off' };
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        fixture.writeEmployees(org.filter((employee) => !leaves(org).slice(0, 2).includes(employee)));
        const opsBefore = fixture.sandbox.ops().length;
        const report: SyncReport = await (await fixture.startSync()).result();
        expect(report.leavers).toMatchObject({ action: 'off', planned: 2 });
        expect(report.counts.deactivated).toBe(0);
        expect(writesOf(fixture, opsBefore)).toEqual([]);
        expect(fixture.sandbox.users().every((user) => user.active !== false)).toBe(true);
      })(),
    );
  });
});

describe('the guard', () => {
  const pipeline = usePipelineTests();

  /** A tenant of 10 synced employees, then 3 of them (30%) gone from the HR read. */
  async function thirtyPercentGone(fixture: PipelineFixture, org: GeneratedEmployee[]): Promise<GeneratedEmployee[]> {
    fixture.writeEmployees(org);
    const first: SyncReport = await (await fixture.startSync()).result();
    expect(first.counts.created).toBe(org.length);
    const gone = leaves(org).slice(0, 3);
    fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)));
    return gone;
  }

  it('holds 30% deactivations for approval; approve applies exactly them, a second approve is refused; meanwhile the tenant stays locked', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(10, 3);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const gone = await thirtyPercentGone(fixture, org);
        const opsBefore = fixture.sandbox.ops().length;
        const handle = await fixture.startSync();
        const waiting = await progressOf(handle, (progress) => progress.phase === 'awaiting approval');
        expect(waiting.awaitingApproval).toMatchObject({ leavers: 3, reason: expect.stringContaining('30% fewer') });
        expect(new Set(waiting.awaitingApproval?.preview)).toEqual(new Set(gone.map((employee) => employee.work_email)));
        const emails = gone.map((employee) => employee.work_email);
        // The memo the UI shows while the run waits (as the SDK decodes it) names the held people by ref only.
        const heldMemo = (await handle.describe()).memo;
        expect(heldMemo).toMatchObject({ status: 'awaiting_approval', awaitingApproval: { leavers: 3, refs: expect.any(Array) } });
        expect((heldMemo as { awaitingApproval: { refs: unknown[] } }).awaitingApproval.refs).toHaveLength(3);
        expect(emails.filter((email) => JSON.stringify(heldMemo).includes(email))).toEqual([]);
        // Nothing written while held, and another run of the tenant cannot start.
        expect(writesOf(fixture, opsBefore)).toEqual([]);
        const meanwhile: SyncReport = await (await fixture.startSync()).result();
        expect(meanwhile.status).toBe('skipped');

        const answer = await handle.executeUpdate(approveLeaversUpdate);
        expect(answer).toMatchObject({ decision: 'approved', leavers: 3, deactivated: 3 });
        await expect(handle.executeUpdate(approveLeaversUpdate)).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
        const report: SyncReport = await handle.result();
        expect(report.status).toBe('completed');
        expect(report.leavers).toMatchObject({ held: true, decision: 'approved', planned: 3 });
        expect(exitCodeFor(report)).toBe(0); // a person decided: nothing left for a scheduler to flag
        expect(writesOf(fixture, opsBefore).map((op) => op.method)).toEqual(['PATCH', 'PATCH', 'PATCH']);
        const inactive = fixture.sandbox.users().filter((user) => user.active === false).map((user) => user.userName);
        expect(new Set(inactive)).toEqual(new Set(gone.map((employee) => employee.work_email)));
        // The memo, search attribute and every event name the held people by ref only: no email in the run's or its
        // children's histories as Temporal stores them, nor in any memo payload decoded with the key, nor in the memo now.
        const histories = await expectNoPlainEmails(pipeline.temporal.client, handle.workflowId, emails);
        expect(decodedMemoFields(histories).get('awaitingApproval')).toContain('30% fewer'); // the memo field the UI showed, decoded
        const endMemo = JSON.stringify((await handle.describe()).memo);
        expect(emails.filter((email) => endMemo.includes(email))).toEqual([]);
        // The emails are in the run's payloads, decoded: the scans above could have seen them.
        const decoded = decodedPayloads(histories);
        expect(emails.filter((email) => !decoded.includes(email))).toEqual([]);
      })(),
    );
  });

  it('reject applies none; approving a run that holds nothing is an error', async () => {
    const fixture = await pipeline.fixture({ slowAnswers: true });
    const org = generateOrg(10, 3);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await thirtyPercentGone(fixture, org);
        const handle = await fixture.startSync();
        await progressOf(handle, (progress) => progress.phase === 'awaiting approval');
        const answer = await handle.executeUpdate(rejectLeaversUpdate);
        expect(answer).toMatchObject({ decision: 'rejected', leavers: 3 });
        const report: SyncReport = await handle.result();
        expect(report.leavers?.decision).toBe('rejected');
        expect(exitCodeFor(report)).toBe(0);
        expect(report.counts.deactivated).toBe(0);
        expect(fixture.sandbox.users().every((user) => user.active !== false)).toBe(true);
        // The rejected writes are `not_done` lines saying so (not `skipped`, which no count counted), and counted.
        const notDone = [...reportLines(report).values()].filter((line) => line.status === 'not_done');
        expect(notDone).toHaveLength(3);
        for (const line of notDone) expect(line).toMatchObject({ action: 'deactivate', reason: expect.stringContaining('; not done: held by the leaver guard and rejected: not written') });
        expect((JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile).summary.counts.notDone).toBe(3);
        expect(formatReport(report)).toMatch(/^ {2}not done: +3 \(/m);

        // A run with nothing held refuses an approval with a reason (while it runs; the sandbox holds each answer 3 s so
        // that the run is surely still writing when the approval reaches it, however busy the machine).
        fixture.writeEmployees(org.map((employee) => ({ ...employee, team: 'Moved' })));
        fixture.sandbox.setFaults({ latencyMs: 3_000 });
        const busy = await fixture.startSync();
        await progressOf(busy, (progress) => progress.phase === 'update');
        await expect(busy.executeUpdate(approveLeaversUpdate)).rejects.toMatchObject({ cause: { message: expect.stringMatching(/holds no leaver writes/) } });
        await busy.result();
      })(),
    );
  });

  it('`approve` run again while the approved writes run (the first was interrupted) gets the same answer; `reject` then is refused', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(10, 3);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await thirtyPercentGone(fixture, org);
        const handle = await fixture.startSync();
        await progressOf(handle, (progress) => progress.phase === 'awaiting approval');
        // Slow writes, so the second approve comes while the first one's writes run.
        fixture.sandbox.setFaults({ latencyMs: 400 });
        const first = sendLeaverDecision(handle, 'approve');
        await progressOf(handle, (progress) => progress.phase !== 'awaiting approval');
        const again = await sendLeaverDecision(handle, 'approve');
        expect(again).toMatchObject({ decision: 'approved', leavers: 3, deactivated: 3 });
        expect(await first).toEqual(again);
        await expect(sendLeaverDecision(handle, 'reject')).rejects.toMatchObject({ cause: { message: expect.stringMatching(/already approved/) } });
        expect((await handle.result() as SyncReport).counts.deactivated).toBe(3);
      })(),
    );
  });

  it('drops the held writes when nobody decides within leavers.guard.timeout', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(10, 3);
    fixture.config.leavers = { ...fixture.config.leavers, guard: { ...fixture.config.leavers.guard, timeout: 3_000 } };
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await thirtyPercentGone(fixture, org);
        const report: SyncReport = await (await fixture.startSync()).result();
        expect(report.leavers).toMatchObject({ held: true, decision: 'timed out', planned: 3 });
        expect(report.message).toMatch(/dropped: nobody approved them/);
        const notDone = [...reportLines(report).values()].filter((line) => line.status === 'not_done');
        expect(notDone.map((line) => line.reason)).toEqual(Array(3).fill(expect.stringContaining('; not done: held by the leaver guard and nobody approved it in time: not written (the next sync holds it again)')));
        expect(fixture.sandbox.users().every((user) => user.active !== false)).toBe(true);
        // A scheduler sees it: `sync --wait` and `status` exit 3, not 0.
        expect(exitCodeFor(report)).toBe(EXIT_LEAVERS_HELD);
      })(),
    );
  });

  it('an approval that comes with the deadline (no worker ran the run when both were due) is applied, as the approver was told', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(10, 3);
    fixture.config.leavers = { ...fixture.config.leavers, guard: { ...fixture.config.leavers.guard, timeout: 3_000 } };
    const setUp = await fixture.startWorkers();
    const handle = await setUp.runUntil(
      (async () => {
        await thirtyPercentGone(fixture, org);
        const waiting = await fixture.startSync();
        await progressOf(waiting, (progress) => progress.phase === 'awaiting approval');
        return waiting;
      })(),
    );
    // No worker: the deadline passes, then the approval comes. Both reach the run in its next workflow task.
    await sleep(4_000);
    const answer = handle.executeUpdate(approveLeaversUpdate);
    await sleep(1_000);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const decided = await answer;
        const report: SyncReport = await handle.result();
        // The premise: the guard's timer had fired, and one workflow task then saw it and accepted the approval.
        const events = (await handle.fetchHistory()).events ?? [];
        const guardTimer = events.find((event) => Number(event.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? 0) === 3)?.eventId?.toString();
        const fired = events.findIndex((event) => guardTimer !== undefined && event.timerFiredEventAttributes?.startedEventId?.toString() === guardTimer);
        const accepted = events.findIndex((event) => event.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
        expect(fired).toBeGreaterThan(0);
        expect(accepted).toBeGreaterThan(fired);
        expect(events.slice(fired, accepted).filter((event) => event.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).toHaveLength(1);
        expect(decided).toMatchObject({ decision: 'approved', leavers: 3 });
        expect(report.leavers).toMatchObject({ held: true, decision: 'approved', planned: 3 });
        expect(report.counts.deactivated).toBe(3);
        expect(decided.deactivated).toBe(3);
        expect(fixture.sandbox.users().filter((user) => user.active === false)).toHaveLength(3);
      })(),
    );
  });

  it('counts people the HR system marks inactive as leavers: the guard holds their deactivations with the others', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(10, 3);
    fixture.config.leavers = { ...fixture.config.leavers, guard: { ...fixture.config.leavers.guard, maxCount: 2, maxShare: 1 } };
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first: SyncReport = await (await fixture.startSync()).result();
        expect(first.counts.created).toBe(10);
        // An export that marks three people Terminated, with no termination date: still read, in scope, and inactive.
        const marked = leaves(org).slice(0, 3);
        fixture.writeEmployees(org.map((employee) => (marked.includes(employee) ? { ...employee, status: 'Terminated' } : employee)));
        const held = await fixture.startSync();
        const waiting = await progressOf(held, (progress) => progress.phase === 'awaiting approval');
        expect(waiting.awaitingApproval).toMatchObject({ leavers: 3, reason: expect.stringContaining('more than leavers.guard.maxCount (2)') });
        await held.executeUpdate(rejectLeaversUpdate);
        expect(((await held.result()) as SyncReport).counts.deactivated).toBe(0);
        expect(fixture.sandbox.users().every((user) => user.active !== false)).toBe(true);

        const approved = await fixture.startSync();
        await progressOf(approved, (progress) => progress.phase === 'awaiting approval');
        await approved.executeUpdate(approveLeaversUpdate);
        const report: SyncReport = await approved.result();
        expect(report.counts).toMatchObject({ deactivated: 3, updated: 0 });
        const inactive = fixture.sandbox.users().filter((user) => user.active === false).map((user) => user.userName);
        expect(new Set(inactive)).toEqual(new Set(marked.map((employee) => employee.work_email)));
      })(),
    );
  });

  it('a rejected record is still employed: recognised by its key or its id, and a read with a record it cannot identify deactivates nobody unapproved', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(12, 3);
    withoutLeaverGuard(fixture);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(12);
        const [typo, gone] = leaves(org) as [GeneratedEmployee, GeneratedEmployee];
        const opsBefore = fixture.sandbox.ops().length;
        // An HR typo makes one email invalid: the record is rejected, and its person (matched by the id the connector
        // wrote as externalId) is not a leaver.
        fixture.writeEmployees(org.map((employee) => (employee === typo ? { ...employee, work_email: 'anna.at.example.com' } : employee)));
        const second: SyncReport = await (await fixture.startSync()).result();
        expect(second.status).toBe('completed_with_failures');
        expect(second.counts.deactivated).toBe(0);
        expect(second.failures.map((failure) => failure.errorType)).toEqual(['InvalidRecord']);
        expect(second.leavers).toMatchObject({ planned: 0, held: false });
        expect(writesOf(fixture, opsBefore)).toEqual([]);

        // The same row with its id broken too, and another person really gone: who left cannot be told apart from that
        // row, so the deactivation waits for a person.
        fixture.writeEmployees(org.filter((employee) => employee !== gone).map((employee) => (employee === typo ? { ...employee, work_email: 'anna.at.example.com', employee_id: '' } : employee)));
        const held = await fixture.startSync();
        const waiting = await progressOf(held, (progress) => progress.phase === 'awaiting approval');
        expect(waiting.awaitingApproval).toMatchObject({ leavers: 2, reason: expect.stringContaining('1 HR record or read problem names no employee (a record rejected with neither a valid matching key nor a valid id') });
        await held.executeUpdate(rejectLeaversUpdate);
        expect(((await held.result()) as SyncReport).counts.deactivated).toBe(0);
        expect(fixture.sandbox.users().every((user) => user.active !== false)).toBe(true);
      })(),
    );
  });

  it('a CSV row the source cannot read (a stray delimiter) is an invalid record, and holds the leaver writes: its person cannot be told from a leaver', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(12, 3);
    withoutLeaverGuard(fixture);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(12);
        // One row gains a field (an unquoted comma in a value): the row cannot be read, the other eleven can.
        const [broken] = leaves(org) as [GeneratedEmployee];
        const csvPath = (fixture.config.source as { path: string }).path;
        const lines = readFileSync(csvPath, 'utf8').split('\n');
        const at = lines.findIndex((line) => line.includes(broken.work_email));
        lines[at] = `${lines[at]},stray`;
        writeFileSync(csvPath, lines.join('\n'));
        const held = await fixture.startSync();
        const waiting = await progressOf(held, (progress) => progress.phase === 'awaiting approval');
        expect(waiting.awaitingApproval).toMatchObject({ leavers: 1, reason: expect.stringContaining('1 HR record or read problem names no employee (a record rejected with neither a valid matching key nor a valid id') });
        await held.executeUpdate(rejectLeaversUpdate);
        const report = (await held.result()) as SyncReport;
        expect(report.failures).toEqual([expect.objectContaining({ errorType: 'InvalidRecord', reason: expect.stringContaining(`line ${at + 1} of the file has`) })]);
        // The reason names the line, never the row's values.
        expect(report.failures[0]?.reason).not.toContain(broken.work_email);
        expect(report.counts.deactivated).toBe(0);
        expect(fixture.sandbox.users().every((user) => user.active !== false)).toBe(true);
      })(),
    );
  });

  it('holds deactivations above maxShare of the owned active users although the HR read did not shrink (3 left, 3 hired); creates go on meanwhile', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(10, 3);
    // The default guard (maxCount 20, maxShare 0.2): only the share of owned active users can hold 3 leavers of 10.
    expect(fixture.config.leavers.guard).toMatchObject({ maxCount: 20, maxShare: 0.2 });
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first: SyncReport = await (await fixture.startSync()).result();
        expect(first.counts.created).toBe(10);
        // Three people leave and three are hired in their place: the read still has 10 employees in scope.
        const gone = leaves(org).slice(0, 3);
        expect(gone).toHaveLength(3);
        const hired = gone.map((employee, index) => ({ ...employee, employee_id: `N${index}`, employee_number: String(70000 + index), work_email: `new.hire.${index}@example.com` }));
        fixture.writeEmployees([...org.filter((employee) => !gone.includes(employee)), ...hired]);
        const opsBefore = fixture.sandbox.ops().length;
        const handle = await fixture.startSync();
        const waiting = await progressOf(handle, (progress) => progress.phase === 'awaiting approval');
        expect(waiting.awaitingApproval).toMatchObject({ leavers: 3, reason: expect.stringContaining('30% of the 10 owned active users, more than leavers.guard.maxShare (20%)') });
        expect(new Set(waiting.awaitingApproval?.preview)).toEqual(new Set(gone.map((employee) => employee.work_email)));
        // The creates were not held, the deactivations were.
        expect(writesOf(fixture, opsBefore).map((op) => op.method)).toEqual(['POST', 'POST', 'POST']);
        await handle.executeUpdate(rejectLeaversUpdate);
        const report: SyncReport = await handle.result();
        expect(report.leavers).toMatchObject({ held: true, decision: 'rejected', planned: 3 });
        expect(report.counts).toMatchObject({ created: 3, deactivated: 0 });
        expect(fixture.sandbox.users().every((user) => user.active !== false)).toBe(true);
        expect(fixture.sandbox.users()).toHaveLength(13);
      })(),
    );
  });

  it('holds every deactivation when the HR read shrank by more than maxShare, even under the count and share thresholds', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(10, 3);
    // Two people the HR system marks terminated: read, never created in Peakon.
    const terminated = leaves(org).slice(0, 2).map((employee) => ({ ...employee, status: 'Terminated' }));
    const active = org.filter((employee) => !terminated.some((other) => other.employee_id === employee.employee_id));
    fixture.config.leavers = { ...fixture.config.leavers, guard: { ...fixture.config.leavers.guard, maxCount: 100, maxShare: 0.25 } };
    fixture.writeEmployees([...active, ...terminated]);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first: SyncReport = await (await fixture.startSync()).result();
        expect(first.counts.created).toBe(8);
        // 10 → 7 records (30% fewer), but only one owned active user left: 1 of 8 is under every other threshold.
        const [gone] = leaves(active);
        fixture.writeEmployees(active.filter((employee) => employee !== gone));
        const handle = await fixture.startSync();
        const waiting = await progressOf(handle, (progress) => progress.phase === 'awaiting approval');
        expect(waiting.awaitingApproval).toMatchObject({ leavers: 1, reason: expect.stringContaining('30% fewer than the 10') });
        await handle.executeUpdate(rejectLeaversUpdate);
        await handle.result();
      })(),
    );
  });

  it('a failing or empty HR read deactivates nobody', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(6, 2);
    withoutLeaverGuard(fixture);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        const opsBefore = fixture.sandbox.ops().length;
        fixture.writeEmployees([]);
        await expect((await fixture.startSync()).result()).rejects.toThrow();
        fixture.config.source = { ...fixture.config.source, path: `${fixture.stateDirectory}/missing.csv` } as typeof fixture.config.source;
        await expect((await fixture.startSync()).result()).rejects.toThrow();
        expect(writesOf(fixture, opsBefore)).toEqual([]);
        expect(fixture.sandbox.users().every((user) => user.active !== false)).toBe(true);
      })(),
    );
  });
});

describe('returners, rehires, adoption and termination dates', () => {
  const pipeline = usePipelineTests();

  it('adopts a hand-made user an HR record matches, reactivates returners and matches a rehire by email (no duplicate)', async () => {
    const fixture = await pipeline.fixture();
    withoutLeaverGuard(fixture);
    const org = generateOrg(8, 3);
    const [returner, rehire, adoptee] = leaves(org);
    if (!returner || !rehire || !adoptee) throw new Error('the org has too few leaves');
    // The adoptee was created by hand before the connector ran: same email, no externalId.
    fixture.sandbox.seedUsers([{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: adoptee.work_email, name: { givenName: 'By', familyName: 'Hand' }, emails: [{ value: adoptee.work_email, primary: true }], active: true }]);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const preview: SyncReport = await (await fixture.startSync({ dryRun: true })).result();
        const adoptedLine = preview.plan?.find((line) => line.employeeKey === adoptee.work_email);
        expect(adoptedLine).toMatchObject({ action: 'update', adopted: true });
        expect(adoptedLine?.changes.map((change) => change.field)).toEqual(expect.arrayContaining(['name.givenName', 'externalId']));
        await (await fixture.startSync()).result();
        expect(fixture.sandbox.users()).toHaveLength(8);

        fixture.writeEmployees(org.filter((employee) => employee !== returner && employee !== rehire));
        const dry: SyncReport = await (await fixture.startSync({ dryRun: true })).result();
        expect(dry.plan?.filter((line) => line.action === 'deactivate').map((line) => line.employeeKey).sort()).toEqual([rehire, returner].map((employee) => employee.work_email).sort());
        expect(dry.plan?.find((line) => line.action === 'deactivate')?.reason).toBe('no longer in scope of the HR read');
        expect((await (await fixture.startSync()).result() as SyncReport).counts.deactivated).toBe(2);

        // The returner comes back as they were; the rehire comes back with a new HR id and the same email.
        fixture.writeEmployees(org.map((employee) => (employee === rehire ? { ...employee, employee_id: 'H9001' } : employee)));
        const opsBefore = fixture.sandbox.ops().length;
        const back: SyncReport = await (await fixture.startSync()).result();
        expect(back.counts).toMatchObject({ updated: 2, created: 0, failed: 0 });
        expect(back.leavers?.returners).toBe(2);
        expect(writesOf(fixture, opsBefore).map((op) => op.method)).toEqual(['PATCH', 'PATCH']);
        const users = byEmail(fixture);
        expect(fixture.sandbox.users()).toHaveLength(8);
        expect(users.get(returner.work_email)?.active).toBe(true);
        expect(users.get(rehire.work_email)).toMatchObject({ active: true, externalId: 'H9001' });

        // The adopted user is owned now: when they leave the HR read, they are deactivated like anyone else.
        fixture.writeEmployees(org.filter((employee) => employee !== adoptee));
        expect((await (await fixture.startSync()).result() as SyncReport).counts.deactivated).toBe(1);
        expect(byEmail(fixture).get(adoptee.work_email)?.active).toBe(false);
      })(),
    );
  });

  it('a future hire Peakon holds inactive until their start date (Tenure) is not reactivated: no write before or after that day', async () => {
    // The sandbox follows Peakon's dates from the day it is given: the hire is served inactive until 2027-01-10.
    const { fixture } = withFutureHire(await pipeline.fixture({ sandbox: { today: '2026-12-01' } }));
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync({ asOf: '2026-12-01' })).result()) as SyncReport).counts.created).toBe(5);

        const opsBefore = fixture.sandbox.ops().length;
        const before: SyncReport = await (await fixture.startSync({ asOf: '2026-12-01' })).result();
        expect(before.counts).toMatchObject({ updated: 0, failed: 0 });
        expect(before.leavers?.returners ?? 0).toBe(0);
        expect(writesOf(fixture, opsBefore)).toEqual([]);
        expect(before.warnings).toContainEqual(expect.stringContaining('starts on 2027-01-10: inactive in Peakon until then'));

        // Before, each of these runs reactivated the hire (a returner), and Peakon held them inactive again.
        expect(((await (await fixture.startSync({ asOf: '2026-12-02' })).result()) as SyncReport).leavers?.returners ?? 0).toBe(0);
        expect(writesOf(fixture, opsBefore)).toEqual([]);

        // From the start date on, Peakon serves them active by itself: nothing to write either.
        fixture.sandbox.setToday('2027-01-10');
        const started: SyncReport = await (await fixture.startSync({ asOf: '2027-01-10' })).result();
        expect(started.counts).toMatchObject({ updated: 0, failed: 0 });
        expect(started.leavers?.returners ?? 0).toBe(0);
        expect(writesOf(fixture, opsBefore)).toEqual([]);
      })(),
    );
  });

  it('sync.discovery: filter: a future hire Peakon holds inactive until their start date is not reactivated either (the run\'s day travels with the discovery)', async () => {
    const { fixture, hire } = withFutureHire(await pipeline.fixture({ sandbox: { today: '2026-12-01' } }), { discovery: 'filter' });
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync({ asOf: '2026-12-01' })).result()) as SyncReport).counts.created).toBe(5);
        expect(servedWithDates(byEmail(fixture).get(hire.work_email) as ScimUser, '2026-12-01').active).toBe(false);

        // Before, every filter run found the hire inactive and reactivated them, and Peakon held them inactive again.
        const opsBefore = fixture.sandbox.ops().length;
        for (const day of ['2026-12-01', '2026-12-02']) {
          const run: SyncReport = await (await fixture.startSync({ asOf: day })).result();
          expect(run.counts).toMatchObject({ updated: 0, created: 0, failed: 0 });
        }
        expect(writesOf(fixture, opsBefore)).toEqual([]);

        // From the start date on, Peakon serves them active by itself: nothing to write either.
        fixture.sandbox.setToday('2027-01-10');
        const started: SyncReport = await (await fixture.startSync({ asOf: '2027-01-10' })).result();
        expect(started.counts).toMatchObject({ updated: 0, failed: 0 });
        expect(writesOf(fixture, opsBefore)).toEqual([]);
      })(),
    );
  });

  it('with Tenure written only at creation, Peakon\'s own start date decides: a returner whose stored start is past is reactivated', async () => {
    const fixture = await pipeline.fixture();
    withoutLeaverGuard(fixture);
    mapTenure(fixture, { onlyOnCreate: true });
    const org = startedIn2020(generateOrg(4, 2));
    const [returner] = leaves(org);
    if (!returner) throw new Error('the org has no leaves');
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync({ asOf: '2026-12-01' })).result()) as SyncReport).counts.created).toBe(4);
        // Switched off in Peakon, and back in the HR read with a new start date ahead (a rehire the HR system re-dated):
        // Peakon keeps its own start date (2020), so nothing holds them inactive there.
        const stored = byEmail(fixture).get(returner.work_email) as ScimUser;
        fixture.sandbox.storeRawUser(stored.id, { ...stored, active: false });
        Object.assign(returner, { start_date: '10/01/2027' });
        fixture.writeEmployees(org);
        const back: SyncReport = await (await fixture.startSync({ asOf: '2026-12-01' })).result();
        expect(back.leavers?.returners).toBe(1);
        expect(byEmail(fixture).get(returner.work_email)).toMatchObject({ active: true, [PEAKON_USER_SCHEMA]: expect.objectContaining({ Tenure: '2020-01-01' }) });
      })(),
    );
  });

  it('a rehire whose HR record keeps the old termination date is reactivated from their new start date, and the old Separation date is cleared; before it, they stay a leaver', async () => {
    // The sandbox follows Peakon's dates: a past Separation date is served inactive, as Peakon switches such people off.
    const fixture = await pipeline.fixture({ sandbox: { today: '2026-06-01' } });
    withoutLeaverGuard(fixture);
    mapTenure(fixture, { onlyOnCreate: false });
    const org = startedIn2020(generateOrg(5, 2));
    const [rehire, leaver] = leaves(org);
    if (!rehire || !leaver) throw new Error('the org has fewer than two leaves');
    Object.assign(rehire, { termination_date: '15/06/2026' });
    Object.assign(leaver, { termination_date: '15/06/2026' });
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync({ asOf: '2026-06-01' })).result()) as SyncReport).counts.created).toBe(5);
        // Their Separation date has passed: Peakon switches them off by itself, the run has nothing left to write.
        fixture.sandbox.setToday('2026-07-01');
        expect(((await (await fixture.startSync({ asOf: '2026-07-01' })).result()) as SyncReport).counts).toMatchObject({ failed: 0, updated: 0 });
        const servedActive = (employee: GeneratedEmployee, day: string) => servedWithDates(byEmail(fixture).get(employee.work_email) as ScimUser, day).active;
        expect([servedActive(rehire, '2026-07-01'), servedActive(leaver, '2026-07-01')]).toEqual([false, false]);

        // Hired again from November: the HR system says Active with the new start date, and still holds the old
        // termination date (as BambooHR does). The other leaver's record is unchanged: still a leaver.
        Object.assign(rehire, { status: 'Active', start_date: '01/11/2026' });
        fixture.writeEmployees(org);
        // Until the new start date they are between employments: the old termination still decides, nothing is written.
        fixture.sandbox.setToday('2026-10-01');
        const opsBetween = fixture.sandbox.ops().length;
        const between: SyncReport = await (await fixture.startSync({ asOf: '2026-10-01' })).result();
        expect(between.leavers?.returners ?? 0).toBe(0);
        expect(writesOf(fixture, opsBetween)).toEqual([]);
        expect(servedActive(rehire, '2026-10-01')).toBe(false);

        fixture.sandbox.setToday('2026-12-01');
        const back: SyncReport = await (await fixture.startSync({ asOf: '2026-12-01' })).result();
        expect(back.counts).toMatchObject({ failed: 0, created: 0 });
        expect(back.leavers?.returners).toBe(1);
        const returned = byEmail(fixture).get(rehire.work_email) as ScimUser;
        expect(returned.active).toBe(true);
        expect(returned[PEAKON_USER_SCHEMA]).toMatchObject({ Tenure: '2026-11-01' });
        expect(returned[PEAKON_USER_SCHEMA]?.['Separation date'] ?? null).toBeNull();
        expect(servedActive(rehire, '2026-12-01')).toBe(true);
        expect(servedActive(leaver, '2026-12-01')).toBe(false);

        // Stable: the next run writes nothing, and Peakon (which would switch off a past Separation date) keeps them on.
        const opsBefore = fixture.sandbox.ops().length;
        const again: SyncReport = await (await fixture.startSync({ asOf: '2026-12-02' })).result();
        expect(again.leavers?.returners ?? 0).toBe(0);
        expect(writesOf(fixture, opsBefore)).toEqual([]);
        expect(servedActive(rehire, '2026-12-02')).toBe(true);
      })(),
    );
  });

  it('a changed email is a rename, not a leaver and a new hire: the owned user is matched by HR id and updated in place; references to the person follow the rename by themselves (Peakon keeps a reference, not an email)', async () => {
    const fixture = await pipeline.fixture();
    withoutLeaverGuard(fixture);
    const org = generateOrg(8, 3);
    const managerIds = new Set(org.map((employee) => employee.manager_id));
    const manager = org.find((employee) => employee.manager_id !== '' && managerIds.has(employee.employee_id));
    if (!manager) throw new Error('the org has no middle manager');
    const reports = org.filter((employee) => employee.manager_id === manager.employee_id);
    const newEmail = manager.work_email.replace('@example.com', '@renamed.example.com');
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        const before = byEmail(fixture).get(manager.work_email) as ScimUser;
        fixture.writeEmployees(org.map((employee) => (employee === manager ? { ...employee, work_email: newEmail } : employee)));

        const preview: SyncReport = await (await fixture.startSync({ dryRun: true })).result();
        const line = preview.plan?.find((entry) => entry.employeeKey === newEmail);
        expect(line).toMatchObject({ action: 'update', status: 'planned', reason: expect.stringContaining('matched by HR id (externalId)') });
        expect(line?.error).toBeUndefined();
        expect(line?.changes.map((change) => change.field)).toEqual(expect.arrayContaining(['userName']));

        const opsBefore = fixture.sandbox.ops().length;
        const renamed: SyncReport = await (await fixture.startSync()).result();
        expect(renamed.counts).toMatchObject({ created: 0, updated: 1, deactivated: 0, failed: 0 });
        expect(writesOf(fixture, opsBefore).map((op) => `${op.method} ${op.path}`)).toEqual([`PATCH /scim/v2/Users/${before.id}`]);
        expect(fixture.sandbox.users()).toHaveLength(8);
        expect(byEmail(fixture).get(newEmail)).toMatchObject({ id: before.id, active: true, externalId: manager.employee_id });
        expect(byEmail(fixture).has(manager.work_email)).toBe(false);
        // No write named the new email before the rename ran (phase 2 does not order the updates): the reports' Manager
        // was left out of this run's writes. Peakon keeps a reference to the person, so it follows the rename by itself.
        const managerOf = (email: string) => (byEmail(fixture).get(email)?.[PEAKON_USER_SCHEMA] as Record<string, unknown> | undefined)?.Manager;
        for (const report of reports) expect(managerOf(report.work_email)).toBe(newEmail);

        // Nothing is left to write: the next run finds the reports' Manager as the HR read names it.
        const followUp: SyncReport = await (await fixture.startSync()).result();
        expect(followUp.counts).toMatchObject({ created: 0, updated: 0, deactivated: 0, failed: 0 });
        for (const report of reports) expect(managerOf(report.work_email)).toBe(newEmail);
      })(),
    );
  });

  it('sync --employee with the new email of a renamed person renames their owned user in place (one GET by HR id more), not a second user that the next whole-tenant run would switch off', async () => {
    const fixture = await pipeline.fixture();
    withoutLeaverGuard(fixture);
    const org = generateOrg(6, 2);
    const [person] = leaves(org);
    if (!person) throw new Error('the org has no leaves');
    const newEmail = person.work_email.replace('@example.com', '@renamed.example.com');
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        const before = byEmail(fixture).get(person.work_email) as ScimUser;
        fixture.writeEmployees(org.map((employee) => (employee === person ? { ...employee, work_email: newEmail } : employee)));

        const opsBefore = fixture.sandbox.ops().length;
        const single: SyncReport = await (await fixture.startSync({ employeeKey: newEmail })).result();
        expect(single.counts).toMatchObject({ created: 0, updated: 1, failed: 0 });
        // The key lookup (nobody has the new email), the lookup by HR id, the lookup of their Manager's email (whoever
        // holds it must be that person: test/workflows/single-employee-held-reference.test.ts), and the rename's PATCH.
        const ops = fixture.sandbox.ops().slice(opsBefore).filter((op) => op.path.includes('/Users'));
        const manager = org.find((employee) => employee.employee_id === person.manager_id);
        expect(ops.map((op) => op.method)).toEqual(['GET', 'GET', 'GET', 'PATCH']);
        expect(decodeURIComponent(ops[2]?.path ?? '')).toContain(`"${manager?.work_email ?? '?'}"`);
        expect(ops[3]?.path).toBe(`/scim/v2/Users/${before.id}`);
        expect(fixture.sandbox.users()).toHaveLength(6);
        expect(byEmail(fixture).get(newEmail)).toMatchObject({ id: before.id, active: true, externalId: person.employee_id });
        expect(byEmail(fixture).has(person.work_email)).toBe(false);

        // The next whole-tenant run finds the person by their new email: no leaver, no create.
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.counts).toMatchObject({ created: 0, deactivated: 0, failed: 0 });
        expect(fixture.sandbox.users().every((user) => user.active !== false)).toBe(true);
        expect(fixture.sandbox.users()).toHaveLength(6);
      })(),
    );
  });

  it('separate with the separation attributes unmapped: the HR termination date is the separation date, and a returner\'s separation is cleared', async () => {
    const fixture = await pipeline.fixture();
    withoutLeaverGuard(fixture);
    // Only leavers.terminationDate reads the HR date; the mapping leaves both separation attributes to the connector.
    const { 'Separation date': _date, 'Separation reason': _reason, ...attributes } = fixture.config.mapping.attributes;
    fixture.config.mapping = { ...fixture.config.mapping, attributes };
    fixture.config.leavers = { ...fixture.config.leavers, action: 'separate', terminationDate: { field: 'termination_date', date: 'DD/MM/YYYY', trim: true, onlyOnCreate: false }, separation: { dateAttribute: 'Separation date', reasonAttribute: 'Separation reason', reason: 'Voluntary' } };
    const org = generateOrg(6, 2);
    const [leaving] = leaves(org);
    if (!leaving) throw new Error('the org has no leaves');
    const employed = leaving.termination_date;
    leaving.termination_date = '15/12/2026';
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync({ asOf: '2026-12-01' })).result()) as SyncReport).counts.created).toBe(6);
        // Five days after the termination date: the separation date is the HR system's, not the run's day.
        expect(((await (await fixture.startSync({ asOf: '2026-12-20' })).result()) as SyncReport).counts.deactivated).toBe(1);
        const gone = byEmail(fixture).get(leaving.work_email) as ScimUser;
        expect(gone.active).toBe(false);
        expect(gone[PEAKON_USER_SCHEMA]).toMatchObject({ 'Separation date': '2026-12-15', 'Separation reason': 'Voluntary' });

        // Rehired: the HR system drops the termination date. The connector clears what it wrote, because no mapping does.
        leaving.termination_date = employed;
        fixture.writeEmployees(org);
        const back: SyncReport = await (await fixture.startSync({ asOf: '2026-12-21' })).result();
        expect(back.leavers?.returners).toBe(1);
        const returned = byEmail(fixture).get(leaving.work_email) as ScimUser;
        expect(returned.active).toBe(true);
        expect(returned[PEAKON_USER_SCHEMA]?.['Separation date'] ?? null).toBeNull();
        expect(returned[PEAKON_USER_SCHEMA]?.['Separation reason'] ?? null).toBeNull();
      })(),
    );
  });

  it('separate: a returner synced by sync --employee or by sync.discovery: filter has the separation cleared too, so Peakon keeps them active', async () => {
    // The sandbox follows Peakon's dates: a past Separation date is served inactive, as Peakon switches such people off.
    const fixture = await pipeline.fixture({ sandbox: { today: '2026-12-01' } });
    withoutLeaverGuard(fixture);
    const { 'Separation date': _date, 'Separation reason': _reason, ...attributes } = fixture.config.mapping.attributes;
    fixture.config.mapping = { ...fixture.config.mapping, attributes };
    fixture.config.leavers = { ...fixture.config.leavers, action: 'separate', terminationDate: { field: 'termination_date', date: 'DD/MM/YYYY', trim: true, onlyOnCreate: false }, separation: { dateAttribute: 'Separation date', reasonAttribute: 'Separation reason', reason: 'Voluntary' } };
    const org = generateOrg(6, 2);
    const [single, discovered] = leaves(org);
    if (!single || !discovered) throw new Error('the org has fewer than two leaves');
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync({ asOf: '2026-12-01' })).result()) as SyncReport).counts.created).toBe(6);
        for (const employee of [single, discovered]) employee.termination_date = '15/12/2026';
        fixture.writeEmployees(org);
        fixture.sandbox.setToday('2026-12-20');
        expect(((await (await fixture.startSync({ asOf: '2026-12-20' })).result()) as SyncReport).counts.deactivated).toBe(2);
        for (const employee of [single, discovered]) expect(byEmail(fixture).get(employee.work_email)?.[PEAKON_USER_SCHEMA]).toMatchObject({ 'Separation date': '2026-12-15' });

        // Rehired: the HR system drops the termination date. Before, only a whole-tenant run cleared the separation, and
        // these runs' reactivation did not last (Peakon switched them off again for the past Separation date).
        for (const employee of [single, discovered]) employee.termination_date = '';
        fixture.writeEmployees(org);
        fixture.sandbox.setToday('2026-12-21');
        const one: SyncReport = await (await fixture.startSync({ asOf: '2026-12-21', employeeKey: single.work_email })).result();
        expect(one.counts).toMatchObject({ updated: 1, created: 0, failed: 0 });
        fixture.config.sync = { ...fixture.config.sync, discovery: 'filter' };
        const filtered: SyncReport = await (await fixture.startSync({ asOf: '2026-12-21' })).result();
        expect(filtered.counts).toMatchObject({ created: 0, failed: 0 });
        expect(filtered.counts.updated).toBeGreaterThanOrEqual(1);
        for (const employee of [single, discovered]) {
          const back = byEmail(fixture).get(employee.work_email) as ScimUser;
          expect(back.active).toBe(true);
          expect(back[PEAKON_USER_SCHEMA]?.['Separation date'] ?? null).toBeNull();
          expect(back[PEAKON_USER_SCHEMA]?.['Separation reason'] ?? null).toBeNull();
          expect(servedWithDates(back, '2026-12-21').active).toBe(true);
        }
        // Stable: the next filter run finds them active and writes nothing for them.
        const opsBefore = fixture.sandbox.ops().length;
        await (await fixture.startSync({ asOf: '2026-12-22' })).result();
        expect(writesOf(fixture, opsBefore)).toEqual([]);
      })(),
    );
  });

  it('keeps a future termination date active, also when the HR status already says Terminated; the first run on or after that date (the run\'s clock, injected) deactivates', async () => {
    const fixture = await pipeline.fixture();
    withoutLeaverGuard(fixture);
    const org = generateOrg(6, 2);
    const [leaving, onNotice] = leaves(org);
    if (!leaving || !onNotice) throw new Error('the org has fewer than two leaves');
    leaving.termination_date = '15/12/2026';
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first: SyncReport = await (await fixture.startSync({ asOf: '2026-12-01' })).result();
        expect(first.counts.created).toBe(6);
        // The HR system marks someone Terminated as soon as their termination is entered, with the date ahead: the date
        // decides, as for everyone (before, the status deactivated them at once).
        onNotice.status = 'Terminated';
        onNotice.termination_date = '15/12/2026';
        // Someone hired for a short contract, entered already Terminated with the end date: created, active until then.
        const contractor = { ...(org[1] as GeneratedEmployee), employee_id: 'H9200', employee_number: '79200', work_email: 'short.contract@example.com', status: 'Terminated', termination_date: '15/12/2026' };
        org.push(contractor);
        fixture.writeEmployees(org);
        const before: SyncReport = await (await fixture.startSync({ asOf: '2026-12-14' })).result();
        // Updated: the sample mapping writes the termination date as Peakon's Separation date.
        expect(before.counts).toMatchObject({ deactivated: 0, updated: 1, created: 1 });
        expect(byEmail(fixture).get(contractor.work_email)?.active).toBe(true);
        expect(byEmail(fixture).get(leaving.work_email)?.active).toBe(true);
        expect(byEmail(fixture).get(onNotice.work_email)?.active).toBe(true);
        expect(before.warnings).toContainEqual(expect.stringContaining('inactive in the HR system, but leaving on 2026-12-15: active in Peakon until then'));
        // A single-employee sync knows the date as well (before, it deactivated them as an ordinary update).
        const singleBefore: SyncReport = await (await fixture.startSync({ asOf: '2026-12-14', employeeKey: onNotice.work_email })).result();
        expect(singleBefore.counts).toMatchObject({ updated: 0, failed: 0 });
        expect(byEmail(fixture).get(onNotice.work_email)?.active).toBe(true);
        const due: SyncReport = await (await fixture.startSync({ asOf: '2026-12-15' })).result();
        expect(due.counts.deactivated).toBe(3);
        expect(byEmail(fixture).get(contractor.work_email)?.active).toBe(false);
        expect(byEmail(fixture).get(leaving.work_email)?.active).toBe(false);
        expect(byEmail(fixture).get(onNotice.work_email)?.active).toBe(false);

        // A single-employee sync cannot decide leavers, but it knows the date too: it neither brings the leaver back
        // (their HR status still says Active) nor creates someone whose termination date has come.
        const opsBefore = fixture.sandbox.ops().length;
        const single: SyncReport = await (await fixture.startSync({ asOf: '2026-12-16', employeeKey: leaving.work_email })).result();
        expect(single.planned).toMatchObject({ unchanged: 1, update: 0 });
        expect(single.counts).toMatchObject({ updated: 0, created: 0, failed: 0 });
        expect(byEmail(fixture).get(leaving.work_email)?.active).toBe(false);
        // Its line says why as a reason, not an error: nothing failed (a script counting lines with `error` as failures
        // must count none).
        const singleLine = reportLines(single).get(leaving.work_email);
        expect(singleLine).toMatchObject({ action: 'unchanged', status: 'unchanged', reason: expect.stringContaining('already inactive') });
        expect(singleLine?.error).toBeUndefined();
        const gone = { ...(org[1] as GeneratedEmployee), employee_id: 'H9100', employee_number: '79100', work_email: 'left.before.start@example.com', termination_date: '01/12/2026' };
        fixture.writeEmployees([...org, gone]);
        const notCreated: SyncReport = await (await fixture.startSync({ asOf: '2026-12-16', employeeKey: gone.work_email })).result();
        expect(notCreated.planned).toMatchObject({ skip: 1, create: 0, discover: 0 });
        expect(notCreated.counts).toMatchObject({ created: 0, failed: 0 });
        expect(byEmail(fixture).has(gone.work_email)).toBe(false);
        expect(writesOf(fixture, opsBefore)).toEqual([]);
      })(),
    );
  });
});
