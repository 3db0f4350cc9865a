import axios, { type AxiosInstance } from 'axios';
import { z } from 'zod';
import { ConfigError } from '../config/load';
import { redactSecrets } from '../config/redact';
import { isAbsoluteHttpUrl } from '../config/url';
import { emailSpellings } from '../mapping/email';
import { describeRoute, egressAgents } from '../net/egress-proxy';
import {
  ScimAmbiguousMatchError,
  ScimIncompleteListingError,
  ScimMalformedResponseError,
  ScimRateLimitedError,
  ScimRequestRefusedError,
  ScimRetryLaterError,
  ScimTransientError,
  ScimUnreadableUserError,
  toScimError,
  type HttpMethod,
  type ScimRequestDescription,
} from './errors';
import { employeeNumberFilter, externalIdFilter, userNameFilter } from './filter';
import { retryWaitMs } from '../net/retry-after';
import { realSleep } from '../net/sleep';
import { whileTicking } from '../net/while-ticking';
import type { OperationPacer } from './pacer';
import {
  ENTERPRISE_USER_SCHEMA,
  PATCH_OP_SCHEMA,
  ScimSchemaResourceSchema,
  ScimUserSchema,
  ServiceProviderConfigSchema,
  UserListEnvelopeSchema,
  UserListResponseSchema,
  parseUserListPage,
  type PatchOperation,
  type ScimSchemaResource,
  type ScimUser,
  type ScimUserWrite,
  type ServiceProviderConfig,
  type UnreadableScimUser,
  type UserListResponse,
} from './resources';

const SCIM_MEDIA_TYPE = 'application/scim+json';

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Unless `totalTimeoutMs` is given, a request's total deadline is this many times its idle timeout (`timeoutMs`). */
export const TOTAL_DEADLINE_FACTOR = 2;
/** Peakon's (assumed) page-size cap. */
export const DEFAULT_PAGE_SIZE = 100;
/**
 * The largest answer (and request body) accepted. A page of 100 users is a few hundred KiB at most; the bound only
 * stops a broken or hostile server from filling the worker's memory (axios' default is unlimited).
 */
export const MAX_CONTENT_BYTES = 64 * 1024 * 1024;

/**
 * The Peakon users holding an HR id as their externalId (ScimClient.usersWithExternalId): one page of at most two,
 * each user checked on its own, so one that does not fit the SCIM User schema is a holder, not a broken answer.
 */
export interface ExternalIdHolders {
  /** Readable users whose externalId is the id looked up. */
  users: ScimUser[];
  /** Users the filter returned that do not fit the schema (their externalId is the id looked up, or unreadable). */
  unreadable: UnreadableScimUser[];
  /** How many users hold the id: the answer's totalResults, or more when it returned more (the returned ones when filterIgnored). */
  total: number;
  /** The answer held users with another externalId: Peakon did not apply the filter, and nothing can be told. */
  filterIgnored: boolean;
}

export interface IterateUserPagesOptions {
  /**
   * Told of the listed users that do not fit ScimUserSchema (reduced to what identifies them), page by page. Without
   * it such a user fails the listing, naming its id and the fields: a caller that cannot handle them must not take
   * a listing without them for the whole tenant.
   */
  onUnreadable?: (users: UnreadableScimUser[]) => void;
  /**
   * Retry a page that failed with a transient error or a short 429 in place (LIST_PAGE_RETRY), waiting in this process
   * (telling `onWait`), instead of failing the listing: a GET is safe to repeat, and the plan's listing otherwise
   * starts over on its next attempt, re-reading the HR system and every page before the one that failed (at 1% failed
   * requests a 100-page listing succeeded only about a third of the time). A wait longer than the policy allows (a
   * quota window) still fails the listing, for the activity to wait out on a server-side timer. Off by default: an
   * employee step spends exactly one request per attempt.
   */
  retryPages?: boolean;
  /**
   * Told after each page that leaves users still to list: how many are listed, how many `totalResults` promised, and
   * how many this page held (the server may cap pages below our size). Throwing from it ends the listing.
   */
  onPage?: (progress: ListingProgress) => void;
}

export interface ListingProgress {
  listed: number;
  total: number;
  pageLength: number;
}

/** A listing page's retries in place (IterateUserPagesOptions.retryPages): attempts per page, exponential backoff. */
export const LIST_PAGE_RETRY = { attempts: 5, baseDelayMs: 2_000, maxDelayMs: 30_000 } as const;

