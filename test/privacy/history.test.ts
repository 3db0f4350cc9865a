import { temporal } from '@temporalio/proto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { employeeRef } from '../../sync/employee-ref';
import type { SyncReport } from '../../sync/report';
import { employeeRefKeyFromEnv } from '../../worker/create-worker';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

/**
 * Issue: HR data never appears in plain text in Temporal. These tests read what Temporal stores — raw history bytes
 * fetched without the codec, workflow IDs, memo and search attributes — and the payload store's files.
 */
describe('what Temporal holds of a run', () => {
  const pipeline = usePipelineTests();

  it('holds no email, name, date of birth or attribute value in any history, ID, memo or search attribute, and no token', async () => {
    // Every create lands but its answer is lost: the retried POST is answered 409 with a message naming the email, so
    // the history holds an activity failure whose message is personal data (it must be encrypted like any payload).
    const fixture = await pipeline.fixture({ sandbox: { faults: { seed: 5, commitThenFailRate: 1 } } });
    const employees = generateOrg(60, 4);
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
    const personal = employees.flatMap((employee) => {
      const [day, month, year] = employee.date_of_birth.split('/');
      return [employee.work_email, `${employee.first_name} ${employee.last_name}`, `${year}-${month}-${day}`, employee.team];
    });
    const workflows = [];
    for await (const execution of client.workflow.list({ query: `WorkflowId STARTS_WITH "${handle.workflowId}"` })) workflows.push(execution);
    // The run, its partitions, and one child per employee and phase that wrote something.
    expect(workflows.length).toBeGreaterThan(60);
    // Employee refs in IDs are keyed by the encryption key: each created employee's child carries the keyed ref, and no
    // ID carries the unkeyed one anybody could compute from a guessed email.
    const { employeeRefKey } = employeeRefKeyFromEnv();
    expect(employeeRefKey).toBeDefined();
    const ids = workflows.map((execution) => execution.workflowId).join('\n');
    for (const employee of employees.filter((_, index) => index !== 5)) {
      expect(ids).toContain(employeeRef(employeeRefKey, fixture.config.tenant, employee.work_email));
      expect(ids).not.toContain(employeeRef(undefined, fixture.config.tenant, employee.work_email));
    }
    let failureEvents = 0;
    for (const execution of workflows) {
      expect(execution.workflowId).not.toMatch(/@/);
      const description = await client.workflow.getHandle(execution.workflowId, execution.runId).describe();
      const visible = JSON.stringify({ memo: description.memo, searchAttributes: description.typedSearchAttributes, id: description.workflowId });
      for (const value of personal) expect(visible).not.toContain(value);
      const history = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: execution.workflowId, runId: execution.runId } });
      const raw = Buffer.from(temporal.api.history.v1.History.encode(history.history ?? {}).finish()).toString('latin1');
      for (const value of [...personal, fixture.sandbox.token]) expect(raw).not.toContain(value);
      failureEvents += (history.history?.events ?? []).filter((event) => event.activityTaskFailedEventAttributes?.failure).length;
    }
    // The 409s really reached history as activity failures (one per employee), and the sandbox's answers named emails.
    expect(failureEvents).toBeGreaterThanOrEqual(59);
    expect(fixture.sandbox.ops().filter((op) => op.method === 'POST' && op.status === 409)).toHaveLength(59);

    // Large payloads (the plan) went to the payload store, encrypted before they were stored.
    const store = (process.env.PEAKON_SYNC_PAYLOAD_STORE ?? '').replace(/^local:/, '');
    const files = readdirSync(store, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = readFileSync(path.join(file.parentPath, file.name)).toString('latin1');
      for (const value of personal.slice(0, 20)) expect(bytes).not.toContain(value);
    }
  });
});
