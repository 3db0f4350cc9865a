import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * deploy/connector.env holds the Peakon token (and Temporal's API key, proxy and AWS credentials): the commands
 * docs/deploy.md and the example file give to create it must leave it readable by its owner only, under the usual
 * umask 022 and with the example checked out 0644 (a plain `cp` keeps the example's 0644).
 */
const ROOT = path.resolve(__dirname, '../..');
const CREATE = /^\(?(?:umask \d+ && )?cp deploy\/connector\.env\.example deploy\/connector\.env\)?/;

function creatingCommands(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/^#\s*/, '').replace(/\s+#.*$/, '').trim())
    .filter((line) => CREATE.test(line));
}

describe('creating deploy/connector.env as the docs say', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'peakon-sync-env-file-'));
    mkdirSync(path.join(work, 'deploy'));
    copyFileSync(path.join(ROOT, 'deploy/connector.env.example'), path.join(work, 'deploy/connector.env.example'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const sources = ['docs/deploy.md', 'deploy/connector.env.example'];
  it.each(sources)('%s: every command that creates it leaves it 0600', (source) => {
    const commands = creatingCommands(readFileSync(path.join(ROOT, source), 'utf8'));
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      rmSync(path.join(work, 'deploy/connector.env'), { force: true });
      const run = spawnSync('bash', ['-c', `umask 022 && chmod 0644 deploy/connector.env.example && ${command}`], { cwd: work, encoding: 'utf8' });
      expect({ command, status: run.status, stderr: run.stderr }).toEqual({ command, status: 0, stderr: '' });
      expect({ command, mode: (statSync(path.join(work, 'deploy/connector.env')).mode & 0o777).toString(8) }).toEqual({ command, mode: '600' });
    }
  });
});
