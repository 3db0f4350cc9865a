import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { adminRouter } from './admin';
import { requireBearerToken } from './auth';
import { discoveryRouter } from './discovery-routes';
import { ScimHttpError, sendScimError } from './errors';
import type { FaultInjector } from './faults';
import { enforceHourlyBudget, injectFaults, logOperations, type FaultPlans } from './gates';
import type { OperationLog } from './ops-log';
import type { HourlyOperationBudget } from './quota';
import type { ValidationContext } from './rules';
import type { UserStore } from './store';
import type { TenantAttribute } from './tenant-schema';
import type { PendingTimers } from './timers';
import { servedWithDates } from './dates';
import { usersRouter } from './users';

export const SCIM_BASE_PATH = '/scim/v2';
export const ADMIN_BASE_PATH = '/_sandbox';

/** Everything one sandbox instance holds; built by index.ts, wired into routes here. */
export interface SandboxParts {
  token: string;
  tenantSchema: readonly TenantAttribute[];
  pageSizeCap: number;
  putClearsOmitted: boolean;
  acceptPeakonIdAsManager: boolean;
  relaxUserNameRules: boolean;
  /** Not Peakon behaviour: answer any RFC 7644 filter, not only the `eq` filters Peakon documents (sandbox/filter.ts). */
  anyFilter: boolean;
  store: UserStore;
  log: OperationLog;
  budget: HourlyOperationBudget;
  faults: FaultInjector;
  timers: PendingTimers;
  /** Known only once the server listens (the port may be random). */
  baseUrl(): string;
  /** Peakon's day, when the dates decide who is active (sandbox/dates.ts); undefined: the stored `active`. */
  today(): string | undefined;
  reset(): void;
}

const readJsonBodies = express.json({ type: ['application/json', 'application/*+json'], limit: '10mb' });

/**
 * Far deeper than any SCIM body (a PatchOp holding a User is under 10 levels), far shallower than the nesting at which
 * the recursive walks a body goes through (withoutNulls, structuredClone) overflow the stack.
 */
export const MAX_BODY_DEPTH = 64;

/**
 * JSON bodies, refused as the client's syntax error (400 invalidSyntax) when nested deeper than MAX_BODY_DEPTH: JSON.parse
 * takes `{"x":[[[…]]]}` 200,000 deep, and the RangeError a later walk then throws would answer 500, which clients retry.
 */
const parseJsonBodies: RequestHandler = (req, res, next) => {
  void readJsonBodies(req, res, (error?: unknown) => {
    if (error !== undefined && error !== null) next(error);
    else if (nestedDeeperThan(req.body, MAX_BODY_DEPTH)) next(new ScimHttpError(400, `the request body is nested more than ${MAX_BODY_DEPTH} levels deep`, 'invalidSyntax'));
    else next();
  });
};

/** Iterative, so the check itself cannot overflow the stack on the bodies it is there to refuse. */
function nestedDeeperThan(body: unknown, limit: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value: body, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(value) ? (value as unknown[]) : Object.values(value)) pending.push({ value: child, depth: depth + 1 });
  }
  return false;
}

export function createSandboxApp(parts: SandboxParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const faultPlans: FaultPlans = new WeakMap();
  const validation: ValidationContext = {
    tenantSchema: parts.tenantSchema,
    directory: parts.store,
    acceptPeakonIdAsManager: parts.acceptPeakonIdAsManager,
    relaxUserNameRules: parts.relaxUserNameRules,
  };

  const scim = express.Router({ caseSensitive: false });
  scim.use(logOperations(parts.log), requireBearerToken(parts.token), enforceHourlyBudget(parts.budget, parts.faults), injectFaults(parts.faults, parts.timers, faultPlans, parseJsonBodies), parseJsonBodies);
  const users = usersRouter({ store: parts.store, validation, pageSizeCap: parts.pageSizeCap, putClearsOmitted: parts.putClearsOmitted, anyFilter: parts.anyFilter, faultPlans, served: (user) => servedWithDates(user, parts.today()), ignoresFilter: (filter) => parts.faults.ignoresFilter(filter) });
  scim.use('/Users', users);
  // A root-level search can only find Users, the one resource type Peakon has.
  scim.post('/.search', (req, res, next) => {
    req.url = '/.search';
    users(req, res, next);
  });
  scim.use(discoveryRouter({ tenantSchema: parts.tenantSchema, pageSizeCap: parts.pageSizeCap, baseUrl: parts.baseUrl }));
  scim.use('/Groups', () => {
    throw new ScimHttpError(404, 'Peakon does not support Groups');
  });
  scim.use((req) => {
    throw new ScimHttpError(404, `no SCIM endpoint ${req.method} ${req.path}`);
  });
  scim.use(renderErrors);
  app.use(SCIM_BASE_PATH, scim);

  const admin = express.Router();
  admin.use(requireBearerToken(parts.token), parseJsonBodies);
  admin.use(adminRouter({ store: parts.store, log: parts.log, faults: parts.faults, reset: parts.reset }));
  admin.use(renderErrors);
  app.use(ADMIN_BASE_PATH, admin);

  app.use((req, res) => sendScimError(res, new ScimHttpError(404, `nothing at ${req.path}; the SCIM base is ${SCIM_BASE_PATH}`)));
  return app;
}

/** One place turns thrown failures into SCIM error bodies; malformed JSON is the client's syntax error. */
const renderErrors: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  if (error instanceof ScimHttpError) {
    sendScimError(res, error);
    return;
  }
  const status = typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number' ? error.status : 500;
  if (status >= 400 && status < 500) {
    const detail = error instanceof Error ? error.message : 'bad request';
    sendScimError(res, new ScimHttpError(status, `invalid request body: ${detail}`, 'invalidSyntax'));
    return;
  }
  sendScimError(res, new ScimHttpError(500, `internal sandbox error: ${error instanceof Error ? error.message : String(error)}`));
};
