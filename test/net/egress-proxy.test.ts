import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requestJson, type HrisHttpSettings } from '../../hris/http';
import { SourceReadError } from '../../hris/source';
import { describeTemporalTunnelFailure, egressAgents, egressProxyFromEnv, NO_PROXY_VARIABLE, PROXY_VARIABLE, temporalProxyConfig, tunnelsThrough } from '../../net/egress-proxy';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { ScimClient } from '../../scim/client';
import { toActivityFailure } from '../../activities/failures';
import { loadConfigFile } from '../../config/load';
import { ScimEgressProxyRefusedError, ScimTransientError } from '../../scim/errors';
import { createStorageDriver } from '../../storage/from-env';
import { readWorkerEnvironment } from '../../worker/environment';
import { runCliInProcess } from '../harness/cli';
import { startConnectProxy, type ConnectProxy } from '../harness/connect-proxy';
import { describeWithMoto, startMoto } from '../harness/moto';
import { startTestServer } from '../hris/http-server';

// Jest gives each test file its own copy of process.env: what this file sets stays here.
const PASSWORD = 'pr0xy-s3cret';
const CREDENTIALS = { username: 'sync', password: PASSWORD };

function useProxyEnvironment(url: string, noProxy?: string): void {
  process.env[PROXY_VARIABLE] = url;
  if (noProxy === undefined) delete process.env[NO_PROXY_VARIABLE];
  else process.env[NO_PROXY_VARIABLE] = noProxy;
}

afterEach(() => {
  for (const name of [PROXY_VARIABLE, NO_PROXY_VARIABLE, 'PEAKON_TOKEN', 'PEAKON_SYNC_SECRET_HOSTS', 'PEAKON_SYNC_ALLOW_INSECURE_HTTP']) delete process.env[name];
});

