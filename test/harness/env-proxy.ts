/** The variables axios (through proxy-from-env) reads to pick a proxy, in both spellings, and the bypass lists. */
const PROXY_VARIABLES = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy'] as const;
const BYPASS_VARIABLES = ['NO_PROXY', 'no_proxy'] as const;

/**
 * Runs `body` with every proxy variable pointing at `proxyOrigin` and no bypass list (a developer's or CI's NO_PROXY
 * would exempt the loopback servers tests use), then restores the environment as it was. axios reads these at each
 * request, so setting them around the calls is enough.
 */
export async function withEnvironmentProxy<T>(proxyOrigin: string, body: () => Promise<T>): Promise<T> {
  const saved = new Map([...PROXY_VARIABLES, ...BYPASS_VARIABLES].map((name) => [name, process.env[name]]));
  for (const name of PROXY_VARIABLES) process.env[name] = proxyOrigin;
  for (const name of BYPASS_VARIABLES) delete process.env[name];
  try {
    return await body();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
