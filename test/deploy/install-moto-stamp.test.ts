import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script, shared with .ci/run
const installer = require('../../scripts/install-moto.js') as {
  staleVenvReason: (venv: string, requirements: string[], module: string) => string | undefined;
  thisHost: () => string;
  MOTO_REQUIREMENT: string;
  STAMP_FILE: string;
};

/**
 * scripts/install-moto.js reuses .tools/moto only when the stamp its last successful install wrote names the pinned
 * requirement and the venv's python still imports moto; any other venv is removed and installed again. The script runs
 * as a copy in a temporary project (it installs into the .tools/moto beside its own folder) with a stand-in python3 whose
 * `-m venv` makes a venv of stand-ins: no network, and the real .tools/moto is never touched.
 */
const ROOT = path.resolve(__dirname, '../..');
const { MOTO_REQUIREMENT, STAMP_FILE, staleVenvReason, thisHost } = installer;
/** In the lock folder beside the venv: the installer holding it, { pid, host, token } as JSON. */
const LOCK_OWNER_FILE = 'owner.json';

const describeOnPosix = process.platform === 'win32' ? describe.skip : describe;

describeOnPosix('scripts/install-moto.js: reusing .tools/moto', () => {
  let work: string;
  let fakeBin: string;
  let project: string;
  let venv: string;
  let pipLog: string;
  /** The lock's owner file as pip saw it while installing. */
  let ownerSeen: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'peakon-sync-install-moto-'));
    fakeBin = path.join(work, 'bin');
    project = path.join(work, 'project');
    venv = path.join(project, '.tools', 'moto');
    pipLog = path.join(work, 'pip.log');
    ownerSeen = path.join(work, 'owner-seen.json');
    mkdirSync(fakeBin);
    mkdirSync(path.join(project, 'scripts'), { recursive: true });
    copyFileSync(path.join(ROOT, 'scripts', 'install-moto.js'), path.join(project, 'scripts', 'install-moto.js'));
    // `python3 -m venv DIR` makes DIR/bin/python (imports anything) and DIR/bin/pip, whose install logs its arguments,
    // copies the lock's owner file and leaves a moto_server.
    writeFileSync(
      path.join(fakeBin, 'python3'),
      '#!/bin/sh\n' +
        'case "$1" in --version) echo "Python 3.11.2"; exit 0;; esac\n' +
        '[ "$1" = -m ] && [ "$2" = venv ] || exit 2\n' +
        '/bin/mkdir -p "$3/bin"\n' +
        'printf \'#!/bin/sh\\nexit 0\\n\' > "$3/bin/python"\n' +
        `printf '#!/bin/sh\\necho "$*" >> ${pipLog}\\n/bin/cp "%s.installing/${LOCK_OWNER_FILE}" ${ownerSeen}\\n: > "%s/bin/moto_server"\\n' "$3" "$3" > "$3/bin/pip"\n` +
        '/bin/chmod +x "$3/bin/python" "$3/bin/pip"\n',
    );
    chmodSync(path.join(fakeBin, 'python3'), 0o755);
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  /** A venv as an earlier install left it: a python that imports moto, a moto_server, a file to see whether it is kept. */
  function oldVenv(stamp: string | undefined, python: 'works' | 'base removed' = 'works'): void {
    mkdirSync(path.join(venv, 'bin'), { recursive: true });
    if (python === 'works') {
      writeFileSync(path.join(venv, 'bin', 'python'), '#!/bin/sh\nexit 0\n');
      chmodSync(path.join(venv, 'bin', 'python'), 0o755);
    } else {
      symlinkSync(path.join(work, 'removed-python', 'python3.11'), path.join(venv, 'bin', 'python'));
    }
    writeFileSync(path.join(venv, 'bin', 'moto_server'), '');
    writeFileSync(path.join(venv, 'left-by-the-old-install'), '');
    if (stamp !== undefined) writeFileSync(path.join(venv, STAMP_FILE), `${stamp}\n`);
  }

  function run(timeout = 60_000): SpawnSyncReturns<string> {
    return spawnSync(process.execPath, [path.join(project, 'scripts', 'install-moto.js')], {
      env: { PATH: fakeBin, HOME: work },
      cwd: project,
      encoding: 'utf8',
      timeout,
    });
  }

  function runInstaller(): number | null {
    return run().status;
  }

  function expectRebuilt(): void {
    expect(runInstaller()).toBe(0);
    expect(existsSync(path.join(venv, 'left-by-the-old-install'))).toBe(false);
    expect(readFileSync(path.join(venv, STAMP_FILE), 'utf8').trim()).toBe(MOTO_REQUIREMENT);
    expect(readFileSync(pipLog, 'utf8')).toContain(MOTO_REQUIREMENT);
    expect(existsSync(`${venv}.installing`)).toBe(false);
  }

  it('installs a venv with no stamp (made before the version pin, or an install that did not finish) again', () => {
    oldVenv(undefined);
    expectRebuilt();
  });

  it('installs a venv stamped for another requirement again', () => {
    oldVenv('moto[server]==4.2.0');
    expectRebuilt();
  });

  it('installs a venv whose python no longer runs (its base python removed) again', () => {
    oldVenv(MOTO_REQUIREMENT, 'base removed');
    expectRebuilt();
  });

  it('reuses a venv stamped for the pinned requirement whose python imports moto', () => {
    oldVenv(MOTO_REQUIREMENT);
    expect(runInstaller()).toBe(0);
    expect(existsSync(path.join(venv, 'left-by-the-old-install'))).toBe(true);
    expect(existsSync(pipLog)).toBe(false);
  });

  it('staleVenvReason says why a venv is not reused', () => {
    expect(staleVenvReason(venv, [MOTO_REQUIREMENT], 'moto')).toBe('not installed');
    oldVenv(undefined);
    expect(staleVenvReason(venv, [MOTO_REQUIREMENT], 'moto')).toContain(`no ${STAMP_FILE}`);
    writeFileSync(path.join(venv, STAMP_FILE), 'moto[server]==4.2.0\n');
    expect(staleVenvReason(venv, [MOTO_REQUIREMENT], 'moto')).toBe(`installed for moto[server]==4.2.0, not ${MOTO_REQUIREMENT}`);
    writeFileSync(path.join(venv, STAMP_FILE), `${MOTO_REQUIREMENT}\n`);
    expect(staleVenvReason(venv, [MOTO_REQUIREMENT], 'moto')).toBeUndefined();
    writeFileSync(path.join(venv, 'bin', 'python'), '#!/bin/sh\necho "ModuleNotFoundError: No module named \'moto\'" >&2\nexit 1\n');
    expect(staleVenvReason(venv, [MOTO_REQUIREMENT], 'moto')).toContain("cannot import moto (ModuleNotFoundError: No module named 'moto'");
  });

  // The lock beside the venv, as an installer killed before it could remove it (Ctrl-C, a CI timeout) leaves it.
  function lockOf(pid: number): string {
    const lock = `${venv}.installing`;
    mkdirSync(lock, { recursive: true });
    writeFileSync(path.join(lock, LOCK_OWNER_FILE), JSON.stringify({ pid, host: thisHost(), token: `installer-${pid}` }));
    return lock;
  }

  it('records its PID and host in the lock while it installs', () => {
    const result = run();
    expect(result.status).toBe(0);
    expect(JSON.parse(readFileSync(ownerSeen, 'utf8'))).toMatchObject({ pid: result.pid, host: thisHost() });
    expect(existsSync(`${venv}.installing`)).toBe(false);
  });

  it('names the host by its PID namespace too (two containers sharing the folder and a host name have their own PIDs)', () => {
    expect(thisHost()).toContain(hostname());
    if (process.platform === 'linux') expect(thisHost()).toMatch(/\(pid:\[\d+\]\)$/);
  });

  it('takes over at once a fresh lock whose installer (its PID, on this host) no longer runs', () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    expect(() => process.kill(dead, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    const lock = lockOf(dead);
    const started = Date.now();
    // Not the 15 minutes a lock of an installer that may still run is given: killed after 20 s, it would fail here.
    const result = run(20_000);
    expect(result.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.stderr).toContain(`taking over ${lock}: the installer that made it (PID ${dead}) is not running any more`);
    expect(readFileSync(path.join(venv, STAMP_FILE), 'utf8').trim()).toBe(MOTO_REQUIREMENT);
    expect(existsSync(lock)).toBe(false);
  });

  it('waits for a lock whose installer still runs, saying once which PID it waits for', () => {
    const lock = lockOf(process.pid); // this test's own process: alive
    const result = run(3_500);
    expect(result.signal).toBe('SIGTERM'); // still waiting when stopped
    const waiting = result.stderr.split('\n').filter((line) => line.includes('waiting'));
    expect(waiting).toEqual([`[moto] waiting for the moto install of PID ${process.pid} to finish (it holds ${lock})`]);
    expect(existsSync(pipLog)).toBe(false);
    expect(JSON.parse(readFileSync(path.join(lock, LOCK_OWNER_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
  });
});
