// Runs test/harness/storage-workflows.ts on the dev server with external storage on worker and client, and returns
// what a reader of the raw history (no data converter) sees.
import { Client } from '@temporalio/client';
import { ExternalStorage } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { TEST_NAMESPACE, withWorker, type TemporalTestContext } from '../harness/temporal';

export const PERSONAL_MARKER = 'ada@example.com';

/** About `bytes` characters of text that contains the marker (an email stands in for personal data). */
export function largeText(bytes: number): string {
  const line = `employee ${PERSONAL_MARKER} Ada Lovelace, Engineering\n`;
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

export interface RoundTrip {
  result: string;
  /** The whole raw history response, protobuf-encoded: what Temporal stores and shows without a codec. */
  rawHistoryBytes: Buffer;
  /** Payloads of ActivityTaskCompleted results and the WorkflowExecutionCompleted result, as stored in history. */
  resultPayloads: proto.api.common.v1.IPayload[];
}

export async function runLargePayloadWorkflow(
  temporal: TemporalTestContext,
  externalStorage: ExternalStorage,
  bytes = 300 * 1024,
): Promise<RoundTrip> {
  const client = new Client({
    connection: temporal.connection,
    namespace: TEST_NAMESPACE,
    dataConverter: { externalStorage },
  });
  const workflowId = `large-payload-${temporal.taskQueue}`;
  const result = await withWorker(
    {
      connection: temporal.nativeConnection,
      namespace: TEST_NAMESPACE,
      taskQueue: temporal.taskQueue,
      workflowsPath: require.resolve('../harness/storage-workflows'),
      activities: { makeLargeText: async (size: number) => largeText(size) },
      dataConverter: { externalStorage },
    },
    () =>
      client.workflow.execute('largePayloadWorkflow', {
        taskQueue: temporal.taskQueue,
        workflowId,
        args: [bytes],
      }),
  );
  const history = await temporal.client.workflowService.getWorkflowExecutionHistory({
    namespace: TEST_NAMESPACE,
    execution: { workflowId },
  });
  const rawHistoryBytes = Buffer.from(
    proto.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse.encode(history).finish(),
  );
  const resultPayloads: proto.api.common.v1.IPayload[] = [];
  for (const event of history.history?.events ?? []) {
    resultPayloads.push(...(event.activityTaskCompletedEventAttributes?.result?.payloads ?? []));
    resultPayloads.push(...(event.workflowExecutionCompletedEventAttributes?.result?.payloads ?? []));
  }
  return { result: result as string, rawHistoryBytes, resultPayloads };
}

/** The claim key of a reference payload as it appears in raw history (ExternalStorageReference, JSON-encoded). */
export function referenceOf(
  payload: proto.api.common.v1.IPayload,
): { driverName: string; key: string; sizeBytes: number } | undefined {
  const metadata = payload.metadata ?? {};
  const text = (value: Uint8Array | null | undefined) => (value ? Buffer.from(value).toString('utf8') : undefined);
  if (text(metadata.messageType) !== 'temporal.api.sdk.v1.ExternalStorageReference') return undefined;
  const reference = JSON.parse(text(payload.data) ?? '{}') as { driverName?: string; claimData?: { key?: string } };
  return {
    driverName: reference.driverName ?? '',
    key: reference.claimData?.key ?? '',
    // The size the SDK records in Payload.externalPayloads (kept by the server as sent).
    sizeBytes: Number(payload.externalPayloads?.[0]?.sizeBytes ?? 0),
  };
}
