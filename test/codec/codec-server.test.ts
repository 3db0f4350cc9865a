import { WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import http from 'node:http';
import { AesGcmPayloadCodec } from '../../codec/aes-gcm-codec';
import { readEncryptionKeys, type EncryptionKeys } from '../../codec/keys';
import { CodecServerExposureError, startCodecServer, type RunningCodecServer } from '../../codec/server';
import type { CodecTestEmployee } from '../harness/codec-workflows';
import { connectToDevServer, TEST_NAMESPACE, withWorker, type TemporalTestContext } from '../harness/temporal';

const UI_ORIGIN = 'http://localhost:8233';
const TOKEN = 'codec-test-token';
const ada: CodecTestEmployee = { email: 'ada@example.com', givenName: 'Ada', dateOfBirth: '1815-12-10' };

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

/** A payload as the Web UI sends it: proto3 JSON, every bytes field base64. */
function asUiJson(payload: temporal.api.common.v1.IPayload): JsonPayload {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

function fromUiJson(json: JsonPayload): Payload {
  const metadata = Object.fromEntries(Object.entries(json.metadata).map(([key, value]) => [key, new Uint8Array(Buffer.from(value, 'base64'))]));
  return { metadata, data: new Uint8Array(Buffer.from(json.data, 'base64')) };
}

interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Plain node:http, so the Origin header is sent exactly as a browser would send it. */
function request(url: string, options: { method: string; headers?: Record<string, string>; body?: unknown }): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(url, { method: options.method, headers: options.headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') }));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

function decodeAsTheUiDoes(server: RunningCodecServer, payloads: temporal.api.common.v1.IPayload[], headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }): Promise<HttpAnswer> {
  return request(`${server.url}/decode`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Namespace': TEST_NAMESPACE, Origin: UI_ORIGIN, ...headers },
    body: { payloads: payloads.map(asUiJson) },
  });
}

function decodedValues(answer: HttpAnswer): unknown[] {
  const { payloads } = JSON.parse(answer.body) as { payloads: JsonPayload[] };
  return payloads.map((payload) => defaultPayloadConverter.fromPayload(fromUiJson(payload)));
}

function testKeys(): EncryptionKeys {
  const keys = readEncryptionKeys();
  if (!keys) throw new Error('globalSetup sets PEAKON_SYNC_ENCRYPTION_KEY for every test file');
  return keys;
}

describe('encrypted payloads in Temporal, decoded for the Web UI by the codec server', () => {
  let devServer: TemporalTestContext;
  let server: RunningCodecServer;
  beforeAll(async () => {
    devServer = await connectToDevServer();
    server = await startCodecServer({ port: 0, keys: testKeys(), bearerToken: TOKEN });
  });
  afterAll(async () => {
    await server?.close();
    await devServer?.close();
  });

  async function rawHistory(workflowId: string): Promise<temporal.api.history.v1.IHistory> {
    // The raw gRPC service: no data converter, exactly what the server stores and what the UI receives.
    const response = await devServer.client.workflowService.getWorkflowExecutionHistory({ namespace: TEST_NAMESPACE, execution: { workflowId } });
    if (!response.history) throw new Error(`no history for ${workflowId}`);
    return response.history;
  }
  const rawBytes = (history: temporal.api.history.v1.IHistory) => Buffer.from(temporal.api.history.v1.History.encode(history).finish());

  function runWithWorker<T>(body: () => Promise<T>): Promise<T> {
    return withWorker(
      {
        connection: devServer.nativeConnection,
        taskQueue: devServer.taskQueue,
        workflowsPath: require.resolve('../harness/codec-workflows'),
        activities: { describeEmployee: async (employee: CodecTestEmployee) => `${employee.givenName} <${employee.email}>` },
      },
      body,
    );
  }

  it('stores workflow arguments and results encrypted, and /decode returns them to the UI in clear', async () => {
    const workflowId = `codec-echo-${devServer.taskQueue}`;
    const result = await runWithWorker(() => devServer.client.workflow.execute('echoEmployeeWorkflow', { taskQueue: devServer.taskQueue, workflowId, args: [ada] }));
    expect(result).toBe('Ada <ada@example.com>');

    const history = await rawHistory(workflowId);
    const bytes = rawBytes(history);
    for (const personalData of ['ada@example.com', '1815-12-10', 'json/plain']) expect(bytes.includes(personalData)).toBe(false);
    expect(bytes.includes('binary/encrypted')).toBe(true);

    const events = history.events ?? [];
    const input = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    const output = events.find((event) => event.workflowExecutionCompletedEventAttributes)?.workflowExecutionCompletedEventAttributes?.result?.payloads ?? [];
    expect(input).toHaveLength(1);
    const answer = await decodeAsTheUiDoes(server, [...input, ...output]);
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(answer.headers['access-control-allow-credentials']).toBe('true');
    expect(decodedValues(answer)).toEqual([ada, 'Ada <ada@example.com>']);
  });

  it('encrypts failure messages too: the history says "Encoded failure", the codec server reveals the message', async () => {
    const workflowId = `codec-reject-${devServer.taskQueue}`;
    const failure = await runWithWorker(() => devServer.client.workflow.execute('rejectEmployeeWorkflow', { taskQueue: devServer.taskQueue, workflowId, args: [ada] })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause?.message).toBe('employee ada@example.com was rejected');

    const history = await rawHistory(workflowId);
    expect(rawBytes(history).includes('ada@example.com')).toBe(false);
    const stored = history.events?.find((event) => event.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes?.failure;
    expect(stored?.message).toBe('Encoded failure');
    const answer = await decodeAsTheUiDoes(server, [stored?.encodedAttributes ?? {}]);
    expect(answer.status).toBe(200);
    expect(decodedValues(answer)).toEqual([expect.objectContaining({ message: 'employee ada@example.com was rejected' })]);
  });

  it('answers 401 without the bearer token, and with a wrong one', async () => {
    const [encrypted] = await new AesGcmPayloadCodec(testKeys()).encode([defaultPayloadConverter.toPayload(ada)]);
    const rawPayload = temporal.api.common.v1.Payload.create(encrypted);
    const withoutToken = await decodeAsTheUiDoes(server, [rawPayload], {});
    expect(withoutToken.status).toBe(401);
    expect(withoutToken.body).not.toContain('ada@example.com');
    expect((await decodeAsTheUiDoes(server, [rawPayload], { Authorization: 'Bearer not-the-token' })).status).toBe(401);
    expect((await decodeAsTheUiDoes(server, [rawPayload], { Authorization: `Bearer ${TOKEN.toUpperCase()}` })).status).toBe(401);
    expect((await decodeAsTheUiDoes(server, [rawPayload], { Authorization: `Basic ${TOKEN}` })).status).toBe(401);
    expect((await decodeAsTheUiDoes(server, [rawPayload], { Authorization: TOKEN })).status).toBe(401);
    expect((await decodeAsTheUiDoes(server, [rawPayload])).status).toBe(200);
  });

  it('takes the Bearer scheme in any case (RFC 7235), the token exactly', async () => {
    const [encrypted] = await new AesGcmPayloadCodec(testKeys()).encode([defaultPayloadConverter.toPayload(ada)]);
    const rawPayload = temporal.api.common.v1.Payload.create(encrypted);
    for (const scheme of ['bearer', 'BEARER']) expect((await decodeAsTheUiDoes(server, [rawPayload], { Authorization: `${scheme} ${TOKEN}` })).status).toBe(200);
  });

  it("answers the UI's CORS preflight for its origin, without asking for the token", async () => {
    const preflight = (origin: string) =>
      request(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace,authorization' } });
    const answer = await preflight(UI_ORIGIN);
    expect(answer.status).toBe(204);
    expect(answer.headers).toMatchObject({
      'access-control-allow-origin': UI_ORIGIN,
      'access-control-allow-credentials': 'true',
      'access-control-allow-headers': 'Content-Type, X-Namespace, Authorization',
    });
    expect(answer.headers['access-control-allow-methods']).toContain('POST');
    const stranger = await preflight('https://evil.example');
    expect(stranger.status).toBe(403);
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves /encode only when started with allowEncode, and then (under the CLI\'s /{namespace}/ path too) encodes what it decodes', async () => {
    const plain = temporal.api.common.v1.Payload.create(defaultPayloadConverter.toPayload(ada));
    const encode = (target: RunningCodecServer) =>
      request(`${target.url}/${TEST_NAMESPACE}/encode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Namespace': TEST_NAMESPACE, Authorization: `Bearer ${TOKEN}` },
        body: { payloads: [asUiJson(plain)] },
      });
    // Off by default, even for a token holder: nothing needs it, and it would let a caller forge workflow inputs.
    const refused = await encode(server);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({ message: '/encode is off: start the codec server with --allow-encode and PEAKON_SYNC_CODEC_SERVER_TOKEN to serve it' });

    const encoding = await startCodecServer({ port: 0, keys: testKeys(), bearerToken: TOKEN, allowEncode: true });
    try {
      expect((await request(`${encoding.url}/encode`, { method: 'POST', body: { payloads: [asUiJson(plain)] } })).status).toBe(401);
      const encoded = await encode(encoding);
      expect(encoded.status).toBe(200);
      const [payload] = (JSON.parse(encoded.body) as { payloads: JsonPayload[] }).payloads;
      expect(Buffer.from(payload?.metadata.encoding ?? '', 'base64').toString()).toBe('binary/encrypted');
      expect(decodedValues(await decodeAsTheUiDoes(server, [fromUiJson(payload as JsonPayload)]))).toEqual([ada]);
    } finally {
      await encoding.close();
    }
  });

  it('refuses to start where anyone could use the key: off loopback without a token, or /encode without one', async () => {
    const keys = testKeys();
    await expect(startCodecServer({ port: 0, host: '0.0.0.0', keys })).rejects.toThrow(
      /^refusing to serve decrypted payloads on 0\.0\.0\.0 without a token: .*Set PEAKON_SYNC_CODEC_SERVER_TOKEN .*pass --unsafe-allow-unauthenticated-decode$/,
    );
    await expect(startCodecServer({ port: 0, host: '::', keys })).rejects.toBeInstanceOf(CodecServerExposureError);
    await expect(startCodecServer({ port: 0, keys, allowEncode: true })).rejects.toThrow('--allow-encode needs PEAKON_SYNC_CODEC_SERVER_TOKEN');
    await expect(startCodecServer({ port: 0, host: '0.0.0.0', keys, allowUnauthenticatedDecode: true, allowEncode: true })).rejects.toThrow('--allow-encode needs PEAKON_SYNC_CODEC_SERVER_TOKEN');
    // With the token, or with the explicit opt-out, it starts.
    for (const options of [{ bearerToken: TOKEN }, { allowUnauthenticatedDecode: true }]) {
      const started = await startCodecServer({ port: 0, host: '0.0.0.0', keys, ...options });
      await started.close();
    }
  });

  it('hands plain payloads back as they are: the UI shows any workflow\'s, and workers (not it) refuse them', async () => {
    const plain = temporal.api.common.v1.Payload.create(defaultPayloadConverter.toPayload(ada));
    const answer = await decodeAsTheUiDoes(server, [plain]);
    expect(answer.status).toBe(200);
    expect(decodedValues(answer)).toEqual([ada]);
  });

  it('answers 400 to a body that is not the protocol', async () => {
    const malformed = await request(`${server.url}/decode`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: { payloads: [{ data: 'not base64!' }] } });
    expect(malformed.status).toBe(400);
  });

  it('hands a payload of a key it lacks back encrypted, names the key id, and still decodes the rest of the request', async () => {
    // One payload of a dropped or foreign key must not hide the whole history (a 422 for the batch would).
    const foreignKeys = readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') }) as EncryptionKeys;
    const [foreign] = await new AesGcmPayloadCodec(foreignKeys).encode([defaultPayloadConverter.toPayload(ada)]);
    const [ours] = await new AesGcmPayloadCodec(testKeys()).encode([defaultPayloadConverter.toPayload('ordinary')]);
    const told: string[] = [];
    const telling = await startCodecServer({ port: 0, keys: testKeys(), onUndecryptablePayload: (message) => void told.push(message) });
    try {
      const answer = await decodeAsTheUiDoes(telling, [temporal.api.common.v1.Payload.create(foreign), ours as Payload], {});
      expect(answer.status).toBe(200);
      const [stillEncrypted, decoded] = (JSON.parse(answer.body) as { payloads: JsonPayload[] }).payloads.map(fromUiJson);
      expect(Buffer.from(stillEncrypted?.data ?? []).equals(Buffer.from(foreign?.data ?? []))).toBe(true);
      expect(Buffer.from(stillEncrypted?.metadata?.['encryption-key-id'] ?? []).toString()).toBe(foreignKeys.current.id);
      expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toBe('ordinary');
      expect(told).toEqual([`payload encrypted with key ${foreignKeys.current.id}, which is not configured; set PEAKON_SYNC_ENCRYPTION_KEY or add it to PEAKON_SYNC_ENCRYPTION_OLD_KEYS`]);
    } finally {
      await telling.close();
    }
  });

  it('resolves payloads through resolvePayload before decrypting (the external-storage hook)', async () => {
    const [encrypted] = await new AesGcmPayloadCodec(testKeys()).encode([defaultPayloadConverter.toPayload(ada)]);
    const stored = new Map([['ref-1', encrypted as Payload]]);
    const reference = { metadata: { encoding: new TextEncoder().encode('test/reference') }, data: new TextEncoder().encode('ref-1') };
    const resolving = await startCodecServer({
      port: 0,
      keys: testKeys(),
      resolvePayload: async (payload) => (Buffer.from(payload.metadata?.encoding ?? []).toString() === 'test/reference' ? (stored.get(Buffer.from(payload.data ?? []).toString()) ?? payload) : payload),
    });
    try {
      const answer = await decodeAsTheUiDoes(resolving, [reference], {});
      expect(answer.status).toBe(200);
      expect(decodedValues(answer)).toEqual([ada]);
    } finally {
      await resolving.close();
    }
  });

  it('passes a reference it cannot fetch on as it is, and still decodes the other payloads of the request', async () => {
    // A stored payload past retention, or a codec server started from another folder than the worker's: its reference
    // is shown, and every other payload of the history still decodes (no 422 for the whole batch).
    const [encrypted] = await new AesGcmPayloadCodec(testKeys()).encode([defaultPayloadConverter.toPayload(ada)]);
    const stored = new Map([['ref-1', encrypted as Payload]]);
    const reference = (key: string) => ({ metadata: { encoding: new TextEncoder().encode('test/reference') }, data: new TextEncoder().encode(key) });
    const told: string[] = [];
    const resolving = await startCodecServer({
      port: 0,
      keys: testKeys(),
      resolvePayload: async (payload) => {
        if (Buffer.from(payload.metadata?.encoding ?? []).toString() !== 'test/reference') return payload;
        const key = Buffer.from(payload.data ?? []).toString();
        const found = stored.get(key);
        if (!found) throw new Error(`payload ${key} is missing from the store: deleted by retention?`);
        return found;
      },
      onUnresolvedPayload: (message) => void told.push(message),
    });
    try {
      const [plainlyEncrypted] = await new AesGcmPayloadCodec(testKeys()).encode([defaultPayloadConverter.toPayload('ordinary')]);
      const answer = await decodeAsTheUiDoes(resolving, [reference('ref-1'), reference('ref-gone'), plainlyEncrypted as Payload], {});
      expect(answer.status).toBe(200);
      const { payloads } = JSON.parse(answer.body) as { payloads: JsonPayload[] };
      const [first, missing, last] = payloads.map(fromUiJson);
      expect(defaultPayloadConverter.fromPayload(first as Payload)).toEqual(ada);
      expect(Buffer.from(missing?.metadata?.['encoding'] ?? []).toString()).toBe('test/reference');
      expect(Buffer.from(missing?.data ?? []).toString()).toBe('ref-gone');
      expect(defaultPayloadConverter.fromPayload(last as Payload)).toBe('ordinary');
      expect(told).toEqual(['payload ref-gone is missing from the store: deleted by retention?']);
    } finally {
      await resolving.close();
    }
  });
});
