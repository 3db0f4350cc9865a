import type { RequestHandler, Response } from 'express';
import { ScimHttpError, sendScimError } from './errors';
import type { FaultInjector, FaultPlan } from './faults';
import type { OperationLog } from './ops-log';
import type { HourlyOperationBudget } from './quota';
import type { PendingTimers } from './timers';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const isSearch = (path: string): boolean => /\/\.search$/i.test(path);

/** Records each SCIM request on arrival and fills in its status once answered. */
export function logOperations(log: OperationLog): RequestHandler {
  return (req, res, next) => {
    const entry = log.record(req.method, req.originalUrl, new Date());
    res.on('finish', () => {
      entry.status = res.statusCode;
      entry.answeredAt ??= new Date().toISOString();
    });
    // A response cut short after its headers (the commitThenCut fault) never finishes, but its status was sent.
    res.on('close', () => {
      if (entry.status === null && res.headersSent) entry.status = res.statusCode;
      entry.answeredAt ??= new Date().toISOString();
    });
    next();
  };
}

export function enforceHourlyBudget(budget: HourlyOperationBudget, faults: FaultInjector): RequestHandler {
  return (_req, res, next) => {
    const decision = budget.tryConsume();
    if (decision.allowed) {
      next();
      return;
    }
    const retryAfter = faults.settings.rateLimitRetryAfter;
    if (typeof retryAfter === 'number') res.set('Retry-After', String(retryAfter));
    else if (retryAfter === 'seconds') res.set('Retry-After', String(decision.retryAfterSeconds));
    else if (retryAfter === 'zero') res.set('Retry-After', '0');
    else if (retryAfter === 'past') res.set('Retry-After', new Date(Date.now() - 60_000).toUTCString());
    // No scimType: RFC 7644 §3.12 defines "tooMany" for a 400 (a filter matching too many results), not for a 429.
    sendScimError(res, new ScimHttpError(429, `hourly operation budget exhausted; retry after ${decision.retryAfterSeconds} s`));
  };
}

/** The fault plan of each in-flight request, read by handlers for the faults that depend on the outcome. */
export type FaultPlans = WeakMap<Response, FaultPlan>;

/**
 * `readBody` is the body parser that follows this gate: a request hung with hangThenApply has its body read before the
 * hang (the parser then skips it), since by the time it is applied its client has gone and taken the stream with it.
 */
export function injectFaults(faults: FaultInjector, timers: PendingTimers, plans: FaultPlans, readBody: RequestHandler): RequestHandler {
  return async (req, res, next) => {
    const isListing = (req.method === 'GET' && /^\/Users\/?$/i.test(req.path)) || (req.method === 'POST' && /^(\/Users)?\/\.search$/i.test(req.path));
    const plan = faults.plan({ isWrite: WRITE_METHODS.has(req.method) && !isSearch(req.path), isListing });
    plans.set(res, plan);
    if (plan.latencyMs > 0) await timers.wait(plan.latencyMs);
    if (plan.hangMs !== null) {
      const applyLate = faults.settings.hangThenApply;
      if (applyLate) {
        const unread = await new Promise<unknown>((resolve) => {
          void readBody(req, res, resolve);
        });
        if (unread !== undefined) {
          next(unread);
          return;
        }
      }
      await timers.wait(plan.hangMs);
      // Handled as any request: its answer goes to a client that is most likely gone.
      if (applyLate) {
        next();
        return;
      }
      if (!res.writableEnded && !res.destroyed) sendScimError(res, new ScimHttpError(503, 'injected fault: the request hung and was not applied'));
      return;
    }
    if (plan.failStatus !== null) {
      sendScimError(res, new ScimHttpError(plan.failStatus, 'injected fault: the request was not applied'));
      return;
    }
    next();
  };
}
