import { createPipelineFixture, type PipelineFixture } from './pipeline';
import { connectToDevServer, devServerAddress, TEST_NAMESPACE, type TemporalTestContext } from './temporal';

export interface ScheduleCliContext {
  temporal: TemporalTestContext;
  fixture: PipelineFixture;
  /** The schedule the tests create (deleted after them). */
  scheduleId: string;
}

/**
 * For a describe block that drives `peakon-sync schedule …` in-process (runCliInProcess): a dev-server connection, a
 * pipeline fixture, and the CLI's environment pointed at them (address, namespace, task queue), as in production; after
 * the block, the schedule `scheduleIdOf(tenant)` is deleted and the environment restored. Read the context inside tests.
 */
export function useScheduleCli(scheduleIdOf: (tenant: string) => string): ScheduleCliContext {
  let context: ScheduleCliContext | undefined;
  const savedEnvironment = { ...process.env };
  beforeAll(async () => {
    const temporal = await connectToDevServer();
    const fixture = await createPipelineFixture(temporal);
    context = { temporal, fixture, scheduleId: scheduleIdOf(fixture.config.tenant) };
    process.env.TEMPORAL_ADDRESS = devServerAddress();
    process.env.TEMPORAL_NAMESPACE = TEST_NAMESPACE;
    process.env.PEAKON_SYNC_TASK_QUEUE = temporal.taskQueue;
  });
  afterAll(async () => {
    process.env = savedEnvironment;
    if (!context) return;
    await context.temporal.client.schedule.getHandle(context.scheduleId).delete().catch(() => undefined);
    await context.fixture.close();
    await context.temporal.close();
  });
  const ready = (): ScheduleCliContext => {
    if (!context) throw new Error('useScheduleCli: the context is made in beforeAll');
    return context;
  };
  return {
    get temporal() {
      return ready().temporal;
    },
    get fixture() {
      return ready().fixture;
    },
    get scheduleId() {
      return ready().scheduleId;
    },
  };
}
