import { workerEnvironmentHelp } from '../../client/commands/worker';

describe('peakon-sync worker --help', () => {
  it('says when Temporal\'s config file (and so TEMPORAL_PROFILE) is read', () => {
    const help = workerEnvironmentHelp();
    expect(help).toContain('TEMPORAL_CONFIG_FILE (default ~/.config/temporalio/temporal.toml, read only when it or TEMPORAL_PROFILE is set)');
    expect(help).toMatch(/^ {4}TEMPORAL_PROFILE$/m);
  });
});
