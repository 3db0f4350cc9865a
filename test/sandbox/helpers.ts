import { z } from 'zod';
import {
  CORE_USER_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  PATCH_OP_SCHEMA,
  PEAKON_USER_SCHEMA,
  ScimErrorSchema,
  ScimUserSchema,
  UserListResponseSchema,
  type ScimUser,
  type ScimUserWrite,
} from '../../scim/resources';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../sandbox';

export const TOKEN = 'test-token-3f9a';

export interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface CallOptions {
  body?: unknown;
  rawBody?: string;
  contentType?: string;
  token?: string | null;
  signal?: AbortSignal;
}

/** Real HTTP with Node's fetch: the sandbox is tested from the outside, the way any SCIM client sees it. */
export async function call(url: string, method: string, options: CallOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (payload !== undefined) headers['Content-Type'] = options.contentType ?? 'application/scim+json';
  const response = await fetch(url, { method, headers, ...(payload === undefined ? {} : { body: payload }), ...(options.signal ? { signal: options.signal } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text.length > 0 ? JSON.parse(text) : undefined };
}

/** Calls `${sandbox.baseUrl}${path}` with the sandbox's token. */
export function scim(sandbox: RunningSandbox, method: string, path: string, options: CallOptions = {}): Promise<HttpResult> {
  return call(`${sandbox.baseUrl}${path}`, method, options);
}

export function admin(sandbox: RunningSandbox, method: string, path: string, options: CallOptions = {}): Promise<HttpResult> {
  return call(`${sandbox.origin}/_sandbox${path}`, method, options);
}

export const asUser = (result: HttpResult): ScimUser => ScimUserSchema.parse(result.body);
export const asList = (result: HttpResult) => UserListResponseSchema.parse(result.body);
export const asError = (result: HttpResult) => ScimErrorSchema.parse(result.body);
export const asRecord = (result: HttpResult): Record<string, unknown> => z.record(z.string(), z.unknown()).parse(result.body);

export interface EmployeeShape {
  employeeNumber?: string;
  externalId?: string;
  peakon?: Record<string, string | number | null>;
  givenName?: string;
}

/** A body Peakon accepts: userName equal to the work email, a name, optional extensions. */
export function employee(email: string, shape: EmployeeShape = {}): ScimUserWrite {
  return {
    schemas: [CORE_USER_SCHEMA, ...(shape.employeeNumber ? [ENTERPRISE_USER_SCHEMA] : []), ...(shape.peakon ? [PEAKON_USER_SCHEMA] : [])],
    userName: email,
    name: { givenName: shape.givenName ?? email.split('@')[0] ?? 'Given', familyName: 'Tester' },
    emails: [{ value: email, type: 'work', primary: true }],
    active: true,
    ...(shape.externalId ? { externalId: shape.externalId } : {}),
    ...(shape.employeeNumber ? { [ENTERPRISE_USER_SCHEMA]: { employeeNumber: shape.employeeNumber } } : {}),
    ...(shape.peakon ? { [PEAKON_USER_SCHEMA]: shape.peakon } : {}),
  };
}

export function patchOp(...operations: { op: string; path?: string; value?: unknown }[]): unknown {
  return { schemas: [PATCH_OP_SCHEMA], Operations: operations };
}

/** Starts a sandbox for each test and closes it afterwards; read `current()` inside tests. */
export function useSandbox(options: Partial<SandboxOptions> = {}): () => RunningSandbox {
  let sandbox: RunningSandbox | undefined;
  beforeEach(async () => {
    sandbox = await startSandbox({ token: TOKEN, ...options });
  });
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });
  return () => {
    if (!sandbox) throw new Error('the sandbox is only available inside a test');
    return sandbox;
  };
}

export async function createEmployee(sandbox: RunningSandbox, email: string, shape: EmployeeShape = {}): Promise<ScimUser> {
  const result = await scim(sandbox, 'POST', '/Users', { body: employee(email, shape) });
  if (result.status !== 201) throw new Error(`creating ${email} answered ${result.status}: ${JSON.stringify(result.body)}`);
  return asUser(result);
}
