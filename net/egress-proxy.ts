import type { Agent, ClientRequest } from 'node:http';
import type { AgentConnectOpts } from 'agent-base';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { hostMatches, isHostPattern, isLoopbackHost } from '../config/secret';

/**
 * The worker's way out of a network that only lets traffic leave through an HTTP proxy (most corporate networks).
 * Every outbound call the worker makes itself (Peakon, HR sources and their token endpoints, the S3 payload store, the
 * Temporal server) goes through it as a CONNECT tunnel: the proxy learns the host and port, and TLS runs end to end
 * from the worker to that host, so tokens and HR data never reach the proxy in readable form. Requests are never handed
 * to the proxy whole (axios' own proxy support does that with plain-http requests: the bearer token in the proxy's
 * hands), which is also why the conventional HTTPS_PROXY/HTTP_PROXY variables are not read: setting them on a host
 * must not silently reroute the connector's credentials.
 */
export const PROXY_VARIABLE = 'PEAKON_SYNC_PROXY';
/** Hosts reached directly: `name`, `*.domain` (subdomains), IP addresses, as in PEAKON_SYNC_SECRET_HOSTS; `*` = all. */
export const NO_PROXY_VARIABLE = 'PEAKON_SYNC_NO_PROXY';

export class EgressProxyError extends Error {
  override readonly name = 'EgressProxyError';
}

export interface EgressProxy {
  /** `http://host:port` without credentials: what messages and logs may show. */
  readonly origin: string;
  readonly url: URL;
  /** Patterns of hosts reached directly; loopback always is (a proxy's own loopback is not the worker's). */
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
    throw new EgressProxyError(`${PROXY_VARIABLE} must be an http:// URL (the CONNECT request goes to the proxy in plain http; what travels through the tunnel is TLS end to end), not ${url.protocol}//`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new EgressProxyError(`${PROXY_VARIABLE} must be http://host:port with no path, query or fragment`);
  }
  return { origin: `${url.protocol}//${url.host}`, url, bypass };
}

function parseBypass(list: string): string[] {
  const entries = list
    .split(/[\s,]+/)
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    if (entry !== '*' && !isHostPattern(entry)) {
      throw new EgressProxyError(`${NO_PROXY_VARIABLE}: "${entry}" is not a host name, *.domain, an IP address or "*"`);
    }
  }
  return entries;
}

/** True when a request to `host` goes through the proxy; loopback and PEAKON_SYNC_NO_PROXY's hosts go direct. */
export function tunnelsThrough(proxy: EgressProxy, host: string): boolean {
  if (isLoopbackHost(host)) return false;
  return !proxy.bypass.some((pattern) => pattern === '*' || hostMatches(pattern, host));
}

/** How messages name where a request went: `acme.peakon.com`, or `acme.peakon.com via egress proxy proxy:3128`. */
export function describeRoute(target: URL, env: NodeJS.ProcessEnv = process.env): string {
  const proxy = egressProxyFromEnv(env);
  return proxy && tunnelsThrough(proxy, target.hostname) ? `${target.host} via egress proxy ${proxy.url.host}` : target.host;
}

/**
 * The proxy refused to open the tunnel (its CONNECT answer was not 200). Thrown from the socket's creation, so the
 * request never starts: nothing of it (headers with credentials) is written to the proxy. `code` lets the HTTP
 * clients decide on retries: the proxy not reaching the host (502/503/504) is worth a retry, a refusal (403, 407) is
 * a setting to fix.
 */
export class EgressProxyRefusedError extends EgressProxyError {
  readonly code: 'EPROXYUPSTREAM' | 'EPROXYREFUSED';
  constructor(
    readonly status: number,
    proxyHost: string,
    target: string,
  ) {
    const reason = `${status} ${STATUS_CODES[status] ?? 'HTTP status'}`;
    const hint = status === 407 ? `: check the credentials in ${PROXY_VARIABLE}` : status >= 502 && status <= 504 ? '' : `: the proxy's policy may not allow ${target}, or add it to ${NO_PROXY_VARIABLE} if it is reachable directly`;
    super(`egress proxy ${proxyHost} refused the tunnel to ${target} (${reason})${hint}`);
    this.code = status >= 502 && status <= 504 ? 'EPROXYUPSTREAM' : 'EPROXYREFUSED';
  }
}

/**
 * https-proxy-agent, except that a refused CONNECT becomes an error naming the proxy and its answer. The library
 * instead replays the proxy's answer as if the target had sent it, so a proxy's 403 would read as Peakon rejecting the
 * token (and quarantine the run for the wrong reason).
 */
class ConnectTunnelAgent extends HttpsProxyAgent<string> {
  override async connect(request: ClientRequest, options: AgentConnectOpts): Promise<Socket> {
    let refusedWith: number | undefined;
    request.once('proxyConnect', (answer: { statusCode: number }) => {
      if (answer.statusCode !== 200) refusedWith = answer.statusCode;
    });
    const socket = await super.connect(request, options);
    if (refusedWith !== undefined) {
      socket.destroy();
      throw new EgressProxyRefusedError(refusedWith, this.proxy.host, `${options.host}:${options.port}`);
    }
    return socket;
  }
}

/** One agent per proxy setting (the variable is read per request, so a test may change it). */
const agents = new Map<string, Agent>();

function agentFor(proxy: EgressProxy): Agent {
  const key = proxy.url.href;
  let agent = agents.get(key);
  if (!agent) {
    // Credentials go in the CONNECT request's header only; the agent's own URL (which its debug output prints) has none.
    const authorization = proxy.url.username !== '' || proxy.url.password !== '' ? `Basic ${Buffer.from(`${decodeURIComponent(proxy.url.username)}:${decodeURIComponent(proxy.url.password)}`).toString('base64')}` : undefined;
    agent = new ConnectTunnelAgent(proxy.origin, authorization !== undefined ? { headers: { 'Proxy-Authorization': authorization } } : {});
    agents.set(key, agent);
  }
  return agent;
}

/**
 * What an axios request to `target` needs to leave through the proxy: the tunnelling agent for both schemes, or
 * nothing when it goes direct (no proxy set, loopback, or a PEAKON_SYNC_NO_PROXY host). Callers keep `proxy: false`,
 * which stops axios from ever forwarding a whole request to a proxy of its own choosing.
 */
export function egressAgents(target: string | URL, env: NodeJS.ProcessEnv = process.env): { httpAgent?: Agent; httpsAgent?: Agent } {
  const proxy = egressProxyFromEnv(env);
  if (!proxy || !tunnelsThrough(proxy, new URL(target).hostname)) return {};
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
  const username = decodeURIComponent(proxy.url.username);
  const password = decodeURIComponent(proxy.url.password);
  if (/[:@]/.test(username) || /[:@]/.test(password)) {
    throw new EgressProxyError(`${PROXY_VARIABLE}: the Temporal connection cannot send proxy credentials containing ":" or "@" (a limit of the Temporal SDK); add the Temporal host to ${NO_PROXY_VARIABLE} or use other credentials`);
  }
  return {
    type: 'http-connect',
    // The SDK requires the port even when it is http's default.
    targetHost: `${proxy.url.hostname}:${proxy.url.port || '80'}`,
    ...(username !== '' || password !== '' ? { basicAuth: { username, password } } : {}),
  };
}
