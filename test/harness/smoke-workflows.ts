// A minimal workflow used only by the harness smoke test: it proves the dev server, the bundler and a worker work together.
import { proxyActivities } from '@temporalio/workflow';

const { greet } = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '10 seconds' });

export async function smokeWorkflow(name: string): Promise<string> {
  return await greet(name);
}
