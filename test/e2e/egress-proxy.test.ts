import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { startConnectProxy, type ConnectProxy } from '../harness/connect-proxy';
import { expectConverged } from '../harness/converged';
import { usePipelineTests } from '../harness/pipeline';
import { devServerAddress } from '../harness/temporal';
import { startWorkerProcess, stopWorkerProcesses } from '../harness/worker-process';

const PASSWORD = 'pr0xy-s3cret';

/** A certificate for `peakon.test` (openssl, as an operator would make one), trusted by the worker via NODE_EXTRA_CA_CERTS. */
function certificateFor(host: string): { key: Buffer; cert: Buffer; certPath: string } {
  const folder = mkdtempSync(path.join(tmpdir(), 'peakon-sync-tls-'));
  const keyPath = path.join(folder, 'key.pem');
  const certPath = path.join(folder, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`], { stdio: 'ignore' });
  return { key: readFileSync(keyPath), cert: readFileSync(certPath), certPath };
}

/** HTTPS in front of the (plain http) sandbox, as Peakon serves it. */
async function startTlsFront(target: number, credentials: { key: Buffer; cert: Buffer }): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: TlsServer = createTlsServer(credentials, (secure) => {
    const upstream = connect(target, '127.0.0.1');
    for (const socket of [secure, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    secure.pipe(upstream).pipe(secure);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a worker behind an egress proxy (PEAKON_SYNC_PROXY)', () => {
  const pipeline = usePipelineTests();
  let proxy: ConnectProxy | undefined;
  let front: { close(): Promise<void> } | undefined;
  afterAll(async () => {
    await stopWorkerProcesses();
    await proxy?.close();
    await front?.close();
  });

  it('syncs with Temporal and Peakon reached only through CONNECT tunnels, TLS end to end, the credentials never logged', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(30, 11);
    fixture.writeEmployees(employees);
    const tls = certificateFor('peakon.test');
    const tlsFront = await startTlsFront(fixture.sandbox.port, tls);
    front = tlsFront;
    // Neither name resolves: only the proxy knows where they are, so every connection that works went through it.
    proxy = await startConnectProxy({
      routes: { 'peakon.test:443': `127.0.0.1:${tlsFront.port}`, 'temporal.test:7233': devServerAddress() },
      credentials: { username: 'sync', password: PASSWORD },
    });
    fixture.config.peakon = { ...fixture.config.peakon, baseUrl: 'https://peakon.test/scim/v2' };
    const worker = startWorkerProcess({
      PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue,
      PEAKON_SYNC_STATE_DIR: mkdtempSync(path.join(tmpdir(), 'peakon-sync-host-')),
      PEAKON_TOKEN: fixture.sandbox.token,
      PEAKON_SYNC_SECRET_HOSTS: 'PEAKON_TOKEN=peakon.test',
      PEAKON_SYNC_PROXY: proxy.url,
      TEMPORAL_ADDRESS: 'temporal.test:7233',
      NODE_EXTRA_CA_CERTS: tls.certPath,
    });

    const report: SyncReport = await (await fixture.startSync()).result();
    expect(report.failures).toEqual([]);
    expect(report.counts).toMatchObject({ created: 30, failed: 0 });
    expectConverged(fixture.sandbox.users(), employees);

    const targets = new Set(proxy.tunnels.map((tunnel) => `${tunnel.target} ${tunnel.status}`));
    expect(targets).toEqual(new Set(['temporal.test:7233 200', 'peakon.test:443 200']));
    expect(proxy.tunnels.every((tunnel) => tunnel.authorization === `Basic ${Buffer.from(`sync:${PASSWORD}`).toString('base64')}`)).toBe(true);
    expect(proxy.forwarded).toEqual([]);
    // What the proxy could read of the Peakon traffic: TLS records only, no token, no employee.
    const peakonBytes = Buffer.concat(proxy.tunnels.filter((tunnel) => tunnel.target === 'peakon.test:443').map((tunnel) => tunnel.sent())).toString('latin1');
    expect(peakonBytes.length).toBeGreaterThan(1000);
    // Booleans, so a failure does not print kilobytes of ciphertext.
    const readable = [fixture.sandbox.token, '/scim/v2', 'Bearer', ...employees.map((employee) => employee.work_email)].filter((text) => peakonBytes.includes(text));
    expect(readable).toEqual([]);
    expect(worker.stdout()).toContain(`"egressProxy":"${proxy.origin}"`);
    expect(worker.stdout()).not.toContain(PASSWORD);
    expect(worker.stderr()).not.toContain(PASSWORD);
  }, 180_000);

  it('stops a worker whose Temporal tunnel is refused with one line naming the proxy and what to check', async () => {
    const refusing = await startConnectProxy({ routes: {}, credentials: { username: 'sync', password: PASSWORD } });
    try {
      const worker = startWorkerProcess({ PEAKON_SYNC_PROXY: refusing.url, TEMPORAL_ADDRESS: 'temporal.test:7233', PEAKON_SYNC_STATE_DIR: mkdtempSync(path.join(tmpdir(), 'peakon-sync-host-')) });
      const exitCode = await new Promise<number | null>((resolve) => worker.process.once('exit', resolve));
      expect(exitCode).toBe(1);
      expect(refusing.tunnels.map((tunnel) => `${tunnel.target} ${tunnel.status}`)).toContain('temporal.test:7233 502');
      const output = worker.stdout() + worker.stderr();
      expect(output).toContain(`cannot reach Temporal at temporal.test:7233 via egress proxy ${refusing.origin.replace('http://', '')} (the proxy answered 502 Bad Gateway)`);
      // Not the core's transport dump, and never the credentials.
      expect(output.length).toBeLessThan(1500);
      expect(output).not.toContain(PASSWORD);
    } finally {
      await refusing.close();
    }
  }, 60_000);
});