describe('PEAKON_SYNC_PROXY settings', () => {
  it('is off unless set, and refuses what is not an http:// proxy origin without ever quoting the value', () => {
    expect(egressProxyFromEnv({})).toBeUndefined();
    expect(egressProxyFromEnv({ [PROXY_VARIABLE]: ' ' })).toBeUndefined();
    // Without a scheme, `sync:password@host` parses with `sync:` as the scheme: the user name must not be echoed either.
    for (const value of [`not a url ${PASSWORD}`, `https://sync:${PASSWORD}@proxy.corp:3128`, `http://sync:${PASSWORD}@proxy.corp:3128/path`, `socks5://sync:${PASSWORD}@proxy.corp:1080`, `sync:${PASSWORD}@proxy.corp:3128`]) {
      expect(() => egressProxyFromEnv({ [PROXY_VARIABLE]: value })).toThrow(PROXY_VARIABLE);
      expect(() => egressProxyFromEnv({ [PROXY_VARIABLE]: value })).not.toThrow(PASSWORD);
      expect(() => egressProxyFromEnv({ [PROXY_VARIABLE]: value })).not.toThrow('sync');
    }
    // A missing port is not silently 80 (Squid listens on 3128); an explicit :80 is fine.
    expect(() => egressProxyFromEnv({ [PROXY_VARIABLE]: 'http://proxy.corp' })).toThrow("must name the proxy's port");
    expect(egressProxyFromEnv({ [PROXY_VARIABLE]: 'http://proxy.corp:80' })?.origin).toBe('http://proxy.corp');
    // A broken %-escape names the variable and how to encode, not a bare "URI malformed".
    expect(() => egressProxyFromEnv({ [PROXY_VARIABLE]: `http://sync:${PASSWORD}%ZZ@proxy.corp:3128` })).toThrow(/PEAKON_SYNC_PROXY: the user name or password holds an invalid %-escape/);
    expect(() => egressProxyFromEnv({ [PROXY_VARIABLE]: `http://sync:${PASSWORD}%ZZ@proxy.corp:3128` })).not.toThrow(PASSWORD);
    // Basic authentication splits at the first ":": a user name holding one would be sent garbled.
    expect(() => egressProxyFromEnv({ [PROXY_VARIABLE]: 'http://a%3Ab:pw@proxy.corp:3128' })).toThrow('user name cannot contain ":"');
    expect(egressProxyFromEnv({ [PROXY_VARIABLE]: `http://u:${PASSWORD}@proxy.corp:3128` })?.origin).toBe('http://proxy.corp:3128');
  });

  it('fails the worker at start on a bad value, naming the variable and not the credentials', () => {
    expect(() => readWorkerEnvironment({ [PROXY_VARIABLE]: `https://u:${PASSWORD}@proxy.corp:3128` })).toThrow(/PEAKON_SYNC_PROXY must be an http:\/\/ URL/);
    expect(() => readWorkerEnvironment({ [PROXY_VARIABLE]: `https://u:${PASSWORD}@proxy.corp:3128` })).not.toThrow(PASSWORD);
    expect(() => readWorkerEnvironment({ [NO_PROXY_VARIABLE]: 'intranet, 10.0.0.0/8' })).toThrow(/PEAKON_SYNC_NO_PROXY: "10\.0\.0\.0\/8" is not .*no CIDR ranges/);
    expect(readWorkerEnvironment({ [PROXY_VARIABLE]: 'http://proxy.corp:3128', [NO_PROXY_VARIABLE]: 'hr.corp.example, *.internal 10.0.0.7' })).toMatchObject({ PEAKON_SYNC_PROXY: 'http://proxy.corp:3128' });
  });

  it('sends loopback and PEAKON_SYNC_NO_PROXY hosts direct, everything else through the tunnel', () => {
    const proxy = egressProxyFromEnv({ [PROXY_VARIABLE]: 'http://proxy.corp:3128', [NO_PROXY_VARIABLE]: 'hr.corp.example,*.internal,10.0.0.7,.lan.example' });
    if (!proxy) throw new Error('expected a proxy');
    // Single-label names (compose services, the local network's hosts) go direct: a proxy elsewhere cannot resolve them.
    expect(['localhost', '127.0.0.1', '::1', 'hr.corp.example', 's3.eu.internal', '10.0.0.7', 'nas.lan.example', 'temporal', 'minio'].filter((host) => tunnelsThrough(proxy, host))).toEqual([]);
    expect(['acme.peakon.com', 'api.bamboohr.com', 'corp.example', 'lan.example', 'internal.example', '10.0.0.8', '2001:db8::1'].every((host) => tunnelsThrough(proxy, host))).toBe(true);
    const everything = egressProxyFromEnv({ [PROXY_VARIABLE]: 'http://proxy.corp:3128', [NO_PROXY_VARIABLE]: '*' });
    expect(everything && tunnelsThrough(everything, 'acme.peakon.com')).toBe(false);
    expect(egressAgents({})).toEqual({});
    expect(egressAgents({ [PROXY_VARIABLE]: 'http://proxy.corp:3128' }).httpsAgent).toBeDefined();
  });

  it('gives the Temporal connection the proxy with its port and decoded credentials, unless the address goes direct', () => {
    const env = { [PROXY_VARIABLE]: 'http://sync%40corp:p%3A%40w@proxy.corp:3128', [NO_PROXY_VARIABLE]: 'temporal.internal' };
    expect(temporalProxyConfig('acme.a1b2c.tmprl.cloud:7233', env)).toEqual({ type: 'http-connect', targetHost: 'proxy.corp:3128', basicAuth: { username: 'sync@corp', password: 'p:@w' } });
    // The core needs the port even when it is http's default, which the URL parser drops.
    expect(temporalProxyConfig('acme.a1b2c.tmprl.cloud:7233', { [PROXY_VARIABLE]: 'http://proxy.corp:80' })).toEqual({ type: 'http-connect', targetHost: 'proxy.corp:80' });
    expect(temporalProxyConfig('temporal.internal:7233', env)).toBeUndefined();
    expect(temporalProxyConfig('localhost:7233', env)).toBeUndefined();
    expect(temporalProxyConfig('temporal:7233', env)).toBeUndefined();
    expect(temporalProxyConfig('acme.a1b2c.tmprl.cloud:7233', {})).toBeUndefined();
  });
});