export const ScimClientSettingsSchema = z.object({
  /** Used whole: `https://api.peakon.com/scim/v2` or `https://acme.peakon.com/api/scim/v2`. */
  baseUrl: z
    .string()
    .refine((value) => isAbsoluteHttpUrl(value), 'must be an absolute http(s) URL'),
  // A CR/LF in a header value would be a header-injection vector, and axios would reject it with the token in config.
  token: z.string().min(1, 'must not be empty').regex(/^[^\r\n]+$/, 'must be a single line'),
  /** Idle timeout: the longest silence allowed while waiting for or reading an answer. */
  timeoutMs: z.number().int().positive().default(DEFAULT_TIMEOUT_MS),
  /**
   * Total deadline of one request, however steadily bytes arrive (a trickling server never trips the idle timeout).
   * Default: TOTAL_DEADLINE_FACTOR × timeoutMs, so `peakon.timeoutMs` in the connector config sets both.
   */
  totalTimeoutMs: z.number().int().positive().optional(),
  pageSize: z.number().int().positive().default(DEFAULT_PAGE_SIZE),
  userAgent: z.string().regex(/^[^\r\n]*$/).optional(),
});

/** The connector config's field (config/schema.ts `peakon`) behind each client setting it sets. */
const CONFIG_FIELDS: Readonly<Record<string, string>> = { baseUrl: 'peakon.baseUrl', token: 'peakon.token', timeoutMs: 'peakon.timeoutMs' };

/** A client setting as a refusal names it: its config field, else the client option's own name. */
function configFieldOf(option: string): string {
  return CONFIG_FIELDS[option] ?? (option === '' ? '(options)' : `SCIM client option ${option}`);
}

export type ScimClientOptions = z.input<typeof ScimClientSettingsSchema> & {
  pacer?: OperationPacer;
  /**
   * Stops every request of this client (e.g. an activity's `Context.current().cancellationSignal`): a request in
   * flight is torn down and rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /** Told of every request sent, once it settles (e.g. to count operations for metrics); must not throw. */
  onOperation?: (operation: ScimOperation) => void;
  /** Told of every request just before it goes out, already counted in `totalOperations()`; must not throw. */
  onSend?: () => void;
  /**
   * Told every `waitTickMs` while a request waits for the pacer (a held budget can keep it an hour): an activity
   * heartbeats then, so the wait neither trips its heartbeat timeout nor hides a cancel. Must not throw.
   */
  onWait?: () => void;
  /** How often `onWait` is told during a wait. Default PACER_WAIT_TICK_MS. */
  waitTickMs?: number;
  /**
   * The tenant's 429 hold (activities/tenant-hold.ts): while held, a request is not sent but fails at once as rate
   * limited with the time left as its Retry-After; a 429 holds it. Long holds then cost a retry timer, not a worker slot.
   */
  hold?: TenantHold;
  /** The page retry policy of `retryPages` listings; default LIST_PAGE_RETRY (tests shorten its delays). */
  listPageRetry?: { attempts: number; baseDelayMs: number; maxDelayMs: number };
};

export interface TenantHold {
  /** How long requests must still wait; 0 when they may go. */
  heldForMs(): number;
  holdFor(delayMs: number): void;
}

/** How often a request waiting for the pacer says so (well inside any heartbeat timeout the connector sets). */
export const PACER_WAIT_TICK_MS = 10_000;

/** One request sent: its HTTP status, or undefined when no answer came (network error, timeout, cancellation). */
export interface ScimOperation {
  method: HttpMethod;
  status: number | undefined;
}

export type OperationCounts = Record<HttpMethod, number>;

type Query = Record<string, string | number>;

/** A 2xx exchange, body still raw text. */
interface SuccessfulExchange {
  request: ScimRequestDescription;
  status: number;
  rawBody: string;
}

/**
 * Typed SCIM 2.0 client for Peakon. Holds the HTTP connection pool, the optional pacer and the operation counters
 * (Peakon bills every request, failed ones included, against the hourly quota — the counters are how a sync reports
 * what it spent).
 */
