import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { ENTERPRISE_USER_SCHEMA, LIST_RESPONSE_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../scim/resources';
import { notFound, ScimHttpError, sendScim, sendScimError } from './errors';
import type { FaultPlans } from './gates';
import { parseUserFilter } from './filter';
import { applyUserPatch } from './patch';
import { projectUser, parseAttributeList } from './projection';
import { validateUser, type ValidationContext } from './rules';
import { everyUser, type UserStore } from './store';

export interface UsersRouteDeps {
  store: UserStore;
  validation: ValidationContext;
  pageSizeCap: number;
  putClearsOmitted: boolean;
  /** Not Peakon behaviour: answer any RFC 7644 filter (sandbox/filter.ts UserFilterOptions). */
  anyFilter?: boolean;
  faultPlans: FaultPlans;
  /** What a stored user looks like in an answer (sandbox/dates.ts: the dates may make them inactive). */
  served: (user: ScimUser) => ScimUser;
  /** Fault `ignoreFilterFor`: whether a list with this filter is answered as if it had none. */
  ignoresFilter?: (filter: string) => boolean;
}

const ListQuerySchema = z.object({
  filter: z.string().optional(),
  startIndex: z.coerce.number().int().optional(),
  count: z.coerce.number().int().optional(),
  attributes: z.string().optional(),
  excludedAttributes: z.string().optional(),
});

type ListQuery = z.infer<typeof ListQuerySchema>;

const SearchRequestSchema = z.object({
  filter: z.string().optional(),
  startIndex: z.number().int().optional(),
  count: z.number().int().optional(),
  attributes: z.array(z.string()).optional(),
  excludedAttributes: z.array(z.string()).optional(),
});

const ProjectionQuerySchema = ListQuerySchema.pick({ attributes: true, excludedAttributes: true });

export function usersRouter(deps: UsersRouteDeps): Router {
  const router = Router();
  const { store, validation } = deps;

  /** Commit-then-fail (or -garble, or -cut): the write above already happened; only the answer is replaced. */
  const reply = (res: Response, status: number, body?: unknown): void => {
    const plan = deps.faultPlans.get(res);
    const failStatus = plan?.commitThenFailStatus ?? null;
    if (failStatus !== null && status < 300) {
      sendScimError(res, new ScimHttpError(failStatus, 'injected fault: the write was applied but the response failed'));
      return;
    }
    if (plan?.commitThenGarble && status < 300 && body !== undefined) {
      sendScim(res, status, { schemas: ['urn:example:garbled'], note: 'injected fault: the write was applied but the answer is not a SCIM user' });
      return;
    }
    if (plan?.commitThenCut && status < 300 && body !== undefined) {
      // The status line and a Content-Length for the whole body, then only part of it.
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/scim+json', 'Content-Length': String(Buffer.byteLength(text)) });
      // Half of it, flushed, then a clean close (FIN, not a reset): what a proxy that gave up on the upstream sends.
      res.write(text.slice(0, Math.floor(text.length / 2)), () => res.socket?.end());
      return;
    }
    sendScim(res, status, body);
  };

  const existing = (req: Request<{ id: string }>): ScimUser => {
    const user = store.get(req.params.id);
    if (!user) throw notFound(`user ${req.params.id} not found`);
    return user;
  };

  const listUsers = (res: Response, query: ListQuery): void => {
    // The filter is parsed (a malformed one is still refused), then dropped where a fault ignores it.
    const parsed = query.filter === undefined ? everyUser : parseUserFilter(query.filter, { anyFilter: deps.anyFilter ?? false });
    const predicate = query.filter !== undefined && deps.ignoresFilter?.(query.filter) ? everyUser : parsed;
    // RFC 7644 §3.4.2.4: startIndex below 1 means 1, a negative count means 0; the cap is Peakon's page size.
    const startIndex = Math.max(1, query.startIndex ?? 1);
    const count = Math.min(Math.max(0, query.count ?? deps.pageSizeCap), deps.pageSizeCap);
    const matching = store.page(predicate, startIndex - 1, count);
    let page = matching.users;
    if (deps.faultPlans.get(res)?.truncateListing) page = page.slice(0, Math.floor(page.length / 2));
    const projection = parseAttributeList(query);
    reply(res, 200, {
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults: matching.total,
      startIndex,
      itemsPerPage: page.length,
      Resources: page.map((user) => projectUser(deps.served(user), projection)),
    });
  };

  router.get('/', (req, res) => {
    listUsers(res, parseQuery(ListQuerySchema, req.query));
  });

  // RFC 7644 §3.4.3: the same query in a body, for filters too long for a URL.
  router.post('/.search', (req, res) => {
    const search = parseQuery(SearchRequestSchema, req.body ?? {});
    listUsers(res, { ...search, attributes: search.attributes?.join(','), excludedAttributes: search.excludedAttributes?.join(',') });
  });

  router.get('/:id', (req, res) => {
    reply(res, 200, projectUser(deps.served(existing(req)), parseAttributeList(parseQuery(ProjectionQuerySchema, req.query))));
  });

  router.post('/', (req, res) => {
    const created = store.create(validateUser(req.body, validation));
    res.location(created.meta?.location ?? '');
    reply(res, 201, deps.served(created));
  });

  router.put('/:id', (req, res) => {
    const current = existing(req);
    const candidate = deps.putClearsOmitted ? req.body : mergeKeepingOmitted(current, req.body);
    const replaced = store.replace(current.id, validateUser(candidate, validation, current));
    reply(res, 200, replaced && deps.served(replaced));
  });

  router.patch('/:id', (req, res) => {
    const current = existing(req);
    const replaced = store.replace(current.id, validateUser(applyUserPatch(current, req.body, validation.tenantSchema), validation, current));
    reply(res, 200, replaced && deps.served(replaced));
  });

  router.delete('/:id', (req, res) => {
    if (!store.delete(req.params.id)) throw notFound(`user ${req.params.id} not found`);
    reply(res, 204);
  });

  return router;
}

function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.output<T> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ScimHttpError(400, `${issue?.path.join('.') ?? 'query'}: ${issue?.message ?? 'invalid'}`, 'invalidValue');
  }
  return parsed.data;
}

/**
 * The `putClearsOmitted: false` reading of PUT: attributes the body leaves out keep their stored values, also inside
 * the two extensions (so a PUT without "Manager" does not drop the manager). null still clears a Peakon attribute.
 */
function mergeKeepingOmitted(current: ScimUser, body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const update: Record<string, unknown> = { ...body };
  const merged: Record<string, unknown> = { ...current, ...update };
  for (const urn of [ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA]) {
    const incoming = update[urn];
    const stored = current[urn];
    if (isPlainObject(incoming) && stored) merged[urn] = { ...stored, ...incoming };
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