describe('requests through the egress proxy', () => {
  let sandbox: RunningSandbox;
  let proxy: ConnectProxy;
  beforeAll(async () => {
    sandbox = await startSandbox({ token: 'sandbox-token' });
  });
  afterAll(async () => {
    await sandbox.close();
  });
  beforeEach(async () => {
    // `peakon.test` resolves nowhere but in the proxy: a request that arrives went through it.
    proxy = await startConnectProxy({ routes: { 'peakon.test:80': `127.0.0.1:${sandbox.port}` }, credentials: CREDENTIALS });
  });
  afterEach(async () => {
    await proxy.close();
  });

  const client = () => new ScimClient({ baseUrl: 'http://peakon.test/scim/v2', token: sandbox.token, timeoutMs: 5_000 });

  it('reaches Peakon through a CONNECT tunnel with the proxy credentials, never handing the proxy a whole request', async () => {
    useProxyEnvironment(proxy.url);
    const config = await client().getServiceProviderConfig();
    expect(config.patch?.supported).toBe(true);
    expect(proxy.tunnels.map((tunnel) => [tunnel.target, tunnel.status])).toEqual([['peakon.test:80', 200]]);
    expect(proxy.tunnels[0]?.authorization).toBe(`Basic ${Buffer.from(`sync:${PASSWORD}`).toString('base64')}`);
    expect(proxy.forwarded).toEqual([]);
    expect(sandbox.ops().at(-1)?.path).toContain('/ServiceProviderConfig');
  });

  it('goes direct to loopback even with a proxy set', async () => {
    useProxyEnvironment(proxy.url);
    await new ScimClient({ baseUrl: sandbox.baseUrl, token: sandbox.token, timeoutMs: 5_000 }).getServiceProviderConfig();
    expect(proxy.tunnels).toEqual([]);
  });

  it('stops on a refused tunnel with a message naming the proxy and what to fix, sending nothing of the request', async () => {
    useProxyEnvironment(proxy.origin);
    const opsBefore = sandbox.ops().length;
    const refused = await client()
      .getServiceProviderConfig()
      .then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(ScimEgressProxyRefusedError);
    expect((refused as Error).message).toBe(`GET /ServiceProviderConfig: egress proxy 127.0.0.1:${new URL(proxy.origin).port} refused the tunnel to peakon.test:80 (407 Proxy Authentication Required): check the credentials in PEAKON_SYNC_PROXY`);
    // The proxy kept the connection open after refusing: nothing of the request (its bearer token) followed.
    expect(proxy.tunnels.map((tunnel) => tunnel.sent().length)).toEqual([0]);
    expect(sandbox.ops()).toHaveLength(opsBefore);
    // The activity names the worker's setting, not Peakon's token: a config problem, not retried.
    const failure = toActivityFailure(refused);
    expect(failure).toMatchObject({ type: 'ConfigInvalid', nonRetryable: true });
    expect(failure.message).toContain('egress proxy');
    expect(failure.message).not.toMatch(/SCIM token/);
  });

  it('retries when the proxy cannot reach the host (502), and says which proxy', async () => {
    useProxyEnvironment(proxy.url);
    const failed = await new ScimClient({ baseUrl: 'http://elsewhere.test/scim/v2', token: sandbox.token, timeoutMs: 5_000 })
      .getServiceProviderConfig()
      .then(() => undefined, (error: unknown) => error);
    expect(failed).toBeInstanceOf(ScimTransientError);
    expect((failed as ScimTransientError).retryable).toBe(true);
    expect((failed as Error).message).toContain(`egress proxy 127.0.0.1:${new URL(proxy.origin).port} could not open the tunnel to elsewhere.test:80 (502 Bad Gateway)`);
    expect((failed as Error).message).not.toContain(PASSWORD);
  });

  it('retries a proxy that hangs up without answering, naming it', async () => {
    const hangingUp = await startConnectProxy({ routes: { 'peakon.test:80': 'hang up' } });
    try {
      useProxyEnvironment(hangingUp.url);
      const failed = await client()
        .getServiceProviderConfig()
        .then(() => undefined, (error: unknown) => error);
      expect(failed).toBeInstanceOf(ScimTransientError);
      expect((failed as Error).message).toContain(`egress proxy 127.0.0.1:${new URL(hangingUp.origin).port} closed the connection before answering the tunnel request to peakon.test:80`);
    } finally {
      await hangingUp.close();
    }
  });

  it('names the proxy, not Peakon, when the proxy itself cannot be reached, and retries', async () => {
    const closed = await startConnectProxy({ routes: {} });
    await closed.close();
    useProxyEnvironment(closed.origin);
    const failed = await client()
      .getServiceProviderConfig()
      .then(() => undefined, (error: unknown) => error);
    expect(failed).toBeInstanceOf(ScimTransientError);
    expect((failed as Error).message).toContain(`cannot connect to the egress proxy ${closed.origin.replace('http://', '')} (ECONNREFUSED) to reach peakon.test:80: check the host and port in PEAKON_SYNC_PROXY`);
  });

  it('describes a failed Temporal tunnel in one line, with the proxy\'s answer', () => {
    const coreError = new Error(`tonic::transport::Error(Transport, ConnectError(Custom { kind: Other, error: "CONNECT call failed with status: 403 Forbidden" }))${' at frame'.repeat(500)}`);
    const message = describeTemporalTunnelFailure('acme.a1b2c.tmprl.cloud:7233', coreError, { [PROXY_VARIABLE]: `http://sync:${PASSWORD}@proxy.corp:3128` });
    expect(message).toBe('cannot reach Temporal at acme.a1b2c.tmprl.cloud:7233 via egress proxy proxy.corp:3128 (the proxy answered 403 Forbidden): check PEAKON_SYNC_PROXY (host, port, credentials) and that the proxy allows CONNECT to port 7233, or add the Temporal host to PEAKON_SYNC_NO_PROXY if it is reachable directly');
  });

  it('lets validate name the proxy setting, not the Peakon token, when the tunnel is refused', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'peakon-sync-validate-'));
    const configPath = path.join(folder, 'config.json');
    const sample = loadConfigFile(path.resolve(__dirname, '../../examples/sample-config.yaml'));
    writeFileSync(configPath, JSON.stringify({ ...sample, peakon: { ...sample.peakon, baseUrl: 'http://peakon.test/scim/v2' }, source: { ...sample.source, path: path.resolve(__dirname, '../../examples/sample-hr.csv') } }));
    useProxyEnvironment(proxy.origin);
    Object.assign(process.env, { PEAKON_TOKEN: sandbox.token, PEAKON_SYNC_SECRET_HOSTS: 'PEAKON_TOKEN=peakon.test', PEAKON_SYNC_ALLOW_INSECURE_HTTP: '1' });
    const printed = await runCliInProcess('validate', '--config', configPath);
    expect(printed).toContain(`  - PEAKON_SYNC_PROXY: GET /Schemas/`);
    expect(printed).toContain('refused the tunnel to peakon.test:80 (407 Proxy Authentication Required): check the credentials in PEAKON_SYNC_PROXY');
    expect(printed).not.toContain('peakon.token');
    process.exitCode = undefined;
  });

  it('carries HR source requests too, and a refusal fails the read with the proxy named', async () => {
    const hr = await startTestServer(() => ({ body: [{ email: 'ada@example.com' }] }));
    const hrProxy = await startConnectProxy({ routes: { 'hr.test:80': hr.origin.replace('http://', '') }, credentials: CREDENTIALS });
    const settings: HrisHttpSettings = { timeoutMs: 5_000, totalTimeoutMs: 5_000, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 10 }, sleep: async () => undefined, source: 'rest:test' };
    try {
      useProxyEnvironment(hrProxy.url);
      const answer = await requestJson({ method: 'GET', url: 'http://hr.test/employees', headers: { Authorization: 'Bearer hr-token' }, secrets: ['hr-token'] }, settings);
      expect(answer.body).toEqual([{ email: 'ada@example.com' }]);
      expect(hrProxy.tunnels.map((tunnel) => tunnel.target)).toEqual(['hr.test:80']);
      expect(hr.requests.map((request) => request.url.pathname)).toEqual(['/employees']);

      useProxyEnvironment(hrProxy.origin);
      const refused = requestJson({ method: 'GET', url: 'http://hr.test/employees', headers: {}, secrets: [] }, settings);
      await expect(refused).rejects.toThrow(SourceReadError);
      await expect(refused).rejects.toThrow(/failed after 1 attempt\(s\): egress proxy 127\.0\.0\.1:\d+ refused the tunnel to hr\.test:80 \(407 Proxy Authentication Required\)/);
      expect(hr.requests).toHaveLength(1);

      // A proxy that cannot reach the host this time (502) is retried like a dropped connection.
      useProxyEnvironment(hrProxy.url);
      const unreachable = requestJson({ method: 'GET', url: 'http://elsewhere.test/employees', headers: {}, secrets: [] }, settings);
      await expect(unreachable).rejects.toThrow(/failed after 2 attempt\(s\): egress proxy 127\.0\.0\.1:\d+ could not open the tunnel to elsewhere\.test:80 \(502 Bad Gateway\)$/);
      expect(hrProxy.tunnels.filter((tunnel) => tunnel.target === 'elsewhere.test:80')).toHaveLength(2);
    } finally {
      await hrProxy.close();
      await hr.close();
    }
  });
});

