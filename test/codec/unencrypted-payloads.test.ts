import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { AesGcmPayloadCodec } from '../../codec/aes-gcm-codec';
import { connectorDataConverter } from '../../codec/data-converter';
import { readEncryptionKeys } from '../../codec/keys';
import type { CodecTestEmployee } from '../harness/codec-workflows';
import { connectToDevServer, TEST_NAMESPACE, withWorker, type TemporalTestContext } from '../harness/temporal';
import { eventually } from '../harness/wait';

const ada: CodecTestEmployee = { email: 'ada@example.com', givenName: 'Ada', dateOfBirth: '1815-12-10' };

/**
 * A worker with a key runs only what was encrypted with it: a client without the key (here one started with the
 * explicit opt-out) cannot feed it plain HR data. Real worker, real dev server; the client is the connector's own
 * converter, keyless.
 */
describe('a worker with a key and a client without one', () => {
  let devServer: TemporalTestContext;
  beforeAll(async () => {
    devServer = await connectToDevServer();
  });
  afterAll(async () => {
    await devServer?.close();
  });

  it('refuses the plain workflow input: the workflow task fails, no activity sees the employee, the failure names no data', async () => {
    const keys = readEncryptionKeys();
    if (!keys) throw new Error('globalSetup sets PEAKON_SYNC_ENCRYPTION_KEY for every test file');
    const plainClient = new Client({ connection: devServer.connection, namespace: TEST_NAMESPACE, dataConverter: connectorDataConverter({ PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS: '1' }) });
    const described: CodecTestEmployee[] = [];
    const workflowId = `plain-input-${devServer.taskQueue}`;
    const failure = await withWorker(
      {
        connection: devServer.nativeConnection,
        taskQueue: devServer.taskQueue,
        workflowsPath: require.resolve('../harness/codec-workflows'),
        activities: {
          describeEmployee: async (employee: CodecTestEmployee) => {
            described.push(employee);
            return employee.email;
          },
        },
      },
      async () => {
        const handle = await plainClient.workflow.start('echoEmployeeWorkflow', { taskQueue: devServer.taskQueue, workflowId, args: [ada] });
        try {
          return await eventually('a failed workflow task', async () => {
            const { history } = await devServer.client.workflowService.getWorkflowExecutionHistory({ namespace: TEST_NAMESPACE, execution: { workflowId } });
            const events = history?.events ?? [];
            if (events.some((event) => event.workflowExecutionCompletedEventAttributes)) throw new Error('the worker ran the plain input to completion');
            return events.find((event) => event.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure ?? undefined;
          });
        } finally {
          await handle.terminate('test done');
        }
      },
    );
    expect(described).toEqual([]);
    // The worker's failure converter encrypts the message like any payload: read it with the key.
    const encoded = failure.encodedAttributes;
    const attributes = encoded ? (defaultPayloadConverter.fromPayload((await new AesGcmPayloadCodec(keys).decode([encoded as Payload]))[0] as Payload) as { message: string; stack_trace?: string }) : { message: failure.message ?? '' };
    expect(attributes.message).toMatch(/refusing an unencrypted payload: PEAKON_SYNC_ENCRYPTION_KEY is set here/);
    const everything = JSON.stringify(temporal.api.failure.v1.Failure.toObject(temporal.api.failure.v1.Failure.create(failure))) + JSON.stringify(attributes);
    for (const personal of [ada.email, ada.givenName, ada.dateOfBirth]) expect(everything).not.toContain(personal);
  });
});
