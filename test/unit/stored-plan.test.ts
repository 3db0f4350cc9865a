import path from 'node:path';
import { planWorkActivities } from '../../activities/plan-work';
import { loadConfigFile } from '../../config/load';
import { mapEmployees } from '../../mapping/map';
import type { ScimUser } from '../../scim/resources';
import { planPageStore, storePlan, type PlanPageStore } from '../../storage/plan-pages';
import { LocalStorageDriver } from '../../storage/local-driver';
import { connectorDataConverter } from '../../codec/data-converter';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { employeeRefFor } from '../../sync/employee-ref';
import { createStepsOfWave, createWorkOfWave, missingPeople, updateSteps, updateWork } from '../../sync/phases';
import { buildPlan, type PlanEntry } from '../../sync/plan';
import { PLAN_PAGE_SIZE } from '../../sync/stored-plan';
import type { EmployeeOutcome, UpdateMethod } from '../../sync/types';
import { generateOrg } from '../fixtures/org';

/**
 * A stored plan gives the parent light entries and the partitions steps into pages; the work a partition then loads
 * must be exactly what the parent would have built from the whole plan (the path runs that started before stored plans
 * still take). Pure functions and the real loader activity over an in-memory page store (the payload store's own
 * tests cover the folder and S3 drivers).
 */
function memoryPages(): PlanPageStore & { reads: string[] } {
  const pages = new Map<string, string>();
  const reads: string[] = [];
  return {
    location: 'memory',
    reads,
    async put(entries) {
      const key = `page-${pages.size}`;
      pages.set(key, JSON.stringify(entries));
      return key;
    },
    async get(key) {
      reads.push(key);
      const page = pages.get(key);
      if (!page) throw new Error(`no page ${key}`);
      return JSON.parse(page) as PlanEntry[];
    },
  };
}

