import RULE from './child-environment-rule.json';

/**
 * What the processes we start around the Temporal CLI may see of our environment: the basics a program needs, nothing
 * else. `npm start`, `peakon-sync server` and the tests run with the SCIM token, the encryption key and HR credentials
 * in their environment, and those are bound to their own hosts, not to a third-party binary (whose environment any
 * process of the user can read), nor to `temporal --version`, `which`, or the watcher that stops an orphaned server.
 * The names are in child-environment-rule.json, which scripts/install-temporal-cli.js (npm's postinstall) reads too.
 */
export function devServerEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return keep(env, DEV_SERVER_ENVIRONMENT);
}

/**
 * The CLI installer's environment (its probes, pip and `go install`): the basics, and what pip and Go need to reach the
 * package registries (their settings, proxies, certificate bundles), each named: open prefixes such as `GO` would also
 * pass `GOOGLE_…` credentials an HR config may name. Not the connector's secrets.
 */
export function installerEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return keep(env, INSTALLER_ENVIRONMENT);
}

// Case-insensitive: Windows keeps names as set (`Path`, `SystemRoot`, `windir`), and a Go program needs SystemRoot there.
const names = (patterns: readonly string[]) => new RegExp(`^(${patterns.join('|')})$`, 'i');
const DEV_SERVER_ENVIRONMENT = names(RULE.devServer);
const INSTALLER_ENVIRONMENT = names([...RULE.devServer, ...RULE.installer]);

function keep(env: NodeJS.ProcessEnv, allowed: RegExp): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name, value]) => value !== undefined && allowed.test(name)));
}
