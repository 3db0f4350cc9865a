import type { Payload } from '@temporalio/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { isLoopbackHost } from '../config/secret';
import { AesGcmPayloadCodec, PayloadDecryptionError } from './aes-gcm-codec';
import { CODEC_SERVER_TOKEN_VARIABLE, type EncryptionKeys } from './keys';

/** The local dev server's Web UI; the demo and `temporal server start-dev` serve it here. */
export const DEFAULT_UI_ORIGINS: readonly string[] = ['http://localhost:8233', 'http://127.0.0.1:8233'];

/** The `codec-server` flags the refusals below name, so an operator sees which switch they are being told about. */
export const UNAUTHENTICATED_FLAG = '--unsafe-allow-unauthenticated-decode';
export const ALLOW_ENCODE_FLAG = '--allow-encode';

/** A history's payloads are at most 2 MB each; the UI sends a few at a time. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface CodecServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Interface to listen on; loopback unless the operator asks otherwise. */
  host?: string;
  keys: EncryptionKeys;
  /** Web UI origins allowed to call from a browser, in addition to DEFAULT_UI_ORIGINS. */
  allowedOrigins?: readonly string[];
  /** When set, every /encode and /decode request must carry `Authorization: Bearer <token>`. */
  bearerToken?: string;
  /**
   * Serve a `host` that is not loopback without `bearerToken` anyway: whoever reaches the port then decrypts every
   * payload, so only for when something in front decides who does (an authenticating proxy, a firewall, a port
   * published on the host's loopback only). Without it such a server refuses to start.
   */
  allowUnauthenticatedDecode?: boolean;
  /**
   * Serve `/encode` too (off by default; requires `bearerToken`). Nothing of the connector needs it: workers and the
   * CLI encrypt with their own key, and the Web UI only encodes what a person types into its start/signal forms. Open,
   * it lets whoever reaches it make payloads the workers accept as the key holder's, the very thing workers refusing
   * plain payloads prevents.
   */
  allowEncode?: boolean;
  /**
   * Applied to each payload before decrypting: the place where external-storage references are fetched. A payload it
   * fails for (a stored payload past retention, a store this server does not share) is passed on as it is, so the UI
   * shows the reference and still gets every other payload of the request decoded.
   */
  resolvePayload?: (payload: Payload) => Promise<Payload>;
  /** Told why `resolvePayload` failed for a payload passed on as it is (the command prints it: the store's hint). */
  onUnresolvedPayload?: (message: string) => void;
  /**
   * Told why a payload could not be decrypted (a key that is not configured, an altered payload); the payload is passed
   * on encrypted, as it is, and the request's other payloads are still decoded. The message names a key id, no content.
   */
  onUndecryptablePayload?: (message: string) => void;
}

export interface RunningCodecServer {
  /** Base URL to give the UI (`--ui-codec-endpoint`) or the CLI (`--codec-endpoint`). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Temporal's codec server protocol: proto3 JSON, so every bytes field (data, each metadata value) is base64. */
const JsonPayloadSchema = z.object({
  metadata: z.record(z.string(), z.string().base64('metadata values must be base64')).nullish(),
  data: z.string().base64('data must be base64').nullish(),
});
const PayloadsBodySchema = z.object({ payloads: z.array(JsonPayloadSchema) });
type JsonPayload = z.infer<typeof JsonPayloadSchema>;

function fromJson(json: JsonPayload): Payload {
  const metadata = Object.fromEntries(Object.entries(json.metadata ?? {}).map(([key, value]) => [key, new Uint8Array(Buffer.from(value, 'base64'))]));
  return { metadata, data: new Uint8Array(Buffer.from(json.data ?? '', 'base64')) };
}

function toJson(payload: Payload): { metadata: Record<string, string>; data: string } {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? new Uint8Array()).toString('base64')]));
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Constant-time, and hashing first keeps the token's length from leaking through timing too. The scheme is
 * case-insensitive (RFC 7235 §2.1: `bearer` is `Bearer`); the token is compared exactly.
 */
