import { Router } from 'express';
import { ScimHttpError, sendScim } from './errors';
import { FaultSettingsSchema, type FaultInjector } from './faults';
import type { OperationLog } from './ops-log';
import type { UserStore } from './store';

export interface AdminDeps {
  store: UserStore;
  log: OperationLog;
  faults: FaultInjector;
  /** Clears users, the operation log and the hourly budget, and replays faults from the seed. */
  reset(): void;
}

/**
 * The test and demo surface beside SCIM (under /_sandbox, same bearer token). Its requests are not SCIM operations:
 * they are not logged, not counted against the budget, and never faulted.
 */
export function adminRouter(deps: AdminDeps): Router {
  const router = Router();

  router.get('/users', (_req, res) => {
    const users = deps.store.all();
    sendScim(res, 200, { totalResults: users.length, Resources: users });
  });

  router.get('/ops', (_req, res) => {
    sendScim(res, 200, { operations: deps.log.all() });
  });

  router.get('/counters', (_req, res) => {
    sendScim(res, 200, deps.log.countsByMethod());
  });

  router.post('/reset', (_req, res) => {
    deps.reset();
    sendScim(res, 204);
  });

  router.get('/faults', (_req, res) => {
    sendScim(res, 200, deps.faults.settings);
  });

  router.put('/faults', (req, res) => {
    const parsed = FaultSettingsSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
      throw new ScimHttpError(400, `invalid fault settings: ${issues}`, 'invalidValue');
    }
    sendScim(res, 200, deps.faults.replace(parsed.data));
  });

  return router;
}
