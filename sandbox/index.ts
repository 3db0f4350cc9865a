import { createServer } from 'node:http';
import { z } from 'zod';
import { ScimUserWriteSchema, type ScimUser, type ScimUserWrite } from '../scim/resources';
import { FaultInjector, type FaultSettings, type FaultSettingsInput } from './faults';
import { OperationLog, type OperationLogEntry } from './ops-log';
import { HourlyOperationBudget } from './quota';
import { validateUser } from './rules';
import { createSandboxApp, SCIM_BASE_PATH } from './server';
import { UserStore } from './store';
import { DEFAULT_TENANT_SCHEMA, TenantSchemaSchema, type TenantAttribute } from './tenant-schema';
import { PendingTimers } from './timers';

export type { FaultSettings, FaultSettingsInput } from './faults';
export type { OperationLogEntry } from './ops-log';
export type { TenantAttribute, TenantAttributeType } from './tenant-schema';
export { DEFAULT_TENANT_SCHEMA, loadTenantSchemaFile, parseTenantSchema } from './tenant-schema';
export type { ScimUser } from '../scim/resources';

export const DEFAULT_QUOTA_PER_HOUR = 25_000;
export const DEFAULT_PAGE_SIZE_CAP = 100;

const SandboxOptionsSchema = z.object({
  token: z.string().min(1, 'a bearer token is required'),
  port: z.number().int().min(0).max(65_535).optional(),
  host: z.string().min(1).default('127.0.0.1'),
  schema: TenantSchemaSchema.optional(),
  quotaPerHour: z.number().int().positive().default(DEFAULT_QUOTA_PER_HOUR),
  pageSizeCap: z.number().int().positive().default(DEFAULT_PAGE_SIZE_CAP),
  /** RFC 7644 reads PUT as a full replace; Peakon does not document it, so the strict reading is the default. */
  putClearsOmitted: z.boolean().default(true),
  acceptPeakonIdAsManager: z.boolean().default(false),
  relaxUserNameRules: z.boolean().default(false),
  anyFilter: z.boolean().default(false),
  today: z.iso.date().optional(),
  faults: z.unknown().optional(),
});

export interface SandboxOptions {
  token: string;
  /** 0 or undefined: a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The tenant's Peakon attributes; default DEFAULT_TENANT_SCHEMA. */
  schema?: TenantAttribute[];
  /** Default 25,000 (Peakon's documented budget). */
  quotaPerHour?: number;
  /** Default 100. */
  pageSizeCap?: number;
  /** Default true: PUT clears attributes the body omits. false: omitted attributes keep their stored value. */
  putClearsOmitted?: boolean;
  /** Default false: employee attributes take only an existing employee's email; true also takes their id. */
  acceptPeakonIdAsManager?: boolean;
  /** Default false. Not Peakon behaviour: accepts any userName, for generic SCIM conformance checkers only. */
  relaxUserNameRules?: boolean;
  /**
   * Default false: GET /Users?filter= (and .search) answers only what Peakon documents, a single `eq` on userName,
   * emails, emails.value, externalId, id or the enterprise employeeNumber; any other filter is 400 invalidFilter.
   * true is NOT Peakon behaviour: every RFC 7644 filter is answered, for generic SCIM conformance checkers only.
   */
  anyFilter?: boolean;
  /**
   * Peakon's day (YYYY-MM-DD): from it, as Peakon does, a past `Separation date` or a future `Tenure` serves the user
   * as inactive (sandbox/dates.ts). Default: none, the stored `active` is served (the real clock would make tests with
   * fixed dates change behaviour as the calendar passes them).
   */
  today?: string;
  faults?: Partial<FaultSettingsInput>;
}

export interface RunningSandbox {
  /** http://HOST:PORT/scim/v2 — what a Peakon connection is configured with. */
  baseUrl: string;
  /** http://HOST:PORT — the admin surface is at `${origin}/_sandbox`. */
  origin: string;
  port: number;
  token: string;
  /** Stored users in creation order (copies). */
  users(): ScimUser[];
  /** SCIM requests in arrival order. */
  ops(): OperationLogEntry[];
  /** SCIM requests per HTTP method. */
  counters(): Record<string, number>;
  /** Clears users, the operation log and the hourly budget; fault settings stay and replay from their seed. */
  reset(): void;
  /** Replaces the fault settings (omitted fields go back to their defaults) and restarts the seeded sequence. */
  setFaults(faults: Partial<FaultSettingsInput>): FaultSettings;
  /** Stores users as if POSTed, in order (validated, so later ones may name earlier ones as Manager), without counting operations. */
  seedUsers(users: ScimUserWrite[]): ScimUser[];
  /**
   * Test-only: overwrites stored user `id` with `attributes` unvalidated (id and meta kept), so a test can hold a user
   * Peakon returns but no SCIM write could store (a null givenName, an array in a Peakon attribute).
   */
  storeRawUser(id: string, attributes: Record<string, unknown>): ScimUser;
  /** Test-only: changes the hourly budget from now on (another integration's use of the hour ending, say). */
  setQuotaPerHour(limit: number): void;
  /** Moves Peakon's day (`SandboxOptions.today`); undefined: the stored `active` again. */
  setToday(day: string | undefined): void;
  close(): Promise<void>;
}

/** Starts one independent in-memory Peakon tenant. Many can run at once, each on its own port. */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const settings = SandboxOptionsSchema.parse(options);
  const tenantSchema = settings.schema ?? [...DEFAULT_TENANT_SCHEMA];
  let origin = '';
  const baseUrl = (): string => `${origin}${SCIM_BASE_PATH}`;
  const employeeAttributes = tenantSchema.filter((attribute) => attribute.type === 'employee').map((attribute) => attribute.name);
  const store = new UserStore((id) => `${baseUrl()}/Users/${id}`, undefined, employeeAttributes);
  const log = new OperationLog();
  const budget = new HourlyOperationBudget(settings.quotaPerHour);
  const faults = new FaultInjector(options.faults ?? {});
  const timers = new PendingTimers();
  const reset = (): void => {
    store.clear();
    log.clear();
    budget.reset();
    faults.rewind();
  };
  const validation = { tenantSchema, directory: store, acceptPeakonIdAsManager: settings.acceptPeakonIdAsManager, relaxUserNameRules: settings.relaxUserNameRules };

  let today = settings.today;
  const app = createSandboxApp({ ...settings, tenantSchema, store, log, budget, faults, timers, baseUrl, reset, today: () => today });
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port ?? 0, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`sandbox did not get a TCP port (address ${String(address)})`);
  const port = address.port;
  origin = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}`;

  return {
    baseUrl: baseUrl(),
    origin,
    port,
    token: settings.token,
    users: () => store.all(),
    ops: () => log.all(),
    counters: () => log.countsByMethod(),
    reset,
    setFaults: (next) => faults.replace(next),
    setQuotaPerHour: (limit) => budget.setLimit(z.number().int().positive().parse(limit)),
    seedUsers: (users) => users.map((user) => store.create(validateUser(ScimUserWriteSchema.parse(user), validation))),
    setToday: (day) => {
      today = day === undefined ? undefined : z.iso.date().parse(day);
    },
    storeRawUser: (id, attributes) => {
      const stored = store.replaceRaw(id, attributes);
      if (!stored) throw new Error(`no stored user ${id}`);
      return stored;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        timers.cancelAll();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
