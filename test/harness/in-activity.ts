import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

/**
 * Runs an activity function in the SDK's own activity context (MockActivityEnvironment: Context.current(), heartbeats,
 * cancellation), for tests that call an activity directly rather than through a worker. `heartbeats` collects what it
 * reported.
 */
export function inActivity<Args extends unknown[], Result>(activity: (...args: Args) => Promise<Result>): { run: (...args: Args) => Promise<Result>; heartbeats: unknown[] } {
  const heartbeats: unknown[] = [];
  return {
    heartbeats,
    run: (...args: Args) => {
      const environment = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
      environment.on('heartbeat', (details: unknown) => heartbeats.push(details));
      return environment.run(activity, ...args);
    },
  };
}