export class ScimClient {
  // ECMAScript-private so that util.inspect or JSON.stringify of a client (a stray log line) cannot show the token,
  // which also sits in the axios instance's default headers.
  readonly #http: AxiosInstance;
  readonly #token: string;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly totalTimeoutMs: number;
  private readonly host: string;
  private readonly signal: AbortSignal | undefined;
  private readonly pageSize: number;
  private readonly pacer: OperationPacer | undefined;
  private readonly onOperation: ((operation: ScimOperation) => void) | undefined;
  private readonly onSend: (() => void) | undefined;
  private readonly onWait: (() => void) | undefined;
  private readonly hold: TenantHold | undefined;
  private readonly waitTickMs: number;
  private readonly listPageRetry: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  private readonly counts: OperationCounts = { GET: 0, POST: 0, PUT: 0, PATCH: 0, DELETE: 0 };

  constructor(options: ScimClientOptions) {
    const parsed = ScimClientSettingsSchema.safeParse(options);
    if (!parsed.success) {
      // Report field names and problems only: the input holds the token. A ConfigError (not retried: activities turn it
      // into ConfigInvalid), naming the connector config's field where there is one (`peakon.token`).
      const problems = parsed.error.issues.map((issue) => `${configFieldOf(issue.path.join('.'))}: ${issue.message}`);
      throw new ConfigError(`Invalid Peakon connection settings — ${problems.join('; ')}`);
    }
    const settings = parsed.data;
    this.baseUrl = settings.baseUrl.replace(/\/+$/, '');
    this.#token = settings.token;
    this.timeoutMs = settings.timeoutMs;
    this.totalTimeoutMs = settings.totalTimeoutMs ?? TOTAL_DEADLINE_FACTOR * settings.timeoutMs;
    // Named in network failures; `… via egress proxy …` when PEAKON_SYNC_PROXY carries the connection.
    this.host = describeRoute(new URL(this.baseUrl));
    this.signal = options.signal;
    this.pageSize = settings.pageSize;
    this.pacer = options.pacer;
    this.onOperation = options.onOperation;
    this.onSend = options.onSend;
    this.onWait = options.onWait;
    this.hold = options.hold;
    this.waitTickMs = options.waitTickMs ?? PACER_WAIT_TICK_MS;
    this.listPageRetry = options.listPageRetry ?? LIST_PAGE_RETRY;
    this.#http = axios.create({
      timeout: settings.timeoutMs,
      // Every status reaches toScimError; axios must not build its own errors (they embed the request config).
      validateStatus: () => true,
      // A redirect would resend the bearer token somewhere we were not configured to talk to.
      maxRedirects: 0,
      // Nor through an HTTP(S)_PROXY from the environment: axios would hand a plain-http request, bearer token in its
      // header, to the proxy, a host the token is not bound to (config/secret.ts checks only the base URL's host).
      // PEAKON_SYNC_PROXY's CONNECT tunnel, when set, carries the connection instead (net/egress-proxy.ts).
      proxy: false,
      ...egressAgents(),
      maxContentLength: MAX_CONTENT_BYTES,
      maxBodyLength: MAX_CONTENT_BYTES,
      responseType: 'text',
      // Bodies are parsed here with zod; axios' lenient JSON parsing would hide malformed bodies.
      transformResponse: [(rawBody: unknown) => rawBody],
      transformRequest: [(requestBody: unknown) => requestBody],
      headers: {
        Authorization: `Bearer ${settings.token}`,
        // Peakon speaks application/scim+json and accepts plain JSON too; the body is parsed whatever its Content-Type.
        Accept: `${SCIM_MEDIA_TYPE}, application/json;q=0.9`,
        ...(settings.userAgent !== undefined ? { 'User-Agent': settings.userAgent } : {}),
      },
    });
  }

  /** Requests sent so far, by method, failed ones included. */
  operationCounts(): OperationCounts {
    return { ...this.counts };
  }

  totalOperations(): number {
    return Object.values(this.counts).reduce((sum, count) => sum + count, 0);
  }

  /** One page of users; `startIndex` is 1-based as in SCIM. */
  async listUsersPage(startIndex: number, count: number = this.pageSize, filter?: string): Promise<UserListResponse> {
    if (!Number.isInteger(startIndex) || startIndex < 1) throw new Error(`startIndex is 1-based, got ${startIndex}`);
    if (!Number.isInteger(count) || count < 0) throw new Error(`count must be a non-negative integer, got ${count}`);
    return (await this.fetchUserPage(startIndex, count, filter)).page;
  }

  /**
   * Every user (or every match of `filter`), page by page. Throws ScimIncompleteListingError rather than ever ending
   * early: a short listing would make present users look deleted to the planner.
   */
  async *iterateUserPages(filter?: string, options: IterateUserPagesOptions = {}): AsyncGenerator<ScimUser[], void, undefined> {
    const seenIds = new Set<string>();
    let promisedTotal: number | undefined;
    let startIndex = 1;
    for (;;) {
      const { page: checked, request } = options.retryPages ? await this.fetchPageRetrying(startIndex, filter) : await this.fetchCheckedUserPage(startIndex, this.pageSize, filter);
      if (checked.unidentifiable.length > 0) {
        // Without an id nobody can be left alone or told apart from a leaver: the listing cannot be trusted.
        throw new ScimMalformedResponseError(`a listed user has no readable id (page at ${startIndex}: ${checked.unidentifiable.slice(0, 5).join('; ')})`, request);
      }
      if (checked.unreadable.length > 0) {
        if (!options.onUnreadable) {
          const named = checked.unreadable.slice(0, 5).map((user) => `user ${user.id}: ${user.fields.join(', ')}`);
          throw new ScimMalformedResponseError(`listed users do not fit the SCIM User schema — ${named.join('; ')}`, request);
        }
        options.onUnreadable(checked.unreadable);
      }
      // Unreadable users count towards the listing's completeness like any other: they were listed.
      const page = { totalResults: checked.totalResults, Resources: [...checked.users, ...checked.unreadable] };
      if (promisedTotal === undefined) promisedTotal = page.totalResults;
      else if (page.totalResults !== promisedTotal) {
        throw new ScimIncompleteListingError(
          `totalResults changed mid-listing from ${promisedTotal} to ${page.totalResults} (users changed while listing)`,
          request,
        );
      }
      for (const user of page.Resources) {
        if (seenIds.has(user.id)) {
          throw new ScimIncompleteListingError(`user ${user.id} was listed twice; page boundaries are unstable`, request);
        }
        seenIds.add(user.id);
      }
      if (seenIds.size > promisedTotal) {
        throw new ScimIncompleteListingError(`listed ${seenIds.size} users but totalResults promised ${promisedTotal}`, request);
      }
      if (seenIds.size < promisedTotal) options.onPage?.({ listed: seenIds.size, total: promisedTotal, pageLength: page.Resources.length });
      if (checked.users.length > 0) yield checked.users;
      if (seenIds.size === promisedTotal) return;
      if (page.Resources.length === 0) {
        throw new ScimIncompleteListingError(
          `listing ended after ${seenIds.size} of ${promisedTotal} users promised by totalResults`,
          request,
        );
      }
      // Advance by what came back, not by what was asked: the server may cap the page size below ours.
      startIndex += page.Resources.length;
    }
  }

  /** Every user in the tenant, inactive ones included. */
  async listAllUsers(): Promise<ScimUser[]> {
    return this.collect(this.iterateUserPages());
  }

  /** Every user matching a filter built with ./filter (values must be escaped there). */
  async findUsers(filter: string): Promise<ScimUser[]> {
    return this.collect(this.iterateUserPages(filter));
  }

  /**
   * The user whose userName is `email` (case-insensitive, as SCIM defines userName), or undefined. A match that does
   * not fit the SCIM User schema throws ScimUnreadableUserError: the person is there, to be left alone.
   */
  async findUserByUserName(email: string): Promise<ScimUser | undefined> {
    // An internationalised domain has two spellings Peakon tells apart (mapping/email.ts emailSpellings): the second
    // lookup, only for such an address, finds a user another tool stored under the other one instead of a create
    // beside them.
    for (let spelling = 0; spelling < emailSpellings(email).length; spelling += 1) {
      const found = await this.findUserByUserNameSpelling(email, spelling);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * One request of findUserByUserName: the lookup of the `spelling`-th of emailSpellings(email) (0 is the address as
   * written), for a caller that sends each request as its own activity on the tenant's rate-limited queue.
   */
  async findUserByUserNameSpelling(email: string, spelling: number): Promise<ScimUser | undefined> {
    const spelled = emailSpellings(email)[spelling];
    if (spelled === undefined) throw new RangeError(`an address has ${emailSpellings(email).length} spelling(s); asked for number ${spelling}`);
    const wanted = spelled.toLowerCase();
    return this.findByUniqueKey(
      userNameFilter(spelled),
      `userName ${spelled}`,
      (user) => user.userName,
      (userName) => userName.toLowerCase() === wanted,
      (user) => ({ ...user, userName: user.userName ?? spelled }),
    );
  }

  /** As findUserByUserName, by the enterprise extension's employeeNumber. */
  async findUserByEmployeeNumber(employeeNumber: string | number): Promise<ScimUser | undefined> {
    const wanted = String(employeeNumber);
    return this.findByUniqueKey(
      employeeNumberFilter(wanted),
      `employeeNumber ${wanted}`,
      (user) => user.employeeNumber,
      (number) => number === wanted,
      (user) => ({ ...user, employeeNumber: user.employeeNumber ?? wanted }),
    );
  }

  /**
   * Who holds `externalId` (an HR id, as the connector writes it): `GET /Users?filter=externalId eq "…"`, one page of
   * at most two users (enough to tell none, one and several apart), one operation. The single-employee sync and filter
   * discovery ask it before creating someone nobody holds by key (a rename must not become a second user). Each user
   * is checked on its own (parseUserListPage): one that does not fit the schema is a holder, to be left alone. One
   * whose externalId cannot be read counts as a holder (the server matched it by the filter; a false holder leaves the
   * person alone, a missed one would make a second user), and gets the id looked up. A readable user with another
   * externalId means Peakon ignored the filter.
   */
  async usersWithExternalId(externalId: string): Promise<ExternalIdHolders> {
    const { page, request } = await this.fetchCheckedUserPage(1, 2, externalIdFilter(externalId));
    if (page.unidentifiable.length > 0) {
      throw new ScimMalformedResponseError(`a user matching the externalId looked up has no readable id (${page.unidentifiable.join('; ')})`, request);
    }
    const users = page.users.filter((user) => user.externalId === externalId);
    const unreadable = page.unreadable.filter((user) => user.externalId === undefined || user.externalId === externalId).map((user) => ({ ...user, externalId }));
    const held = users.length + unreadable.length;
    const filterIgnored = held < page.users.length + page.unreadable.length;
    return { users, unreadable, total: filterIgnored ? held : Math.max(page.totalResults, held), filterIgnored };
  }

  async getUser(id: string): Promise<ScimUser> {
    const exchange = await this.send('GET', userPath('GET', id));
    const user = this.parse(exchange, ScimUserSchema);
    // A PUT is laid over this answer: another user's (a misrouting cache or gateway) would carry their data into it.
    if (user.id !== id) throw new ScimMalformedResponseError(`${exchange.status} for user ${id} with another user (${user.id})`, { ...exchange.request, status: exchange.status });
    return user;
  }

  async createUser(user: ScimUserWrite): Promise<ScimUser> {
    const exchange = await this.send('POST', '/Users', { body: user });
    return this.parse(exchange, ScimUserSchema);
  }

  /** PUT: send the full intended state; whether Peakon clears omitted attributes is undocumented. */
  async replaceUser(id: string, user: ScimUserWrite): Promise<ScimUser> {
    const exchange = await this.send('PUT', userPath('PUT', id), { body: user });
    return this.parse(exchange, ScimUserSchema);
  }

  /** Returns the updated user, or undefined when the server answers 204 No Content (RFC 7644 allows both). */
  async patchUser(id: string, operations: readonly PatchOperation[]): Promise<ScimUser | undefined> {
    const exchange = await this.send('PATCH', userPath('PATCH', id), {
      body: { schemas: [PATCH_OP_SCHEMA], Operations: operations },
    });
    if (exchange.status === 204 || exchange.rawBody.trim() === '') return undefined;
    return this.parse(exchange, ScimUserSchema);
  }

  /** Activation changes as Entra sends them (path form); Peakon documents this shape. */
  async setActive(id: string, active: boolean): Promise<ScimUser | undefined> {
    return this.patchUser(id, [{ op: 'replace', path: 'active', value: active }]);
  }

  /** Irreversible in Peakon (the person's history goes too): callers must gate this behind an explicit purge setting. */
  async deleteUser(id: string): Promise<void> {
    await this.send('DELETE', userPath('DELETE', id));
  }

  async getSchema(schemaId: string): Promise<ScimSchemaResource> {
    // The URN's colons go raw, as IdPs send them (legal in a path segment): a server routing on the raw path 404s `%3A`.
    const exchange = await this.send('GET', `/Schemas/${pathSegment({ method: 'GET', path: '/Schemas/{id}' }, 'schema id', schemaId, { rawColons: true })}`);
    return this.parse(exchange, ScimSchemaResourceSchema);
  }

  async getServiceProviderConfig(): Promise<ServiceProviderConfig> {
    const exchange = await this.send('GET', '/ServiceProviderConfig');
    return this.parse(exchange, ServiceProviderConfigSchema);
  }

  /**
   * One page of at most two matches is enough to tell "none", "one" and "several" apart, so a lookup costs a single
   * operation. Results are re-checked against the key: a server that ignored the filter (an unsupported attribute)
   * would otherwise hand back an arbitrary user as the match. Each match is checked on its own (parseUserListPage),
   * as the whole-tenant listing checks them: one that does not fit the schema is a present user, not a broken answer.
   * `keyOf` reads the key as the match holds it, `isWanted` compares it with the key looked up. Only an unreadable
   * user may lack a readable key (then it cannot be told from the match, and counts as one: a false match leaves
   * someone alone, a missed one would create a duplicate); a readable user without the key (an admin with no employee
   * number, returned by a server that ignored the filter) is not a match, or a write would take them over.
   * `withKey` fills the key looked up into an unreadable match whose own copy is unreadable.
   */
  private async findByUniqueKey(
    filter: string,
    keyDescription: string,
    keyOf: (keys: { userName: string | undefined; employeeNumber: string | undefined }) => string | undefined,
    isWanted: (key: string) => boolean,
    withKey: (user: UnreadableScimUser) => UnreadableScimUser,
  ): Promise<ScimUser | undefined> {
    const { page, request } = await this.fetchCheckedUserPage(1, 2, filter);
    if (page.unidentifiable.length > 0) {
      throw new ScimMalformedResponseError(`a user matching ${keyDescription} has no readable id (${page.unidentifiable.join('; ')})`, request);
    }
    const matches = [
      ...page.users.map((user) => ({ id: user.id, readable: true, userName: user.userName, employeeNumber: user[ENTERPRISE_USER_SCHEMA]?.employeeNumber })),
      ...page.unreadable.map((user) => ({ id: user.id, readable: false, userName: user.userName, employeeNumber: user.employeeNumber })),
    ];
    const stranger = matches.find((user) => {
      const key = keyOf(user);
      return key === undefined ? user.readable : !isWanted(key);
    });
    if (stranger !== undefined) {
      throw new ScimMalformedResponseError(
        `the server returned user ${stranger.id}, which does not match ${keyDescription}: the filter was not applied`,
        request,
      );
    }
    if (page.totalResults > 1 || matches.length > 1) {
      // Their ids in the message itself: the report keeps only the message, and an admin needs them to merge the two.
      const ids = matches.map((user) => user.id);
      const more = Math.max(page.totalResults, ids.length) > ids.length ? ', …' : '';
      throw new ScimAmbiguousMatchError(`${Math.max(page.totalResults, ids.length)} users match ${keyDescription} (Peakon user ids ${ids.join(', ')}${more}); expected at most one`, {
        ...request,
        matchingUserIds: ids,
      });
    }
    if (page.totalResults === 1 && matches.length === 0) {
      throw new ScimIncompleteListingError(`totalResults is 1 for ${keyDescription} but no user was returned`, request);
    }
    const unreadable = page.unreadable[0];
    if (unreadable !== undefined) {
      throw new ScimUnreadableUserError(
        // The key's name, not its value (personal data); the id and the field paths are what an admin needs.
        `Peakon user ${unreadable.id} matches the ${keyDescription.split(' ')[0] ?? 'key'} looked up but could not be read (${unreadable.fields.join(', ')} do not fit the SCIM User schema): left alone`,
        // The server matched them by the key: when their own copy of it is unreadable, the key looked up stands in,
        // so a planner matching unreadable users by key (sync/plan.ts) still finds them.
        { ...request, user: withKey(unreadable) },
      );
    }
    return page.users[0];
  }

  private async fetchUserPage(
    startIndex: number,
    count: number,
    filter: string | undefined,
  ): Promise<{ page: UserListResponse; request: ScimRequestDescription }> {
    const query: Query = filter === undefined ? { startIndex, count } : { filter, startIndex, count };
    const exchange = await this.send('GET', '/Users', { query });
    return { page: this.parse(exchange, UserListResponseSchema), request: exchange.request };
  }

  /** A list page whose users are checked one by one (parseUserListPage), so one odd user does not fail the page. */
  private async fetchCheckedUserPage(startIndex: number, count: number, filter: string | undefined) {
    const query: Query = filter === undefined ? { startIndex, count } : { filter, startIndex, count };
    const exchange = await this.send('GET', '/Users', { query });
    return { page: parseUserListPage(this.parse(exchange, UserListEnvelopeSchema)), request: exchange.request };
  }

  /** One listing page, retried in place after a transient failure or a short 429 (IterateUserPagesOptions.retryPages). */
  private async fetchPageRetrying(startIndex: number, filter: string | undefined): ReturnType<ScimClient['fetchCheckedUserPage']> {
    const policy = this.listPageRetry;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.fetchCheckedUserPage(startIndex, this.pageSize, filter);
      } catch (error) {
        // Only what a later try can change: a 5xx, a dropped connection, a timeout, a 429 (or the tenant's hold).
        if (!(error instanceof ScimRetryLaterError) || attempt >= policy.attempts) throw error;
        // The server's Retry-After may lengthen the backoff, never shorten it: `Retry-After: 0` on a 503 is no reason to
        // send the page again at once (and be billed for it).
        const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
        const wait = retryWaitMs(error.retryAfterMs, backoff);
        if (wait > policy.maxDelayMs) throw error;
        await this.pause(wait);
      }
    }
  }

  /** Waits `ms` before a retry, telling `onWait` every tick (an activity heartbeats), and stops once the client is stopped. */
  private async pause(ms: number): Promise<void> {
    await whileTicking(realSleep(ms, this.signal), this.onWait, this.waitTickMs);
    this.signal?.throwIfAborted();
  }

  private async collect(pages: AsyncIterable<ScimUser[]>): Promise<ScimUser[]> {
    const users: ScimUser[] = [];
    for await (const page of pages) users.push(...page);
    return users;
  }

  /** Waits for the pacer's slot, saying so every tick, and stops waiting when the client is stopped. */
  private async waitForPacer(pacer: OperationPacer): Promise<void> {
    await whileTicking(pacer.acquire(this.signal), this.onWait, this.waitTickMs);
  }

  /** While the tenant's 429 hold lasts, a request is not sent: it fails at once, rate limited, with the time left. */
  private refuseWhileHeld(request: ScimRequestDescription): void {
    const held = this.hold?.heldForMs() ?? 0;
    if (held > 0) {
      throw new ScimRateLimitedError(`not sent: Peakon rate limited this tenant and this worker waits out its Retry-After (${Math.ceil(held / 1000)} s left)`, { ...request, retryAfterMs: held });
    }
  }

  /** Sends one request (paced, counted) and returns the 2xx exchange; every other outcome is thrown as a ScimError. */
  private async send(method: HttpMethod, resourcePath: string, options: { query?: Query; body?: unknown } = {}): Promise<SuccessfulExchange> {
    const path = this.relativePath(resourcePath, options.query);
    const request: ScimRequestDescription = { method, path };
    this.refuseWhileHeld(request);
    if (this.pacer !== undefined) {
      await this.waitForPacer(this.pacer);
      // Again after the wait: another request of the tenant may have been answered 429 meanwhile, and the pacer's slot,
      // reserved before that, does not move with the hold.
      this.refuseWhileHeld(request);
    }
    // A stopped client sends nothing more (and spends no quota).
    this.signal?.throwIfAborted();
    this.counts[method] += 1;
    this.onSend?.();

    // axios' own timeout is an inactivity timer; this deadline also bounds a server that trickles bytes.
    const deadline = AbortSignal.timeout(this.totalTimeoutMs);
    let response;
    try {
      response = await this.#http.request<unknown>({
        method,
        url: `${this.baseUrl}${path}`,
        signal: this.signal ? AbortSignal.any([this.signal, deadline]) : deadline,
        ...(options.body !== undefined
          ? { data: JSON.stringify(options.body), headers: { 'Content-Type': SCIM_MEDIA_TYPE } }
          : {}),
      });
    } catch (error) {
      this.onOperation?.({ method, status: undefined });
      this.signal?.throwIfAborted();
      if (deadline.aborted) {
        throw new ScimTransientError(`timeout: no complete response from ${this.host} within the total deadline of ${this.totalTimeoutMs} ms`, {
          ...request,
          networkCode: 'ETIMEDOUT',
        });
      }
      if (axios.isAxiosError(error) && /maxContentLength|maxBodyLength/.test(error.message)) {
        // Retrying would fetch (or send) the same oversized body again: a broken server or request, not a blip. A request
        // body over the limit was never sent (refused, nothing applied); a response over it was (malformed: a write
        // that got one was applied).
        const limit = `the client's limit of ${MAX_CONTENT_BYTES} bytes (${MAX_CONTENT_BYTES / 1024 / 1024} MiB)`;
        if (error.message.includes('maxBodyLength')) throw new ScimRequestRefusedError(`request body larger than ${limit}: not sent`, request);
        throw new ScimMalformedResponseError(`response larger than ${limit}`, request);
      }
      if (axios.isAxiosError(error) && error.code === 'ECONNABORTED' && error.message.startsWith('timeout')) {
        throw new ScimTransientError(`timeout: no data from ${this.host} for ${this.timeoutMs} ms (idle timeout)`, { ...request, networkCode: 'ECONNABORTED' });
      }
      throw toScimError(request, { kind: 'exception', error }, { redact: this.redact, host: this.host });
    }
    this.onOperation?.({ method, status: response.status });

    const rawBody = typeof response.data === 'string' ? response.data : '';
    if (response.status < 200 || response.status > 299) {
      const body = parseJsonOrUndefined(rawBody);
      const failure = toScimError(
        request,
        { kind: 'response', status: response.status, headers: { ...response.headers }, body, ...(body === undefined && rawBody.trim() !== '' ? { textBody: true } : {}) },
        { redact: this.redact },
      );
      // Every request of this process waits, not just this one: the budget (or the overload) is the tenant's.
      if ((failure instanceof ScimRateLimitedError || failure instanceof ScimTransientError) && failure.retryAfterMs !== undefined) {
        this.pacer?.holdFor(failure.retryAfterMs);
        if (failure instanceof ScimRateLimitedError) this.hold?.holdFor(failure.retryAfterMs);
      }
      throw failure;
    }
    return { request, status: response.status, rawBody };
  }

  private parse<Schema extends z.ZodType>(exchange: SuccessfulExchange, schema: Schema): z.output<Schema> {
    let json: unknown;
    try {
      json = JSON.parse(exchange.rawBody);
    } catch {
      throw new ScimMalformedResponseError(
        `${exchange.status} with a body that is not JSON (${exchange.rawBody.length} characters)`,
        { ...exchange.request, status: exchange.status },
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      // Issue paths and messages only: values may hold personal data.
      const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
      throw new ScimMalformedResponseError(`${exchange.status} with an unexpected body — ${problems.join('; ')}`, {
        ...exchange.request,
        status: exchange.status,
      });
    }
    return parsed.data;
  }

  private relativePath(resourcePath: string, query?: Query): string {
    if (query === undefined) return resourcePath;
    // encodeURIComponent rather than axios' params serializer, which writes spaces as '+'.
    const queryString = Object.entries(query)
      .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
      .join('&');
    return `${resourcePath}?${queryString}`;
  }

  private readonly redact = (text: string): string => redactSecrets(text, [this.#token]);
}

export function createScimClient(options: ScimClientOptions): ScimClient {
  return new ScimClient(options);
}

function userPath(method: HttpMethod, id: string): string {
  return `/Users/${pathSegment({ method, path: '/Users/{id}' }, 'Peakon user id', id)}`;
}

/**
 * `value` encoded as one path segment. An empty one would turn GET /Users/{id} into a listing and DELETE into a
 * request on the collection; a segment that is `.` or `..` (or their percent-encoded spellings) is a dot segment that
 * URL resolution removes: `/Users/.` becomes `/Users/` (a DELETE on the collection), `/Users/..` the base. Either is
 * refused before sending (ScimRequestRefusedError, not retried), never as a malformed answer: nothing was sent, so a
 * write refused here was not applied. Ids come from Peakon's answers, which the parse already holds to the same rule
 * (scim/resources.ts ScimIdSchema); only an id read before that rule (an older stored plan or ledger) can still be one.
 */
function pathSegment(request: ScimRequestDescription, what: string, value: string, options: { rawColons?: boolean } = {}): string {
  const encoded = options.rawColons === true ? encodeURIComponent(value).replace(/%3A/gi, ':') : encodeURIComponent(value);
  if (encoded === '') throw new ScimRequestRefusedError(`not sent: a ${what} must not be empty`, request);
  if (/^(?:\.|%2e){1,2}$/i.test(encoded)) throw new ScimRequestRefusedError(`not sent: Invalid ${what} ${JSON.stringify(value)}: a path segment of dots would address another resource`, request);
  return encoded;
}

function parseJsonOrUndefined(rawBody: string): unknown {
  try {
    return JSON.parse(rawBody);
  } catch {
    return undefined;
  }
}
