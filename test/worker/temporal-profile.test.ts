import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { temporalConnectConfig } from '../../worker/environment';

/** TEMPORAL_PROFILE picks a profile of Temporal's config file, also when TEMPORAL_CONFIG_FILE is unset (the SDK's default file). */
describe('TEMPORAL_PROFILE', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(path.join(tmpdir(), 'peakon-sync-temporal-home-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  function writeConfig(configHome: string): void {
    mkdirSync(path.join(configHome, 'temporalio'), { recursive: true });
    writeFileSync(
      path.join(configHome, 'temporalio', 'temporal.toml'),
      ['[profile.default]', 'address = "default.example:7233"', 'namespace = "from-default-profile"', '', '[profile.cloud]', 'address = "acme.a1b2c.tmprl.cloud:7233"', 'namespace = "acme.a1b2c"', ''].join('\n'),
    );
  }

  const itOnLinux = process.platform === 'linux' ? it : it.skip;

  itOnLinux('reads the profile from ~/.config/temporalio/temporal.toml', () => {
    writeConfig(path.join(home, '.config'));
    const config = temporalConnectConfig({ HOME: home, TEMPORAL_PROFILE: 'cloud' });
    expect(config.connectionOptions.address).toBe('acme.a1b2c.tmprl.cloud:7233');
    expect(config.namespace).toBe('acme.a1b2c');
  });

  itOnLinux('reads the profile from $XDG_CONFIG_HOME/temporalio/temporal.toml, and TEMPORAL_* variables still override it', () => {
    const xdg = path.join(home, 'xdg');
    writeConfig(xdg);
    const config = temporalConnectConfig({ HOME: path.join(home, 'elsewhere'), XDG_CONFIG_HOME: xdg, TEMPORAL_PROFILE: 'cloud', TEMPORAL_NAMESPACE: 'override' });
    expect(config.connectionOptions.address).toBe('acme.a1b2c.tmprl.cloud:7233');
    expect(config.namespace).toBe('override');
  });

  itOnLinux('refuses a profile the file lacks, naming the file, rather than connecting to localhost', () => {
    writeConfig(path.join(home, '.config'));
    expect(() => temporalConnectConfig({ HOME: home, TEMPORAL_PROFILE: 'staging' })).toThrow(/TEMPORAL_PROFILE=staging.*temporalio[/\\]temporal\.toml.*'staging' not found/);
  });

  itOnLinux('refuses TEMPORAL_PROFILE when there is no config file at all', () => {
    expect(() => temporalConnectConfig({ HOME: home, TEMPORAL_PROFILE: 'cloud' })).toThrow(/TEMPORAL_PROFILE=cloud/);
  });

  itOnLinux('without TEMPORAL_PROFILE or TEMPORAL_CONFIG_FILE, a default profile in the user\'s file does not redirect the worker', () => {
    writeConfig(path.join(home, '.config'));
    const config = temporalConnectConfig({ HOME: home });
    expect(config.connectionOptions.address).toBe('localhost:7233');
    expect(config.namespace).toBe('default');
  });

  it('tells a TOML syntax error of the file by line and column, never quoting its lines (they hold the API key)', () => {
    // A key rotation that left the old `api_key` line in: the parser's own message quotes both keys.
    const file = path.join(home, 'temporal.toml');
    writeFileSync(file, ['[profile.cloud]', 'address = "acme.a1b2c.tmprl.cloud:7233"', 'api_key = "OLD-SECRET-KEY"', 'api_key = "NEW-SECRET-KEY"', ''].join('\n'));
    for (const env of [{ TEMPORAL_CONFIG_FILE: file }, { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' }]) {
      let message = '';
      try {
        temporalConnectConfig({ HOME: home, ...env });
      } catch (error) {
        message = error instanceof Error ? error.message : String(error);
      }
      expect(message).toMatch(new RegExp(`^Temporal's config file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: Invalid TOML document: .* at line 4, column \\d+`));
      expect(message).not.toMatch(/SECRET-KEY/);
    }
  });
});
