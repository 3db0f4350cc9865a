import type { ConnectedClient } from '../../client/temporal-client';
import { warnWhileWaiting } from '../../client/temporal-client';
import { eventually } from '../harness/wait';

/**
 * warnWhileWaiting against a scripted DescribeTaskQueue (the end-to-end case with a killed worker process is in
 * test/e2e/operator-cli.test.ts): a listed worker whose last access time stops moving counts as gone.
 */
describe('warnWhileWaiting while workers come and go', () => {
  /** A client whose task queue lists `pollers()` (identity → last access, ms) at each call, counting the calls. */
  function scripted(pollers: () => Record<string, number> | Error, taskAttempt: () => number | undefined = () => undefined): { connected: ConnectedClient; calls: () => number } {
    let calls = 0;
    const describeTaskQueue = async () => {
      calls += 1;
      const listed = pollers();
      if (listed instanceof Error) throw listed;
      return { pollers: Object.entries(listed).map(([identity, ms]) => ({ identity, lastAccessTime: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } })) };
    };
    // The run's pending workflow task at its attempt, as DescribeWorkflowExecution reports it.
    const describeWorkflowExecution = async () => {
      const attempt = taskAttempt();
      return attempt === undefined ? {} : { pendingWorkflowTask: { attempt } };
    };
    const connection = { withDeadline: <T>(_deadline: number, call: () => Promise<T>) => call() };
    const connected = { client: { workflowService: { describeTaskQueue, describeWorkflowExecution }, connection }, namespace: 'default', address: 'temporal.example:7233', close: async () => undefined } as unknown as ConnectedClient;
    return { connected, calls: () => calls };
  }

  it('warns once when the listed worker stops polling, once when one polls again, again when it goes; one describe per check; stops when the run settles', async () => {
    let phase: 'alive' | 'dead' | 'back' | 'dead again' = 'alive';
    let clock = 1_000_000;
    const { connected, calls } = scripted((): Record<string, number> => {
      if (phase === 'alive') return { 'w1@host': (clock += 1000) };
      if (phase === 'dead') return { 'w1@host': clock }; // still listed, its time frozen (as the server does)
      if (phase === 'back') return { 'w1@host': clock, 'w2@host': (clock += 1000) };
      return { 'w1@host': clock - 1000, 'w2@host': clock };
    });
    const lines: string[] = [];
    let finish: () => void = () => undefined;
    const run = new Promise<void>((resolve) => (finish = resolve));
    warnWhileWaiting(connected, 'q1', run, { write: (text: string) => lines.push(text) }, { intervalMs: 5, silentAfterMs: 100 });
    const where = 'task queue "q1" on temporal.example:7233 (namespace default)';
    const gone = `no worker is polling ${where} any more (none polled for 0 s: stopped, killed or cut off?): start one with \`peakon-sync worker\`; the run continues when one polls\n`;
    await eventually('a few checks', async () => (calls() >= 5 ? true : undefined), 10_000, 5);
    expect(lines).toEqual([]);
    phase = 'dead';
    await eventually('the gone hint', async () => (lines.length === 1 ? true : undefined), 10_000, 5);
    expect(lines).toEqual([gone]);
    phase = 'back';
    await eventually('the back hint', async () => (lines.length === 2 ? true : undefined), 10_000, 5);
    expect(lines[1]).toBe(`a worker is polling ${where} again\n`);
    phase = 'dead again';
    await eventually('the second gone hint', async () => (lines.length === 3 ? true : undefined), 10_000, 5);
    expect(lines[2]).toBe(gone);
    // Still silent: said once per drop, not once per check.
    const checked = calls();
    await eventually('more checks', async () => (calls() >= checked + 30 ? true : undefined), 10_000, 5);
    expect(lines).toHaveLength(3);
    finish();
    await run;
    const atEnd = calls();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls()).toBeLessThanOrEqual(atEnd + 1);
  });

  it('at start: the start-up hint when nobody is listed, "now" when one comes; a server that cannot tell says nothing', async () => {
    let listed: Record<string, number> | Error = {};
    const { connected } = scripted(() => listed);
    const lines: string[] = [];
    let finish: () => void = () => undefined;
    warnWhileWaiting(connected, 'q2', new Promise<void>((resolve) => (finish = resolve)), { write: (text: string) => lines.push(text) }, { intervalMs: 5, silentAfterMs: 60_000 });
    await eventually('the start-up hint', async () => (lines.length === 1 ? true : undefined), 10_000, 5);
    expect(lines).toEqual(['no worker is polling task queue "q2" on temporal.example:7233 (namespace default): start one with `peakon-sync worker`\n']);
    listed = new Error('unavailable');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines).toHaveLength(1);
    listed = { 'w@host': Date.now() };
    await eventually('the now hint', async () => (lines.length === 2 ? true : undefined), 10_000, 5);
    expect(lines[1]).toBe('a worker is polling task queue "q2" on temporal.example:7233 (namespace default) now\n');
    finish();
  });

  it('names a failing workflow task only past its second attempt: a task left at attempt 2 by a killed worker is not one', async () => {
    let attempt = 2;
    const { connected } = scripted(() => ({ 'w@host': Date.now() }), () => attempt);
    const lines: string[] = [];
    let finish: () => void = () => undefined;
    warnWhileWaiting(connected, 'q3', new Promise<void>((resolve) => (finish = resolve)), { write: (text: string) => lines.push(text) }, { runId: 'peakon-sync/acme/run', intervalMs: 5, silentAfterMs: 60_000 });
    // Many checks at attempt 2 with a worker polling: nothing said.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines).toEqual([]);
    attempt = 3;
    await eventually('the failing-task hint', async () => (lines.length === 1 ? true : undefined), 10_000, 5);
    expect(lines[0]).toMatch(/^the workflow task of peakon-sync\/acme\/run keeps failing on the worker polling task queue "q3" .*\(attempt 3\)/);
    finish();
  });
});