describe('redirects of an HR source', () => {
  const settings: HrisHttpSettings = { timeoutMs: 5_000, totalTimeoutMs: 5_000, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 10 }, sleep: async () => undefined, source: 'rest:test' };

  it('take their own route at each hop: from behind the proxy to a direct host, and from a direct host out through it', async () => {
    const files = await startTestServer(() => ({ body: { from: 'files' } }));
    const api = await startTestServer((request) => (request.url.pathname === '/out' ? { status: 302, headers: { Location: 'http://files.test/export' } } : { status: 302, headers: { Location: `${files.origin}/export` } }));
    const proxy = await startConnectProxy({ routes: { 'api.test:80': api.origin.replace('http://', ''), 'files.test:80': files.origin.replace('http://', '') } });
    try {
      useProxyEnvironment(proxy.url);
      // api.test (tunnelled) sends us to loopback: that hop goes direct, the proxy sees only the first.
      expect((await requestJson({ method: 'GET', url: 'http://api.test/in', headers: {}, secrets: [] }, settings)).body).toEqual({ from: 'files' });
      expect(proxy.tunnels.map((tunnel) => tunnel.target)).toEqual(['api.test:80']);
      // Loopback (direct) sends us to files.test, which resolves only in the proxy: that hop is tunnelled.
      expect((await requestJson({ method: 'GET', url: `${api.origin}/out`, headers: {}, secrets: [] }, settings)).body).toEqual({ from: 'files' });
      expect(proxy.tunnels.map((tunnel) => tunnel.target)).toEqual(['api.test:80', 'files.test:80']);
      expect(files.requests).toHaveLength(2);
    } finally {
      await proxy.close();
      await api.close();
      await files.close();
    }
  });
});

