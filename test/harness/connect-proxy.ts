import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/** One CONNECT the proxy answered. */
export interface Tunnel {
  /** `host:port` the client asked for. */
  target: string;
  /** The Proxy-Authorization header it sent, if any. */
  authorization: string | undefined;
  /** The status the proxy answered (200: tunnel opened; 0: it hung up without answering). */
  status: number;
  /** Every byte the client sent through the tunnel (TLS records for https targets). */
  sent(): Buffer;
}

export interface ConnectProxy {
  /** `http://127.0.0.1:port`, credentials not included. */
  origin: string;
  /** `http://user:password@127.0.0.1:port` when the proxy wants credentials. */
  url: string;
  tunnels: Tunnel[];
  /** Requests sent to the proxy whole (absolute-URI forwarding), which a CONNECT-only client never does. */
  forwarded: string[];
  close(): Promise<void>;
}

export interface ConnectProxyOptions {
  /**
   * Where each `host:port` really is (names like `peakon.test` resolve nowhere else), or `hang up` to close the
   * connection without answering; unlisted targets get 502.
   */
  routes: Record<string, string>;
  /** Credentials the proxy requires (407 without them). */
  credentials?: { username: string; password: string };
}

/**
 * A real HTTP CONNECT proxy on loopback, standing in for a corporate egress proxy: it resolves the test's made-up host
 * names itself (so a request can only succeed through it), pipes tunnels, and records what it saw.
 */
export async function startConnectProxy(options: ConnectProxyOptions): Promise<ConnectProxy> {
  const tunnels: Tunnel[] = [];
  const forwarded: string[] = [];
  const sockets = new Set<Socket>();
  const expected = options.credentials ? `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}` : undefined;
  const server: Server = createServer((request, response) => {
    forwarded.push(`${request.method ?? '?'} ${request.url ?? '?'}`);
    response.writeHead(400).end('CONNECT only');
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
    const target = request.url ?? '';
    const authorization = request.headers['proxy-authorization'];
    const chunks: Buffer[] = [head];
    const answer = (status: number, text: string) => {
      tunnels.push({ target, authorization, status, sent: () => Buffer.concat(chunks) });
      // Kept open a moment, recording whatever the client still sends (a client that wrote its request anyway).
      client.on('data', (chunk: Buffer) => chunks.push(chunk));
      client.write(`HTTP/1.1 ${status} ${text}\r\n${status === 407 ? 'Proxy-Authenticate: Basic realm="test"\r\n' : ''}Content-Length: 0\r\n\r\n`);
      setTimeout(() => client.end(), 200);
    };
    if (expected !== undefined && authorization !== expected) return answer(407, 'Proxy Authentication Required');
    const route = options.routes[target];
    if (route === 'hang up') {
      tunnels.push({ target, authorization, status: 0, sent: () => Buffer.concat(chunks) });
      return client.destroy();
    }
    if (route === undefined) return answer(502, 'Bad Gateway');
    const [host, port] = [route.slice(0, route.lastIndexOf(':')), Number(route.slice(route.lastIndexOf(':') + 1))];
    const upstream = connect(port, host, () => {
      tunnels.push({ target, authorization, status: 200, sent: () => Buffer.concat(chunks) });
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      client.on('data', (chunk: Buffer) => chunks.push(chunk));
      client.pipe(upstream).pipe(client);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const url = options.credentials ? `http://${encodeURIComponent(options.credentials.username)}:${encodeURIComponent(options.credentials.password)}@127.0.0.1:${port}` : origin;
  return {
    origin,
    url,
    tunnels,
    forwarded,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