function planOf(size: number): PlanEntry[] {
  const config = loadConfigFile(path.resolve('examples/sample-config.yaml'));
  // 20 levels: creates run in at most 16 waves, so the deepest managers are created in their reports' wave and those
  // reports' Manager waits for phase 2.
  const { employees } = mapEmployees(generateOrg(size, 20) as unknown as Record<string, unknown>[], config);
  // A fifth of them already in Peakon with another department: planned updates next to the creates.
  const current = employees.filter((_, index) => index % 5 === 0).map((employee, index): ScimUser => ({ ...employee.user, id: `u-${index}`, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Elsewhere' } }) as ScimUser);
  return buildPlan(employees, current, { matchingKey: 'email', updateMethod: 'patch', refOf: employeeRefFor(undefined, 'acme') }).entries;
}

describe('a stored plan', () => {
  const full = planOf(1_400);

  it('hands the parent light entries: no bodies, no changes, a third of the bytes or less', async () => {
    const { entries, stored } = await storePlan(memoryPages(), full);
    expect(entries).toHaveLength(full.length);
    expect(stored.pages).toHaveLength(Math.ceil(full.length / PLAN_PAGE_SIZE));
    expect(full.some((entry) => entry.update)).toBe(true);
    for (const entry of entries) {
      expect(entry).not.toHaveProperty('changes');
      expect(entry.create ?? {}).not.toHaveProperty('createBody');
      expect(entry.update ?? {}).not.toHaveProperty('write');
    }
    expect(JSON.stringify(entries).length * 3).toBeLessThan(JSON.stringify(full).length);
  });

  it('gives each wave\'s partition the same create work as the whole plan would, reading one or two pages', async () => {
    const pages = memoryPages();
    const { entries, stored } = await storePlan(pages, full);
    const { loadCreateWork } = planWorkActivities({ reportDirectory: '', resolveSecret: () => '', createSource: () => { throw new Error('unused'); }, planPages: pages });
    // Some creates of wave 1 failed: wave 2's references to them are left out.
    const outcomes = new Map<string, EmployeeOutcome>();
    full.forEach((entry, index) => {
      if (entry.create && entry.wave === 1) outcomes.set(entry.ref, { ref: entry.ref, employeeKey: entry.employeeKey, phase: 'create', status: index % 3 === 0 ? 'failed' : 'created', peakonUserId: `p-${index}`, operations: 1 });
      if (entry.create && entry.wave === 0) outcomes.set(entry.ref, { ref: entry.ref, employeeKey: entry.employeeKey, phase: 'create', status: 'created', peakonUserId: `p-${index}`, operations: 1 });
    });
    const waves = Math.max(...full.map((entry) => entry.wave)) + 1;
    let dropped = 0;
    for (let wave = 0; wave < waves; wave += 1) {
      const missing = missingPeople(entries, outcomes, wave);
      const expected = createWorkOfWave(full, wave, missingPeople(full, outcomes, wave));
      const { steps, warnings } = createStepsOfWave(entries, wave, missing);
      expect(warnings).toEqual(expected.warnings);
      dropped += steps.filter((step) => step.drop).length;
      for (let start = 0; start < steps.length; start += 200) {
        pages.reads.length = 0;
        expect(await loadCreateWork({ plan: stored, steps: steps.slice(start, start + 200) })).toEqual(expected.work.slice(start, start + 200));
        expect(pages.reads.length).toBeLessThanOrEqual(2);
      }
    }
    expect(dropped).toBeGreaterThan(0);
  });

  it.each<UpdateMethod>(['patch', 'put'])('gives phase 2 the same %s writes as the whole plan would', async (method) => {
    const pages = memoryPages();
    const { entries, stored } = await storePlan(pages, full);
    const { loadUpdateWork } = planWorkActivities({ reportDirectory: '', resolveSecret: () => '', createSource: () => { throw new Error('unused'); }, planPages: pages });
    // Every create landed but one in seven; references deferred to phase 2 that name a failed create are left out.
    const outcomes = new Map<string, EmployeeOutcome>();
    full.forEach((entry, index) => {
      if (entry.create) outcomes.set(entry.ref, { ref: entry.ref, employeeKey: entry.employeeKey, phase: 'create', status: index % 7 === 0 ? 'failed' : 'created', peakonUserId: `p-${index}`, operations: 1 });
    });
    const expected = updateWork(full, outcomes, missingPeople(full, outcomes), method);
    const { steps, warnings } = updateSteps(entries, outcomes, missingPeople(entries, outcomes));
    expect(steps.map((step) => step.kind)).toEqual(expect.arrayContaining(['planned', 'deferred']));
    expect(warnings).toEqual(expected.warnings);
    expect(await loadUpdateWork({ plan: stored, steps, updateMethod: method })).toEqual(expected.work);
    // A created person's deferred references are Peakon attributes, flagged as such (the plan's core-field checks skip them).
    const deferredChanges = expected.work.filter((work) => work.createdThisRun).flatMap((work) => work.changes);
    expect(deferredChanges.length).toBeGreaterThan(0);
    expect(deferredChanges.filter((change) => change.peakon !== true)).toEqual([]);
  });
});

describe('stored plan pages in the payload store', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'peakon-plan-pages-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  // The worker's own page store: the folder driver and the connector's codec (the test run's key).
  const [codec] = connectorDataConverter(process.env).payloadCodecs ?? [];
  if (!codec) throw new Error('no payload codec');
  const pages = planPageStore(new LocalStorageDriver({ directory: folder }), codec);

  it('reads back every page of a real plan (creates, updates, waves) as written', async () => {
    const full = planOf(700);
    const { stored } = await storePlan(pages, full);
    const read = (await Promise.all(stored.pages.map((key) => pages.get(key)))).flat();
    expect(read).toHaveLength(full.length);
    expect(new Set(read.map((entry) => entry.ref))).toEqual(new Set(full.map((entry) => entry.ref)));
  });

  it('refuses a page whose entries this version cannot use, naming the page, entry and field but no value', async () => {
    const [entry] = planOf(3).filter((candidate) => candidate.create);
    if (!entry?.create) throw new Error('the plan has no create');
    const { createBody: _dropped, ...createWithoutBody } = entry.create;
    const key = await pages.put([{ ...entry, create: createWithoutBody } as unknown as PlanEntry]);
    const refused = await pages.get(key).then(() => undefined, (error: unknown) => error as Error);
    expect(refused?.message).toContain(`plan page ${key}`);
    expect(refused?.message).toContain('0.create.createBody');
    expect(refused?.message).not.toContain(entry.employeeKey);
  });

  it.each([
    ['a PATCH without its operations', { method: 'patch' }, '0.update.write.operations'],
    ['a PUT without its body', { method: 'put', operations: [] }, '0.update.write.body'],
    ['a write method this version does not know', { method: 'merge', operations: [] }, '0.update.write.method'],
  ])('refuses an update write this version cannot send (%s), naming the field', async (_what, write, field) => {
    const [entry] = planOf(3);
    if (!entry) throw new Error('the plan is empty');
    const update = { ref: entry.ref, employeeKey: entry.employeeKey, peakonUserId: 'u-1', write, references: {}, changes: [] };
    const key = await pages.put([{ ...entry, action: 'update', update } as unknown as PlanEntry]);
    const refused = await pages.get(key).then(() => undefined, (error: unknown) => error as Error);
    expect(refused?.message).toContain(`plan page ${key}`);
    expect(refused?.message).toContain(field);
  });
});

