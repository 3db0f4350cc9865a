/**
 * What the processes we start around the Temporal CLI may see of our environment: the basics a program needs, nothing
 * else. `npm start`, `peakon-sync server` and the tests run with the SCIM token, the encryption key and HR credentials
 * in their environment, and those are bound to their own hosts, not to a third-party binary (whose environment any
 * process of the user can read), nor to `temporal --version`, `which`, or the watcher that stops an orphaned server.
 */
export function devServerEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name, value]) => value !== undefined && DEV_SERVER_ENVIRONMENT.test(name)));
}

// Case-insensitive: Windows keeps names as set (`Path`, `SystemRoot`, `windir`), and a Go program needs SystemRoot there.
const DEV_SERVER_ENVIRONMENT = /^(PATH|PATHEXT|HOME|USER|LOGNAME|TMPDIR|TMP|TEMP|TZ|LANG|LC_[A-Z]+|SYSTEMROOT|WINDIR|COMSPEC|USERPROFILE|LOCALAPPDATA|APPDATA)$/i;

/**
 * The CLI installer's environment when a command runs it (no CLI found): the basics, and what pip and Go need to reach
 * the package registries (their settings, proxies, certificate bundles), each named: open prefixes such as `GO` would
 * also pass `GOOGLE_…` credentials an HR config may name. Not the connector's secrets.
 */
export function installerEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...devServerEnvironment(env), ...Object.fromEntries(Object.entries(env).filter(([name, value]) => value !== undefined && INSTALLER_ENVIRONMENT.test(name))) };
}

const INSTALLER_ENVIRONMENT =
  /^(TEMPORAL_CLI_SOURCE|HTTPS?_PROXY|NO_PROXY|ALL_PROXY|PIP_[A-Z0-9_]+|PYTHONPATH|PYTHONHOME|PYTHONUSERBASE|VIRTUAL_ENV|PYENV_ROOT|PYENV_VERSION|LD_LIBRARY_PATH|NETRC|GOPATH|GOCACHE|GOMODCACHE|GOROOT|GOPROXY|GONOPROXY|GOPRIVATE|GONOSUMDB|GONOSUMCHECK|GOSUMDB|GOFLAGS|GOINSECURE|GOTOOLCHAIN|GOENV|GOTMPDIR|GOVCS|SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|XDG_CONFIG_HOME|XDG_CACHE_HOME|XDG_DATA_HOME)$/i;
