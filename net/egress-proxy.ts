import { Agent as AgentBase, type AgentConnectOpts } from 'agent-base';
import { Agent as HttpAgent, STATUS_CODES, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { hostMatches, isHostPattern, isLoopbackHost } from '../config/secret';

/**
 * The worker's way out of a network that only lets traffic leave through an HTTP proxy (most corporate networks).
 * Every outbound call the worker makes itself (Peakon, HR sources, the S3 payload store, the Temporal server) goes
 * through it as a CONNECT tunnel: the proxy learns the host and port, and for https targets TLS runs from the worker
 * to that host, so tokens and HR data never reach the proxy in readable form (a plain-http target, which
 * PEAKON_SYNC_ALLOW_INSECURE_HTTP must allow, is as readable to the proxy as to any hop on its way). Requests are never handed
 * to the proxy whole (axios' own proxy support does that with plain-http requests: the bearer token in the proxy's
 * hands), which is also why the conventional HTTPS_PROXY/HTTP_PROXY variables are not read: setting them on a host
 * must not silently reroute the connector's credentials.
 */
export const PROXY_VARIABLE = 'PEAKON_SYNC_PROXY';
/** Hosts reached directly: `name`, `*.domain` or `.domain` (subdomains), IP addresses, as in PEAKON_SYNC_SECRET_HOSTS; `*` = all. */
export const NO_PROXY_VARIABLE = 'PEAKON_SYNC_NO_PROXY';

export class EgressProxyError extends Error {
  override readonly name = 'EgressProxyError';
}

export interface EgressProxy {
  /** `http://host:port` without credentials: what messages and logs may show. */
  readonly origin: string;
  readonly url: URL;
  /** Patterns of hosts reached directly; loopback and single-label names always are ({@link tunnelsThrough}). */
  readonly bypass: readonly string[];
}

/**
 * PEAKON_SYNC_PROXY and PEAKON_SYNC_NO_PROXY, checked; undefined when no proxy is set. Messages name the variable and
 * never its value, which may hold the proxy's credentials (`http://user:password@proxy:3128`).
 */
export function egressProxyFromEnv(env: NodeJS.ProcessEnv = process.env): EgressProxy | undefined {
  const raw = env[PROXY_VARIABLE]?.trim() ?? '';
  const bypass = parseBypass(env[NO_PROXY_VARIABLE] ?? '');
  if (raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EgressProxyError(`${PROXY_VARIABLE} is not a URL: expected http://host:port of an HTTP CONNECT proxy, optionally http://user:password@host:port (value not shown: it may hold credentials)`);
  }
  if (url.protocol !== 'http:') {
    // The scheme is not echoed: in `user:password@proxy:3128`, without one, the user name is what parses as the scheme.
    throw new EgressProxyError(`${PROXY_VARIABLE} must be an http:// URL, http://host:port or http://user:password@host:port (the CONNECT request goes to the proxy in plain http; https targets stay encrypted inside the tunnel)`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new EgressProxyError(`${PROXY_VARIABLE} must be http://host:port with no path, query or fragment`);
  }
  // The URL parser drops a default :80, so a missing port looks the same as it: look at the text. Proxies rarely
  // listen on 80 (Squid: 3128), and a silent 80 would fail far from the setting.
  if (url.port === '' && !/:80\/?$/.test(raw)) throw new EgressProxyError(`${PROXY_VARIABLE} must name the proxy's port, e.g. http://proxy.example.com:3128`);
  let username: string;
  try {
    username = decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    throw new EgressProxyError(`${PROXY_VARIABLE}: the user name or password holds an invalid %-escape (percent-encode @ : / ? # % as %40 %3A %2F %3F %23 %25)`);
  }
  // Basic authentication splits user and password at the first ":": one inside the user name cannot be sent.
  if (username.includes(':')) throw new EgressProxyError(`${PROXY_VARIABLE}: the proxy user name cannot contain ":" (Basic authentication splits at the first one)`);
  return { origin: `${url.protocol}//${url.host}`, url, bypass };
}

function parseBypass(list: string): string[] {
  const entries = list
    .split(/[\s,]+/)
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '')
    // curl's and Go's `.corp.example` is our `*.corp.example`.
    .map((entry) => (entry.startsWith('.') ? `*${entry}` : entry));
  for (const entry of entries) {
    if (entry !== '*' && !isHostPattern(entry)) {
      throw new EgressProxyError(`${NO_PROXY_VARIABLE}: "${entry}" is not a host name, *.domain (or .domain), an IP address or "*" (no ports, no CIDR ranges)`);
    }
  }
  return entries;
}

/**
 * True when a request to `host` goes through the proxy. Direct: loopback (the proxy's own loopback is not ours),
 * single-label names (`temporal`, `minio`: names of the local network or a compose project, which a proxy elsewhere
 * cannot resolve; Windows' "bypass for local addresses"), and PEAKON_SYNC_NO_PROXY's hosts.
 */
export function tunnelsThrough(proxy: EgressProxy, host: string): boolean {
  if (isLoopbackHost(host) || isSingleLabelName(host)) return false;
  return !proxy.bypass.some((pattern) => pattern === '*' || hostMatches(pattern, host));
}

function isSingleLabelName(host: string): boolean {
  return host !== '' && !host.includes('.') && !host.includes(':');
}

/** How messages name where a request went: `acme.peakon.com`, or `acme.peakon.com via egress proxy proxy:3128`. */
export function describeRoute(target: URL, env: NodeJS.ProcessEnv = process.env): string {
  const proxy = egressProxyFromEnv(env);
  return proxy && tunnelsThrough(proxy, target.hostname) ? `${target.host} via egress proxy ${proxy.url.host}` : target.host;
}

/** Statuses of a CONNECT answer that mean the proxy will not carry this tunnel whatever we retry: a setting to fix. */
const REFUSING_STATUSES = new Set([400, 401, 403, 405, 407]);

/** Why a tunnel did not open: the proxy's CONNECT answer, a hang-up, or no connection to the proxy at all. */
export type TunnelFailure = { status: number } | { hungUp: true } | { unreachable: string };

/**
 * The tunnel could not be opened. Thrown from the socket's creation, so the request never starts and nothing of it
 * (headers with credentials) is written to the proxy. `code` tells the HTTP clients whether to retry: a refusal
 * (401/403/407, …) is a setting to fix (EPROXYREFUSED); a proxy that could not reach the host (502), answered a 5xx or
 * hung up may do better next time (EPROXYUPSTREAM); so may a proxy the worker cannot connect to (EPROXYUNREACHABLE),
 * whose message names PEAKON_SYNC_PROXY's host and port to check.
 */
export class EgressProxyTunnelError extends EgressProxyError {
  readonly code: 'EPROXYREFUSED' | 'EPROXYUPSTREAM' | 'EPROXYUNREACHABLE';
  constructor(proxyHost: string, target: string, failure: TunnelFailure) {
    if ('unreachable' in failure) {
      super(`cannot connect to the egress proxy ${proxyHost} (${failure.unreachable}) to reach ${target}: check the host and port in ${PROXY_VARIABLE}, and that the proxy runs`);
      this.code = 'EPROXYUNREACHABLE';
      return;
    }
    if ('hungUp' in failure) {
      super(`egress proxy ${proxyHost} closed the connection before answering the tunnel request to ${target}`);
      this.code = 'EPROXYUPSTREAM';
      return;
    }
    const { status } = failure;
    const answer = `${status} ${STATUS_CODES[status] ?? 'HTTP status'}`;
    if (REFUSING_STATUSES.has(status)) {
      const hint = status === 407 ? `check the credentials in ${PROXY_VARIABLE}` : `the proxy's policy may not allow ${target} (CONNECT to its port included), or add its host to ${NO_PROXY_VARIABLE} if it is reachable directly`;
      super(`egress proxy ${proxyHost} refused the tunnel to ${target} (${answer}): ${hint}`);
      this.code = 'EPROXYREFUSED';
      return;
    }
    super(`egress proxy ${proxyHost} could not open the tunnel to ${target} (${answer})`);
    this.code = 'EPROXYUPSTREAM';
  }
}

/**
 * https-proxy-agent, except that a tunnel that does not open becomes an error naming the proxy and its answer. The
 * library instead replays the proxy's answer as if the target had sent it, so a proxy's 403 would read as Peakon
 * rejecting the token.
 */
class ConnectTunnelAgent extends HttpsProxyAgent<string> {
  override async connect(request: ClientRequest, options: AgentConnectOpts): Promise<Socket> {
    let refusedWith: number | undefined;
    request.once('proxyConnect', (answer: { statusCode: number }) => {
      if (answer.statusCode !== 200) refusedWith = answer.statusCode;
    });
    const target = `${options.host}:${options.port}`;
    let socket: Socket;
    try {
      socket = await super.connect(request, options);
    } catch (error) {
      // Every TCP connection of a tunnel goes to the proxy: a socket error (ECONNREFUSED, ENOTFOUND, …) is about the
      // proxy, not the target. The library's own "ended before receiving CONNECT response" carries no code.
      // Duck-typed: Node's own errors may come from another realm (a test runner's sandbox), where instanceof fails.
      const code = typeof error === 'object' && error !== null && typeof (error as NodeJS.ErrnoException).code === 'string' ? (error as NodeJS.ErrnoException).code : undefined;
      throw new EgressProxyTunnelError(this.proxy.host, target, code === undefined ? { hungUp: true } : { unreachable: code });
    }
    if (refusedWith !== undefined) {
      socket.destroy();
      throw new EgressProxyTunnelError(this.proxy.host, target, { status: refusedWith });
    }
    return socket;
  }
}

/**
 * The one agent of every outbound request while a proxy is set: it decides each connection's route from the host the
 * connection is really for (a redirect's next hop, the S3 SDK's regional host), tunnelling it or handing it to a direct
 * agent of its own (not Node's global one, which newer Node versions point at HTTPS_PROXY under NODE_USE_ENV_PROXY).
 */
class EgressAgent extends AgentBase {
  private readonly direct = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  constructor(
    private readonly proxy: EgressProxy,
    private readonly tunnel: ConnectTunnelAgent,
  ) {
    super();
  }

  override connect(request: ClientRequest, options: AgentConnectOpts): Promise<Socket> | HttpAgent {
    if (!tunnelsThrough(this.proxy, options.host ?? '')) return options.secureEndpoint ? this.direct.https : this.direct.http;
    return this.tunnel.connect(request, options);
  }
}

/** One agent per proxy setting (the variable is read per request, so a test may change it). */
const agents = new Map<string, EgressAgent>();

function agentFor(proxy: EgressProxy): EgressAgent {
  const key = `${proxy.url.href} ${proxy.bypass.join(',')}`;
  let agent = agents.get(key);
  if (!agent) {
    // Credentials go in the CONNECT request's header only; the agent's own URL (which its debug output prints) has none.
    const credentials = proxyCredentials(proxy);
    const headers = credentials ? { 'Proxy-Authorization': `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` } : undefined;
    agent = new EgressAgent(proxy, new ConnectTunnelAgent(proxy.origin, headers ? { headers } : {}));
    agents.set(key, agent);
  }
  return agent;
}

/** The proxy's Basic credentials, decoded; undefined when PEAKON_SYNC_PROXY names none. */
function proxyCredentials(proxy: EgressProxy): { username: string; password: string } | undefined {
  if (proxy.url.username === '' && proxy.url.password === '') return undefined;
  return { username: decodeURIComponent(proxy.url.username), password: decodeURIComponent(proxy.url.password) };
}

/**
 * The agents an axios request (or the S3 SDK) needs while PEAKON_SYNC_PROXY is set: one routing agent for both schemes
 * that tunnels each connection or sends it direct (loopback, PEAKON_SYNC_NO_PROXY hosts); nothing when no proxy is
 * set. Callers keep axios' `proxy: false`, which stops it from ever forwarding a whole request to a proxy of its own
 * choosing. Throws an EgressProxyError when the variables are malformed (the worker checks them at start).
 */
export function egressAgents(env: NodeJS.ProcessEnv = process.env): { httpAgent?: HttpAgent; httpsAgent?: HttpAgent } {
  const proxy = egressProxyFromEnv(env);
  if (!proxy) return {};
  const agent = agentFor(proxy);
  return { httpAgent: agent, httpsAgent: agent };
}

/**
 * The Temporal connection's proxy (the worker's Rust core speaks CONNECT itself), for `address` (`host:port`), or
 * undefined when it goes direct. The CLI's client connection is grpc-js, which follows its own `grpc_proxy` /
 * `https_proxy` variables instead.
 */
export function temporalProxyConfig(address: string | undefined, env: NodeJS.ProcessEnv = process.env): NativeConnectionOptions['proxy'] {
  const proxy = egressProxyFromEnv(env);
  if (!proxy || address === undefined) return undefined;
  const host = new URL(`http://${address}`).hostname;
  if (!tunnelsThrough(proxy, host)) return undefined;
  const basicAuth = proxyCredentials(proxy);
  return {
    type: 'http-connect',
    // The SDK requires the port even when it is http's default.
    targetHost: `${proxy.url.hostname}:${proxy.url.port || '80'}`,
    ...(basicAuth ? { basicAuth } : {}),
  };
}

/**
 * The worker's message when its Temporal connection through the proxy fails: the proxy's answer when the core's error
 * carries one (`CONNECT call failed with status: 403`), what to check, and never the core's full transport dump.
 */
export function describeTemporalTunnelFailure(address: string, error: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const proxyHost = egressProxyFromEnv(env)?.url.host ?? PROXY_VARIABLE;
  const text = error instanceof Error ? error.message : String(error);
  const status = /CONNECT call failed with status:? (\d{3})/i.exec(text)?.[1];
  const answer = status !== undefined ? `the proxy answered ${status} ${STATUS_CODES[Number(status)] ?? 'HTTP status'}` : 'no tunnel';
  return `cannot reach Temporal at ${address} via egress proxy ${proxyHost} (${answer}): check ${PROXY_VARIABLE} (host, port, credentials) and that the proxy allows CONNECT to port ${address.slice(address.lastIndexOf(':') + 1)}, or add the Temporal host to ${NO_PROXY_VARIABLE} if it is reachable directly`;
}