describeWithMoto('the S3 payload store through the egress proxy')('the S3 payload store through the egress proxy', () => {
  it('stores and reads objects through the tunnel', async () => {
    const moto = await startMoto();
    const bucket = await moto.newBucket();
    // Virtual-hosted style, as on AWS: the SDK connects to `<bucket>.s3.test`, which only the proxy resolves (moto reads
    // the bucket from the Host header's first label).
    const proxy = await startConnectProxy({ routes: { [`${bucket}.s3.test:80`]: moto.endpoint.replace('http://', '') } });
    try {
      useProxyEnvironment(proxy.url);
      const driver = createStorageDriver({ kind: 's3', bucket, prefix: 'p/', endpoint: 'http://s3.test', forcePathStyle: false }, moto.clientConfig);
      if (!('client' in driver)) throw new Error('expected the S3 driver');
      await driver.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'p/probe', Body: 'through the tunnel' }));
      const stored = await moto.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'p/probe' }));
      expect(await stored.Body?.transformToString()).toBe('through the tunnel');
      expect(proxy.tunnels.length).toBeGreaterThan(0);
      expect(new Set(proxy.tunnels.map((tunnel) => `${tunnel.target} ${tunnel.status}`))).toEqual(new Set([`${bucket}.s3.test:80 200`]));
      driver.client.destroy();
    } finally {
      await proxy.close();
      await moto.close();
    }
  }, 60_000);
});
