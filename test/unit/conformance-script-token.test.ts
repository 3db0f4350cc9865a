import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../devserver/ports';

const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts', 'conformance.sh');
const CLI = path.join(ROOT, 'dist', 'client', 'cli.js');

/** A folder for the script's temporary files (TMPDIR), so a test can see that it leaves none behind. */
function emptyTmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'conformance-tmp-'));
}

/**
 * scripts/conformance.sh says its throwaway sandbox token stays out of the process list. Run with stand-ins on PATH:
 * a `curl` that records its arguments (then runs the real one) and a `scim2` that records the header it was handed.
 */
describe('scripts/conformance.sh', () => {
  it('waits for the sandbox with the token out of curl\'s command line (and the sandbox accepts it), and hands scim2 the same token', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    const { stdout: realCurl } = await promisify(execFile)('bash', ['-c', 'command -v curl']);
    const bin = mkdtempSync(path.join(tmpdir(), 'conformance-bin-'));
    const curlLog = path.join(bin, 'curl.log');
    const scim2Log = path.join(bin, 'scim2.log');
    writeFileSync(
      path.join(bin, 'curl'),
      `#!/usr/bin/env bash\n${JSON.stringify(realCurl.trim())} "$@"\nstatus=$?\nprintf '%s %s\\n' "$status" "$*" >> ${JSON.stringify(curlLog)}\nexit "$status"\n`,
    );
    writeFileSync(path.join(bin, 'scim2'), `#!/usr/bin/env bash\nprintf '%s\\n' "$SCIM_CLI_HEADERS" > ${JSON.stringify(scim2Log)}\n`);
    chmodSync(path.join(bin, 'curl'), 0o755);
    chmodSync(path.join(bin, 'scim2'), 0o755);
    const scriptTmp = emptyTmp();
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, CONFORMANCE_SKIP_BUILD: '1', CONFORMANCE_PORT: String(await freePort()), TMPDIR: scriptTmp };
    await promisify(execFile)('bash', [SCRIPT], { env, timeout: 30_000 });
    const header = readFileSync(scim2Log, 'utf8').trim();
    const token = /^Authorization: Bearer (conformance-\d+-\d+)$/.exec(header)?.[1];
    expect(token).toBeDefined();
    const calls = readFileSync(curlLog, 'utf8').trim().split('\n');
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call).not.toContain(token);
    // The sandbox answered the last one: the token reached it (a wrong header would be refused until the deadline,
    // and the script would stop without running the checker).
    expect(calls.at(-1)).toMatch(/^0 /);
    // The sandbox's log (a temporary file) is gone with the sandbox.
    expect(readdirSync(scriptTmp)).toEqual([]);
  }, 60_000);

  it('stops with the sandbox\'s log, without running the checker, when the sandbox never answers within the deadline', async () => {
    const bin = mkdtempSync(path.join(tmpdir(), 'conformance-bin-'));
    const scim2Log = path.join(bin, 'scim2.log');
    // A sandbox that starts, logs a line and never listens (the script runs it with the `node` on PATH); curl is the real one.
    writeFileSync(path.join(bin, 'node'), '#!/usr/bin/env bash\necho "stand-in sandbox: started, never listens"\nexec sleep 30\n');
    writeFileSync(path.join(bin, 'scim2'), `#!/usr/bin/env bash\ntouch ${JSON.stringify(scim2Log)}\n`);
    chmodSync(path.join(bin, 'node'), 0o755);
    chmodSync(path.join(bin, 'scim2'), 0o755);
    const scriptTmp = emptyTmp();
    const env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      CONFORMANCE_SKIP_BUILD: '1',
      CONFORMANCE_PORT: String(await freePort()),
      CONFORMANCE_READY_TIMEOUT: '3',
      TMPDIR: scriptTmp,
    };
    const failure = await promisify(execFile)('bash', [SCRIPT], { env, timeout: 30_000 }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toMatch(/sandbox did not answer http:\/\/127\.0\.0\.1:\d+\/scim\/v2\/ServiceProviderConfig within 3 s; its log:/);
    expect(failure?.stderr).toContain('stand-in sandbox: started, never listens');
    expect(existsSync(scim2Log)).toBe(false);
    expect(readdirSync(scriptTmp)).toEqual([]);
  }, 60_000);
});
