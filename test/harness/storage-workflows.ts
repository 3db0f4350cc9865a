// A workflow whose activity result and own result are large: exercises external payload storage (test/storage).
import { proxyActivities } from '@temporalio/workflow';

const { makeLargeText } = proxyActivities<{ makeLargeText(bytes: number): Promise<string> }>({
  startToCloseTimeout: '30 seconds',
});

export async function largePayloadWorkflow(bytes: number): Promise<string> {
  return await makeLargeText(bytes);
}
