/**
 * `sync --employee <key>` for a person whose HR record is invalid fails at planning, naming the record (the CSV row)
 * and every problem of it, field and message (the first few, the rest counted): one run tells all there is to fix.
 * End to end: Temporal dev server, sandbox over real HTTP (the message's cap: test/unit/invalid-employee-message.test.ts).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

/** The deepest message of a failure chain: the plan activity's own. */
function rootMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

describe('a single-employee sync of an invalid HR record', () => {
  const pipeline = usePipelineTests();

  it('fails naming the row and each invalid field', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(4, 2);
    const index = 2;
    const invalid = org[index]!;
    // Another record's bad field is not this record's problem.
    fixture.writeEmployees(org.map((employee, at) => (at === index ? { ...employee, date_of_birth: 'not a date', locale: 'not a locale', timezone: 'Mars/Olympus' } : at === 1 ? { ...employee, date_of_birth: 'also not a date' } : employee)));
    const workers = await fixture.startWorkers();
    const failed = await workers.runUntil((async () => (await fixture.startSync({ employeeKey: invalid.work_email })).result().then(() => undefined, (error: unknown) => error))());
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    const message = rootMessage(failed);
    // The header is row 1, so the record at index 2 is row 4.
    expect(message).toMatch(new RegExp(`^employee ${invalid.work_email.replace(/[.]/g, '\\.')} is invalid in the HR system: row ${index + 2} has 3 problems: \\(1\\) `));
    expect(message).toContain('Date of Birth');
    expect(message).toMatch(/Locale/i);
    expect(message).toMatch(/Timezone/i);
    expect(message).not.toContain('also not a date');
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET')).toEqual([]);
  });
});
