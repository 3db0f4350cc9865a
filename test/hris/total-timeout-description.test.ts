import { BambooHrSourceConfigSchema, RestSourceConfigSchema } from '../../hris/config';
import { HR_WAIT_TICK_MS } from '../../hris/http';
import { DEFAULT_RUN_TUNING } from '../../sync/settings';

/**
 * What bounds totalTimeoutMs, as its description (and the JSON Schema, editors) tell it. Not the plan activity's
 * heartbeat timeout: hris/http.ts tells the activity it is alive every HR_WAIT_TICK_MS while a request is in flight
 * (test/hris/http-failures.test.ts), so only the activity's start-to-close timeout ends a slow read.
 */
describe('the totalTimeoutMs description', () => {
  it.each([
    ['rest', RestSourceConfigSchema.shape.totalTimeoutMs.description],
    ['bamboohr', BambooHrSourceConfigSchema.shape.totalTimeoutMs.description],
  ])('(%s) names the plan start-to-close timeout and its default, not the heartbeat timeout', (_source, description) => {
    expect(HR_WAIT_TICK_MS).toBeLessThan(DEFAULT_RUN_TUNING.planHeartbeatTimeoutMs);
    expect(description).toContain(`plan activity's start-to-close timeout (${DEFAULT_RUN_TUNING.planTimeoutMs / 3_600_000} h by default)`);
    expect(description).not.toMatch(/heartbeat timeout/);
  });
});
