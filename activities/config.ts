import path from 'node:path';
import { z } from 'zod';
import { ConfigError, describeIssues, parseConfigAsWritten } from '../config/load';
import type { ConnectorConfig } from '../config/schema';
import { convertingFailures } from './failures';

/**
 * A connector config as a schedule keeps it: the object the operator's YAML or JSON held, before validation and
 * defaults, and the file it was read from. Every run validates it again with the worker's schema, so a setting added
 * in a later version gets its default instead of arriving `undefined`, and a setting that is no longer valid stops the
 * run instead of being used. It names secrets (`{ env }`, `{ file }`) and never holds them, like the file.
 */
export const StoredConfigSchema = z.object({
  storedConfig: z.unknown(),
  /** Absolute path of the file on the machine that stored it; relative paths in the config are relative to its folder. */
  configFile: z.string().refine((file) => path.isAbsolute(file), 'expected an absolute path').optional(),
});
export type StoredConfig = z.infer<typeof StoredConfigSchema>;

/**
 * The config a stored one stands for today: validated with this version's schema and defaults, relative paths resolved
 * against the folder of the file it came from. Throws a ConfigError naming each field that no longer validates (and
 * the setting a misspelt one most likely means). The same check runs in `schedule create`, `update` and `describe`.
 */
export function parseStoredConfig(stored: StoredConfig, origin?: string): ConnectorConfig {
  const { configFile } = stored;
  return parseConfigAsWritten(stored.storedConfig, {
    origin: origin ?? (configFile === undefined ? 'the stored config' : `the stored config (as written in ${configFile})`),
    ...(configFile === undefined ? {} : { baseDir: path.dirname(configFile) }),
  });
}

/**
 * The first step of a scheduled run: the schedule's stored config, validated as the run starts. Reads nothing and
 * writes nothing, but runs as an activity so that its result is recorded: a replay of the run uses the config the run
 * used, whatever the schema of the worker replaying it. A config that no longer validates is a non-retryable
 * `ConfigInvalid` failure (retrying cannot fix a file).
 */
export function resolveStoredConfigActivity() {
  return async function resolveStoredConfig(input: StoredConfig): Promise<ConnectorConfig> {
    return convertingFailures(async () => {
      const stored = StoredConfigSchema.safeParse(input);
      if (!stored.success) throw new ConfigError(`the schedule's workflow input is not a stored config:\n${describeIssues(stored.error.issues)}`);
      return parseStoredConfig(stored.data);
    });
  };
}
