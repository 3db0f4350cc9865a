/**
 * A write that reads the user first (a PUT laid over Peakon's current user: sendEmployeeWrite) sends two requests in
 * one attempt. When another step of the same tenant is answered 429 while the GET is in flight, the PUT is not sent:
 * the tenant's hold is checked by the step's SCIM client before every request, not only when the step starts (README:
 * "no request reaches Peakon once the first 429 is back"). The step fails rate limited with the wait, the GET it sent
 * counted. A scripted stand-in over real HTTP holds the GET open until the other step's 429 is back.
 */
import type { ServerResponse } from 'node:http';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../../activities/deps';
import { scimStepActivities, type StepFailureDetails } from '../../activities/employee';
import { tenantHeldForMs } from '../../activities/tenant-hold';
import { CORE_USER_SCHEMA } from '../../scim/resources';
import type { EmployeeWrite } from '../../sync/types';
import { inActivity } from '../harness/in-activity';
import { scimUser, sendJson, startStandInServer, type StandInServer } from './stand-in-server';

const TOKEN = 'stand-in-token-hold';
const PERSON = 'ada.lovelace@acme.com';
const RETRY_AFTER_S = 120;

const deps: ActivityDeps = {
  reportDirectory: '/nonexistent',
  resolveSecret: () => TOKEN,
  createSource: () => {
    throw new Error('no HR source here');
  },
};

let server: StandInServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('a PUT over the current user whose tenant is answered 429 while its GET is in flight', () => {
  it('is not sent: the step fails rate limited with the wait, its GET counted', async () => {
    let heldGet: ServerResponse | undefined;
    let getArrived: () => void = () => undefined;
    const getIsOpen = new Promise<void>((resolve) => (getArrived = resolve));
    server = await startStandInServer((request, response) => {
      if (request.method === 'GET' && request.url.endsWith('/Users/u1')) {
        // Held open until the other step's 429 is back.
        heldGet = response;
        getArrived();
        return;
      }
      if (request.url.endsWith('/Users/u2')) {
        sendJson(response, 429, { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '429', detail: 'too many requests' }, { 'Retry-After': String(RETRY_AFTER_S) });
        return;
      }
      sendJson(response, 200, scimUser('u1', PERSON, { active: false }));
    });

    const tenant = `put-hold-${Date.now()}`;
    const step = (peakonUserId: string, write: EmployeeWrite) => ({
      run: { tenant, runId: `peakon-sync/${tenant}/2026-12-01T08:00:00Z` },
      peakon: { baseUrl: `${server?.origin ?? ''}/scim/v2`, token: { env: 'PEAKON_TOKEN' }, timeoutMs: 5_000, operationsPerHour: 25_000 },
      ref: `employee-${peakonUserId}`,
      peakonUserId,
      write,
    });
    const { writeEmployee } = scimStepActivities(deps);
    const putOverCurrent = { method: 'put', body: { schemas: [CORE_USER_SCHEMA], userName: PERSON, active: false }, overCurrent: true } as EmployeeWrite;

    const writing = inActivity(writeEmployee)
      .run(step('u1', putOverCurrent))
      .then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
    await getIsOpen;

    // Another employee of the tenant meanwhile: answered 429, which holds the tenant.
    const other = await inActivity(writeEmployee)
      .run(step('u2', { method: 'patch', operations: [{ op: 'replace', path: 'title', value: 'Countess' }] }))
      .then(() => undefined, (error: unknown) => error);
    expect(other).toMatchObject({ type: 'RateLimited' });
    expect(tenantHeldForMs(tenant, `${server.origin}/scim/v2`)).toBeGreaterThan(0);

    // The GET answers now, after the 429.
    if (!heldGet) throw new Error('the GET was not held');
    sendJson(heldGet, 200, scimUser('u1', PERSON, { active: true }));
    const outcome = await writing;

    expect(server.requests.map((request) => `${request.method} ${request.url.replace(/^\/scim\/v2/, '')}`)).toEqual(['GET /Users/u1', 'PATCH /Users/u2']);
    expect(outcome).not.toHaveProperty('result');
    const { error } = outcome as { error: unknown };
    expect(error).toBeInstanceOf(ApplicationFailure);
    const failure = error as ApplicationFailure;
    expect(failure).toMatchObject({ type: 'RateLimited', nonRetryable: false, message: expect.stringContaining('not sent') });
    expect(failure.nextRetryDelay).toBeGreaterThan((RETRY_AFTER_S - 10) * 1000);
    const details = failure.details?.[0] as StepFailureDetails;
    // The GET went out: one operation spent.
    expect(details.operations).toBe(1);
    expect(details.retryAfterMs).toBeGreaterThan((RETRY_AFTER_S - 10) * 1000);
  });
});
