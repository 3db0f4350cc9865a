import { connectToDevServer, withWorker, type TemporalTestContext } from '../harness/temporal';

describe('Temporal dev server harness', () => {
  let temporal: TemporalTestContext;
  beforeAll(async () => {
    temporal = await connectToDevServer();
  });
  afterAll(async () => {
    await temporal.close();
  });

  it('runs a real workflow whose real activity executes in this process', async () => {
    const calls: string[] = [];
    const result = await withWorker(
      {
        connection: temporal.nativeConnection,
        taskQueue: temporal.taskQueue,
        workflowsPath: require.resolve('../harness/smoke-workflows'),
        activities: {
          async greet(name: string) {
            calls.push(name);
            return `hello ${name}`;
          },
        },
      },
      () =>
        temporal.client.workflow.execute('smokeWorkflow', {
          taskQueue: temporal.taskQueue,
          workflowId: `smoke-${temporal.taskQueue}`,
          args: ['peakon'],
        }),
    );
    expect(result).toBe('hello peakon');
    expect(calls).toEqual(['peakon']);
  });
});