function hasBearerToken(request: IncomingMessage, token: string): boolean {
  const [, scheme = '', credentials = ''] = /^(\S+) +(.*)$/s.exec(request.headers.authorization ?? '') ?? [];
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(`${scheme.toLowerCase()} ${credentials}`), digest(`bearer ${token}`));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readPayloads(request: IncomingMessage): Promise<Payload[]> {
  let body: unknown;
  try {
    body = JSON.parse(await readBody(request));
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'request body is not JSON');
  }
  const parsed = PayloadsBodySchema.safeParse(body);
  if (!parsed.success) {
    throw new HttpError(400, `expected {"payloads": [{"metadata": {key: base64}, "data": base64}]}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  return parsed.data.payloads.map(fromJson);
}

function send(response: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

/** The server would hand out decryptions (or encryptions) to whoever reaches it; nothing was started. */
export class CodecServerExposureError extends Error {
  override readonly name = 'CodecServerExposureError';
}

/**
 * Refuses what would let anyone who reaches the server use the key: a network-facing `host` (not 127.0.0.0/8,
 * `localhost`, `::1`) without a bearer token unless explicitly allowed, and `/encode` without a token at all. The
 * Origin check is no substitute: only browsers send Origin, curl and scripts do not.
 */
export function assertCodecServerExposure(options: Pick<CodecServerOptions, 'host' | 'bearerToken' | 'allowUnauthenticatedDecode' | 'allowEncode'>): void {
  const host = options.host ?? '127.0.0.1';
  if (options.bearerToken === undefined && !isLoopbackHost(host) && options.allowUnauthenticatedDecode !== true) {
    throw new CodecServerExposureError(
      `refusing to serve decrypted payloads on ${host} without a token: anyone who reaches it could decrypt every payload. ` +
        `Set ${CODEC_SERVER_TOKEN_VARIABLE} (each request must then carry "Authorization: Bearer <token>"), listen on loopback (--host 127.0.0.1), ` +
        `or, if an authenticating proxy or firewall in front decides who reaches it, pass ${UNAUTHENTICATED_FLAG}`,
    );
  }
  if (options.allowEncode === true && options.bearerToken === undefined) {
    throw new CodecServerExposureError(
      `${ALLOW_ENCODE_FLAG} needs ${CODEC_SERVER_TOKEN_VARIABLE}: /encode makes payloads the workers accept as if the key holder wrote them, so only token holders may call it`,
    );
  }
}

/**
 * A codec server for the Temporal Web UI and CLI: `POST /decode` (and `/encode` when allowed; both also under
 * `/{namespace}/…`, as the CLI's endpoint templating sends them), CORS for the UI's origins, and an optional bearer
 * token, required off loopback ({@link assertCodecServerExposure}).
 */
export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  assertCodecServerExposure(options);
  // The UI asks it to decode whatever a history shows, other applications' plain payloads included; echoing those back
  // reveals nothing Temporal does not already show. Workers and CLIs refuse plain payloads (connectorDataConverter).
  const codec = new AesGcmPayloadCodec(options.keys, { acceptUnencrypted: true });
  const allowedOrigins = new Set([...DEFAULT_UI_ORIGINS, ...(options.allowedOrigins ?? [])].map((origin) => origin.replace(/\/+$/, '')));
  const resolvePayload = options.resolvePayload ?? (async (payload: Payload) => payload);
  // Each payload on its own: one stored payload that cannot be fetched must not fail the whole /decode (a 422 for the
  // batch would hide every payload of the history the UI could show). A reference is not encrypted, so it decodes to
  // itself (acceptUnencrypted) and the UI shows it.
  const resolveOrKeep = async (payload: Payload): Promise<Payload> => {
    try {
      return await resolvePayload(payload);
    } catch (error) {
      options.onUnresolvedPayload?.(error instanceof Error ? error.message : String(error));
      return payload;
    }
  };
  // Likewise a payload encrypted with a key this server lacks (dropped too early, or another deployment's): one such
  // payload in a history must not hide the rest of it, so it is handed back encrypted and the operator is told which key.
  const decodeOrKeep = async (payload: Payload): Promise<Payload> => {
    const resolved = await resolveOrKeep(payload);
    try {
      return (await codec.decode([resolved]))[0] ?? resolved;
    } catch (error) {
      if (!(error instanceof PayloadDecryptionError)) throw error;
      options.onUndecryptablePayload?.(error.message);
      return resolved;
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const origin = request.headers.origin;
    if (origin !== undefined) {
      if (!allowedOrigins.has(origin)) throw new HttpError(403, `origin ${origin} is not allowed: start the codec server with --ui-origin ${origin}`);
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Access-Control-Allow-Credentials', 'true');
      response.setHeader('Vary', 'Origin');
    }
    const operation = new URL(request.url ?? '/', 'http://codec.invalid').pathname.split('/').filter(Boolean).at(-1);
    if (operation !== 'encode' && operation !== 'decode') throw new HttpError(404, 'not found: POST /encode or /decode');
    if (request.method === 'OPTIONS') {
      // Preflights carry no credentials, so they are answered before the token check.
      response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      response.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      response.setHeader('Access-Control-Max-Age', '600');
      send(response, 204);
      return;
    }
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST, OPTIONS');
      throw new HttpError(405, `${request.method ?? 'this method'} is not allowed: use POST`);
    }
    if (options.bearerToken !== undefined && !hasBearerToken(request, options.bearerToken)) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'a valid "Authorization: Bearer <token>" header is required');
    }
    if (operation === 'encode' && options.allowEncode !== true) {
      throw new HttpError(403, `/encode is off: start the codec server with ${ALLOW_ENCODE_FLAG} and ${CODEC_SERVER_TOKEN_VARIABLE} to serve it`);
    }
    const payloads = await readPayloads(request);
    let result: Payload[];
    try {
      result = operation === 'encode' ? await codec.encode(payloads) : await Promise.all(payloads.map(decodeOrKeep));
    } catch (error) {
      throw new HttpError(422, error instanceof Error ? error.message : String(error));
    }
    send(response, 200, { payloads: result.map(toJson) });
  };

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof HttpError ? error.message : 'internal error';
      if (!response.headersSent) send(response, status, { message });
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
