import http from 'node:http';

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** Serialized as JSON unless it is already a string or raw bytes (a Buffer, sent as is). */
  body?: unknown;
  /** Never answer (a hung upstream); the connection is dropped when the server closes. */
  hang?: boolean;
}

export interface TestServer {
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** A scripted HTTP server on a random loopback port: `handle` answers each request; every request is recorded. */
export async function startTestServer(handle: (request: RecordedRequest) => Reply): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const request: RecordedRequest = {
        method: incoming.method ?? 'GET',
        url: new URL(incoming.url ?? '/', 'http://127.0.0.1'),
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const reply = handle(request);
      if (reply.hang) return;
      const body = typeof reply.body === 'string' || Buffer.isBuffer(reply.body) ? reply.body : JSON.stringify(reply.body ?? null);
      response.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json', ...reply.headers });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('test server is not listening on TCP');
  const { port } = address;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * `serve(handle)` for a test file: starts a scripted server and closes every server the test started after it (some
 * tests start two; one left open keeps jest from exiting). Call at the top level of the file.
 */
export function useTestServers(): { serve: (handle: (request: RecordedRequest) => Reply) => Promise<TestServer>; forget: (server: TestServer) => void } {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  return {
    async serve(handle) {
      const server = await startTestServer(handle);
      servers.push(server);
      return server;
    },
    /** A server the test closes itself. */
    forget(server) {
      const index = servers.indexOf(server);
      if (index >= 0) servers.splice(index, 1);
    },
  };
}
