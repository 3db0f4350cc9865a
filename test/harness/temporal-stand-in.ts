import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { requireTemporalCli } from '../../devserver/temporal-cli';

export interface TemporalStandIn {
  /** The script, for TEMPORAL_CLI_PATH. */
  path: string;
  /** The `--port` and `--ui-port` of each `temporal server …` start so far, in order. */
  starts(): { port: number; uiPort: number }[];
  /** Forgets the starts so far (they also count towards `failTakenPort`). */
  reset(): void;
}

/**
 * A stand-in `temporal` CLI at `file`, the real one behind it, that notes every `server` start's command line and fails
 * the first `failTakenPort` of them as the CLI does when its port is taken. Mocked, because the race it stands for (a
 * port found free, then bound by another server first) cannot be arranged on purpose.
 */
export function temporalStandIn(file: string, options: { failTakenPort?: number; failEvery?: { stderr: string; exitCode: number } } = {}): TemporalStandIn {
  const log = `${file}.starts`;
  const failures = options.failTakenPort ?? 0;
  const lines = ['#!/bin/sh', 'if [ "$1" = "server" ]; then', `  echo "$*" >> '${log}'`];
  // Every server start fails this way (a reason other than a taken port).
  if (options.failEvery) lines.push(`  echo '${options.failEvery.stderr}' >&2; exit ${options.failEvery.exitCode}`);
  else if (failures > 0) lines.push(`  if [ "$(wc -l < '${log}')" -le ${failures} ]; then echo "Error: can't set frontend port: listen tcp: bind: address already in use" >&2; exit 1; fi`);
  lines.push('fi', `exec '${requireTemporalCli()}' "$@"`);
  writeFileSync(file, lines.join('\n'));
  chmodSync(file, 0o700);
  return {
    path: file,
    starts: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((line) => ({ port: Number(/--port (\d+)/.exec(line)?.[1]), uiPort: Number(/--ui-port (\d+)/.exec(line)?.[1]) }))
        : [],
    reset: () => rmSync(log, { force: true }),
  };
}
