/**
 * An egress proxy (PEAKON_SYNC_PROXY) that refuses the tunnel to the HR system (407: wrong proxy credentials) fails
 * the run at once as the worker's configuration problem (ConfigInvalid), as a refused tunnel to Peakon does, instead
 * of a SourceReadFailed the plan activity retried up to five times, sending the refused Proxy-Authorization to the proxy
 * each time (which can lock a directory-backed proxy account). A real sync workflow on the dev server, its plan
 * activity reading a REST or BambooHR source whose host (`hr.test`) resolves only inside a real CONNECT proxy; the
 * CONNECTs the proxy answered are counted.
 */
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { BambooHrSourceConfigSchema, RestSourceConfigSchema, type SourceConfig } from '../../hris/config';
import { NO_PROXY_VARIABLE, PROXY_VARIABLE } from '../../net/egress-proxy';
import { startConnectProxy, type ConnectProxy } from '../harness/connect-proxy';
import { usePipelineTests, type PipelineFixture } from '../harness/pipeline';
import { startTestServer, type TestServer } from './http-server';

const CREDENTIALS = { username: 'sync', password: 'pr0xy-s3cret' };
const WRONG_PASSWORD = 'wr0ng-pr0xy-s3cret';
const BAMBOO_KEY_VARIABLE = 'PLAN_PROXY_REFUSED_BAMBOO_KEY';
// Jest gives each test file its own copy of process.env: what this file sets stays here.
const SET_HERE = [PROXY_VARIABLE, NO_PROXY_VARIABLE, 'PEAKON_SYNC_ALLOW_INSECURE_HTTP', 'PEAKON_SYNC_SECRET_HOSTS', BAMBOO_KEY_VARIABLE];

const pipeline = usePipelineTests();
let hr: TestServer;
let proxy: ConnectProxy;
beforeEach(async () => {
  hr = await startTestServer(() => ({ body: [{ id: '1', email: 'ada@example.com' }] }));
  proxy = await startConnectProxy({ routes: { 'hr.test:80': hr.origin.replace('http://', '') }, credentials: CREDENTIALS });
  // The worker's proxy setting with a wrong password: the proxy answers every CONNECT 407.
  process.env[PROXY_VARIABLE] = `http://${CREDENTIALS.username}:${WRONG_PASSWORD}@127.0.0.1:${new URL(proxy.origin).port}`;
  process.env.PEAKON_SYNC_ALLOW_INSECURE_HTTP = '1';
  process.env.PEAKON_SYNC_SECRET_HOSTS = `${BAMBOO_KEY_VARIABLE}=hr.test`;
  process.env[BAMBOO_KEY_VARIABLE] = 'bamboo-api-key';
});
afterEach(async () => {
  for (const name of SET_HERE) delete process.env[name];
  await proxy.close();
  await hr.close();
});

/** Runs a sync of `source` to its end and returns the run's failure. */
async function failedSync(source: SourceConfig): Promise<ApplicationFailure> {
  const fixture: PipelineFixture = await pipeline.fixture();
  fixture.config.source = source;
  const workers = await fixture.startWorkers();
  const failure = await workers.runUntil(
    fixture.startSync().then((handle) => handle.result()).then(
      () => undefined,
      (error: unknown) => error,
    ),
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const cause = (failure as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

function expectOneRefusedConnect(failure: ApplicationFailure): void {
  // One CONNECT, with the refused credentials: the plan activity is not attempted again.
  const wrongAuthorization = `Basic ${Buffer.from(`${CREDENTIALS.username}:${WRONG_PASSWORD}`).toString('base64')}`;
  expect(proxy.tunnels.map((tunnel) => [tunnel.target, tunnel.status, tunnel.authorization])).toEqual([['hr.test:80', 407, wrongAuthorization]]);
  expect(failure.type).toBe('ConfigInvalid');
  expect(failure.message).toContain(`egress proxy 127.0.0.1:${new URL(proxy.origin).port} refused the tunnel to hr.test:80 (407 Proxy Authentication Required): check the credentials in PEAKON_SYNC_PROXY`);
  expect(failure.message).not.toContain(WRONG_PASSWORD);
  // Nothing of the request went through the refused tunnel, and nothing reached the HR system.
  expect(proxy.tunnels[0]?.sent().length).toBe(0);
  expect(hr.requests).toHaveLength(0);
}

it('a REST source behind a proxy that answers 407 fails the run ConfigInvalid after one CONNECT', async () => {
  const failure = await failedSync(RestSourceConfigSchema.parse({ type: 'rest', url: 'http://hr.test/api/employees', pagination: { type: 'none' }, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 } }));
  expectOneRefusedConnect(failure);
  expect(failure.message).toContain('GET http://hr.test/api/employees failed after 1 attempt(s)');
});

it('a BambooHR source behind a proxy that answers 407 fails the run ConfigInvalid after one CONNECT', async () => {
  const failure = await failedSync(
    BambooHrSourceConfigSchema.parse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: BAMBOO_KEY_VARIABLE }, baseUrl: 'http://hr.test/api/gateway.php/acme', retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 } }),
  );
  expectOneRefusedConnect(failure);
  expect(failure.message).not.toContain('bamboo-api-key');
});
