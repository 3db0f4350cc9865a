import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { ConnectorConfigSchema, type ConnectorConfig } from './schema';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Formats zod issues as `path.to.field: what was expected`, one per line, so a person can fix the file. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `  ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('\n');
}

/** Parses an already-loaded config object (e.g. from a workflow argument or a test). */
export function parseConfig(raw: unknown, origin = 'config'): ConnectorConfig {
  const parsed = ConnectorConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${origin} is invalid:\n${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

/**
 * Reads a YAML or JSON config file. Relative file paths inside it (the CSV export, secret files) are resolved against
 * the file's folder, so the parsed config can be handed to a worker running anywhere on the same machine.
 */
export function loadConfigFile(configPath: string): ConnectorConfig {
  const absolute = path.resolve(configPath);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${absolute}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(absolute) ? JSON.parse(text) : YAML.parse(text);
  } catch (error) {
    throw new ConfigError(`cannot parse config file ${absolute}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const config = parseConfig(raw, `config file ${absolute}`);
  return resolveRelativePaths(config, path.dirname(absolute));
}

function resolveRelativePaths(config: ConnectorConfig, baseDir: string): ConnectorConfig {
  const resolved = structuredClone(config);
  if ('path' in resolved.source && typeof resolved.source.path === 'string') {
    resolved.source.path = path.resolve(baseDir, resolved.source.path);
  }
  if ('file' in resolved.peakon.token) resolved.peakon.token = { file: path.resolve(baseDir, resolved.peakon.token.file) };
  return resolved;
}
