import { readWorkerEnvironment, temporalConnectConfig } from '../../worker/environment';

describe('worker environment', () => {
  it('connects to the local dev server by default', () => {
    const config = temporalConnectConfig({});
    expect(config.connectionOptions.address).toBe('localhost:7233');
    expect(config.namespace).toBe('default');
  });

  it('reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TEMPORAL_API_KEY for Temporal Cloud', () => {
    const config = temporalConnectConfig({ TEMPORAL_ADDRESS: 'acme.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'acme.a1b2c', TEMPORAL_API_KEY: 'key-123' });
    expect(config.connectionOptions.address).toBe('acme.a1b2c.tmprl.cloud:7233');
    expect(config.namespace).toBe('acme.a1b2c');
    expect(config.connectionOptions.apiKey).toBe('key-123');
    // An API key implies TLS.
    expect(config.connectionOptions.tls).toBeTruthy();
  });

  it('names the TLS variable whose file cannot be read, with the file', () => {
    expect(() => temporalConnectConfig({ TEMPORAL_ADDRESS: 'temporal.example.com:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: '/etc/temporal/client.pem', TEMPORAL_TLS_CLIENT_KEY_PATH: '/nonexistent/client.key' })).toThrow(
      /^TEMPORAL_TLS_CLIENT_(CERT|KEY)_PATH: the Temporal TLS file it names cannot be read \((Error: )?ENOENT: .*\/(etc\/temporal\/client\.pem|nonexistent\/client\.key)/,
    );
    expect(() => temporalConnectConfig({ TEMPORAL_ADDRESS: 'temporal.example.com:7233', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/nonexistent/ca.pem' })).toThrow(/^TEMPORAL_TLS_SERVER_CA_CERT_PATH: the Temporal TLS file it names cannot be read/);
  });

  it('runs 10 SCIM requests at once per tenant unless told otherwise, and rejects a malformed setting', () => {
    expect(readWorkerEnvironment({}).PEAKON_SYNC_SCIM_CONCURRENCY).toBe(10);
    expect(() => readWorkerEnvironment({ PEAKON_SYNC_SCIM_CONCURRENCY: 'many' })).toThrow(/PEAKON_SYNC_SCIM_CONCURRENCY/);
  });

  it('runs PEAKON_SYNC_PLAN_CONCURRENCY plans at once (default 2), and refuses a setting that is not a positive whole number', () => {
    expect(readWorkerEnvironment({}).PEAKON_SYNC_PLAN_CONCURRENCY).toBe(2);
    expect(readWorkerEnvironment({ PEAKON_SYNC_PLAN_CONCURRENCY: '1' }).PEAKON_SYNC_PLAN_CONCURRENCY).toBe(1);
    expect(readWorkerEnvironment({ PEAKON_SYNC_PLAN_CONCURRENCY: '5' }).PEAKON_SYNC_PLAN_CONCURRENCY).toBe(5);
    // 0 would run no plan at all, and every sync would wait forever; the others are not a count of plans.
    for (const invalid of ['0', '-1', '1.5', 'x']) expect(() => readWorkerEnvironment({ PEAKON_SYNC_PLAN_CONCURRENCY: invalid })).toThrow(/PEAKON_SYNC_PLAN_CONCURRENCY/);
  });

  it('takes a number or log-level variable set to nothing (VAR= in an env file) as unset: its default, not 0 or a refusal', () => {
    const blank = readWorkerEnvironment({ PEAKON_SYNC_SHUTDOWN_GRACE_MS: '', PEAKON_SYNC_SCIM_CONCURRENCY: ' ', PEAKON_SYNC_PLAN_CONCURRENCY: '', PEAKON_SYNC_LOG_LEVEL: '' });
    expect(blank.PEAKON_SYNC_SHUTDOWN_GRACE_MS).toBe(30_000);
    expect(blank.PEAKON_SYNC_SCIM_CONCURRENCY).toBe(10);
    expect(blank.PEAKON_SYNC_LOG_LEVEL).toBe('INFO');
    expect(blank.PEAKON_SYNC_PLAN_CONCURRENCY).toBe(readWorkerEnvironment({}).PEAKON_SYNC_PLAN_CONCURRENCY);
    // An explicit 0 is still a value: no grace.
    expect(readWorkerEnvironment({ PEAKON_SYNC_SHUTDOWN_GRACE_MS: '0' }).PEAKON_SYNC_SHUTDOWN_GRACE_MS).toBe(0);
  });

  it('takes a folder or task queue variable set to nothing as unset, as the code that reads it does: its default, not a refusal', () => {
    const unset = readWorkerEnvironment({});
    const blank = readWorkerEnvironment({ PEAKON_SYNC_TASK_QUEUE: '', PEAKON_SYNC_STATE_DIR: '', PEAKON_SYNC_REPORT_DIR: '', PEAKON_SYNC_SECRET_DIR: '', PEAKON_SYNC_DATA_DIR: '' });
    expect(blank.PEAKON_SYNC_TASK_QUEUE).toBe('peakon-sync');
    expect(blank.PEAKON_SYNC_STATE_DIR).toBe(unset.PEAKON_SYNC_STATE_DIR);
    expect(blank.PEAKON_SYNC_REPORT_DIR).toBeUndefined();
    expect(blank.PEAKON_SYNC_SECRET_DIR).toBe(unset.PEAKON_SYNC_SECRET_DIR);
    expect(blank.PEAKON_SYNC_DATA_DIR).toBe(unset.PEAKON_SYNC_DATA_DIR);
  });
});
