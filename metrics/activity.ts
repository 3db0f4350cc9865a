import { Context } from '@temporalio/activity';
import type { MetricMeter } from '@temporalio/common';
import { Runtime, type ActivityInterceptors } from '@temporalio/worker';
import { z } from 'zod';
import type { ScimOperation } from '../scim/client';
import { BUDGET_OPERATIONS_PER_HOUR, NO_RESPONSE_STATUS, SCIM_OPERATIONS, SCIM_RATE_LIMITED } from './definitions';

/**
 * What every connector activity's first argument carries: the run (hence the tenant) and, for those that talk to
 * Peakon, the tenant's budget (`peakon` on SCIM steps, `config.peakon` on the plan).
 */
const ActivityScopeSchema = z.object({
  run: z.object({ tenant: z.string().min(1) }),
  peakon: z.object({ operationsPerHour: z.number() }).optional(),
  config: z.object({ peakon: z.object({ operationsPerHour: z.number() }) }).optional(),
});

/**
 * Tags every metric an activity emits (through its Context's `metricMeter`) with the run's tenant, and publishes the
 * tenant's budget (one series per tenant) whenever an activity that may call Peakon starts. Runs in each worker of the
 * process, so the SCIM activities on `<queue>-scim-<tenant>` queues are tagged like the plan on the main queue.
 */
export function connectorActivityInterceptors(_context: Context): ActivityInterceptors {
  let tenant: string | undefined;
  return {
    inbound: {
      async execute(input, next) {
        const scope = ActivityScopeSchema.safeParse(input.args[0]);
        if (scope.success) {
          tenant = scope.data.run.tenant;
          const budget = scope.data.peakon?.operationsPerHour ?? scope.data.config?.peakon.operationsPerHour;
          // On the runtime's meter with the tenant alone: through the activity's meter the SDK adds `activityType` and
          // `taskQueue`, one series per activity type, each keeping its last value for the worker's life, so a lowered
          // budget left the old one standing on the series of activities no longer run (and `max by (tenant)` read it).
          if (budget !== undefined) gauge(Runtime.instance().metricMeter.withTags({ tenant }), BUDGET_OPERATIONS_PER_HOUR).set(budget);
        }
        return next(input);
      },
    },
    outbound: {
      getMetricTags: (tags, next) => next(tenant === undefined ? tags : { ...tags, tenant }),
    },
  };
}

/**
 * Counts one SCIM request (the SCIM client's `onOperation`): where the request is sent, so retries, failed attempts
 * and 429s all count, exactly as Peakon bills them. Outside an activity (the `validate` command) there is nothing to
 * report to.
 */
export function countScimOperation(operation: ScimOperation): void {
  const meter = activityMetricMeter();
  if (meter === undefined) return;
  const status = operation.status === undefined ? NO_RESPONSE_STATUS : String(operation.status);
  counter(meter, SCIM_OPERATIONS).add(1, { method: operation.method, status });
  if (operation.status === 429) counter(meter, SCIM_RATE_LIMITED).add(1);
}

function activityMetricMeter(): MetricMeter | undefined {
  try {
    return Context.current().metricMeter;
  } catch {
    return undefined;
  }
}

function counter(meter: MetricMeter, metric: { name: string; help: string }) {
  return meter.createCounter(metric.name, '', metric.help);
}

function gauge(meter: MetricMeter, metric: { name: string; help: string }) {
  return meter.createGauge(metric.name, 'float', '', metric.help);
}
