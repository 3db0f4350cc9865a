import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { closestName, knownConfigKeysAt } from './did-you-mean';
import { ConnectorConfigSchema, type ConnectorConfig } from './schema';
import { mappingSpecsByPath, pointlessAttributeOptions, unreachableSpecSettings, unresolvableReferences } from '../mapping/config';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Issue = z.core.$ZodIssue;

/**
 * A union's issue says only "Invalid input". When the value had the shape of exactly one branch (the others failed on
 * its type alone), that branch's own issues name the field and the expectation, so they are reported instead.
 */
function explainUnion(issue: Issue): Issue[] {
  if (issue.code !== 'invalid_union') return [issue];
  const plausible = issue.errors.filter((branch) => !(branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0));
  if (plausible.length === 0) return [{ ...issue, message: unionTypeMessage(issue) }];
  const chosen = plausible.length === 1 ? plausible[0] : undefined;
  if (!chosen) return [issue];
  return chosen.flatMap((inner) => explainUnion({ ...inner, path: [...issue.path, ...inner.path] }));
}

/**
 * Every branch of a union refused the value's type (a required setting left out, a plain string where an object is
 * expected): say what the setting takes, or that it is missing, rather than zod's bare "Invalid input". A union with a
 * message of its own (e.g. secrets) keeps it.
 */
function unionTypeMessage(issue: Extract<Issue, { code: 'invalid_union' }>): string {
  if (issue.message !== 'Invalid input') return issue.message;
  const expected = [...new Set(issue.errors.map((branch) => (branch[0] && 'expected' in branch[0] ? String(branch[0].expected) : undefined)).filter((type) => type !== undefined))];
  const received = /received (\w+)/.exec(issue.errors[0]?.[0]?.message ?? '')?.[1];
  const takes = expected.length > 0 ? `expected ${expected.join(' or ')}` : 'expected another type';
  if (received === 'undefined') return `required (${takes})`;
  return received ? `${takes}, received ${received}` : takes;
}

function formatPath(issuePath: readonly PropertyKey[]): string {
  return issuePath.length ? issuePath.map(String).join('.') : '(root)';
}

/**
 * Formats zod issues as `path.to.field: what was expected`, one per line, so a person can fix the file. An unknown key
 * is named with the known key it most likely misspells (`knownKeysAt` lists the keys allowed at a path).
 */
export function describeIssues(issues: readonly Issue[], knownKeysAt?: (issuePath: readonly PropertyKey[]) => string[], raw?: unknown): string {
  return issues
    .flatMap(explainUnion)
    .flatMap((issue) => {
      if (issue.code !== 'unrecognized_keys') return [`  ${formatPath(issue.path)}: ${issue.message}${zerosInFrontHint(issue, raw)}`];
      return issue.keys.map((key) => {
        const suggestion = knownKeysAt ? closestName(key, knownKeysAt(issue.path)) : undefined;
        return `  ${formatPath([...issue.path, key])}: unknown setting${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
      });
    })
    .join('\n');
}

/**
 * A number setting written with zeros in front (`timeoutMs: 030000`) is text in a config (see YAML_OPTIONS): say so,
 * or "expected number, received string" puzzles someone who sees a number.
 */
function zerosInFrontHint(issue: Issue, raw: unknown): string {
  if (issue.code !== 'invalid_type' || issue.expected !== 'number') return '';
  let value: unknown = raw;
  for (const key of issue.path) value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  if (typeof value !== 'string' || !/^[-+]?0\d+$/.test(value)) return '';
  return ` (a number written with zeros in front is read as text, as an HR code would be: write ${Number(value)})`;
}

/** Parses an already-loaded config object (e.g. from a workflow argument or a test). */
export function parseConfig(raw: unknown, origin = 'config'): ConnectorConfig {
  const parsed = ConnectorConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${origin} is invalid:\n${describeIssues(parsed.error.issues, knownConfigKeysAt, raw)}`);
  return parsed.data;
}

/** A config file as the operator wrote it: what its YAML or JSON holds, before validation and defaults. */
export interface ConfigAsWritten {
  raw: unknown;
  /** The file's absolute path: relative paths inside the config are relative to its folder. */
  file: string;
}

/**
 * YAML's core schema reads `010` and `007` as the numbers 10 and 7. In a connector config such a value is an HR code
 * (a department `010`, a cost centre `007` in a `map` or a `value`), never a number written with zeros in front: it
 * stays text, or `map: { 010: Engineering }` would match no HR value `010` and `value: 007` would write `7`.
 */
function isDecimalIntTag(tag: YAML.Tags[number]): tag is YAML.ScalarTag {
  return typeof tag === 'object' && tag.tag === 'tag:yaml.org,2002:int' && tag.format === undefined && !('collection' in tag && tag.collection);
}
const YAML_OPTIONS: YAML.ParseOptions & YAML.SchemaOptions = {
  customTags: (tags) => tags.map((tag) => (isDecimalIntTag(tag) ? { ...tag, test: /^[-+]?(?:0|[1-9][0-9]*)$/ } : tag)),
};

/** Reads a YAML or JSON config file without validating it (a schedule stores this, so every run applies today's schema). */
export function readConfigAsWritten(configPath: string): ConfigAsWritten {
  const absolute = path.resolve(configPath);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new ConfigError(`cannot read config file ${absolute}: ${code}`);
  }
  try {
    return { raw: /\.json$/i.test(absolute) ? JSON.parse(text) : YAML.parse(text, YAML_OPTIONS), file: absolute };
  } catch (error) {
    throw new ConfigError(`cannot parse config file ${absolute}: ${parseErrorWithoutText(error, text)}`);
  }
}

/**
 * Why a config file did not parse, and where, without the file's own text: the parsers quote the lines around the
 * fault, and a config holds secrets there (an HR API key in `source.query`), which would end up in CI logs.
 */
function parseErrorWithoutText(error: unknown, text: string): string {
  if (error instanceof YAML.YAMLError) {
    // YAML's first line says what and where ("… at line 3, column 14:"); the lines after it quote the file.
    return (error.message.split('\n')[0] ?? error.name).replace(/:$/, '');
  }
  const message = error instanceof Error ? error.message : String(error);
  const position = /at position (\d+)/.exec(message);
  if (position) {
    const before = text.slice(0, Number(position[1])).split('\n');
    return `${message.replace(/ in JSON at position \d+.*$/s, '')} at line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
  }
  // V8 words an unexpected token as `Unexpected token 'x', "<the text around it>" is not valid JSON`.
  return /^Unexpected token/.test(message) ? 'not valid JSON: an unexpected token (the file\'s text is not repeated here, as it may hold secrets)' : 'not valid JSON';
}

/**
 * Validates a config as written (today's schema and defaults) and resolves the relative file paths inside it (the CSV
 * export, secret files) against `baseDir`, the folder of the file it came from; without one they stay as written.
 */
export function parseConfigAsWritten(raw: unknown, options: { origin: string; baseDir?: string }): ConnectorConfig {
  const config = parseConfig(raw, options.origin);
  return options.baseDir === undefined ? config : resolveRelativePaths(config, options.baseDir);
}

/**
 * Reads and validates a YAML or JSON config file. Relative file paths inside it are resolved against the file's
 * folder, so the parsed config can be handed to a worker running anywhere on the same machine.
 */
export function loadConfigFile(configPath: string): ConnectorConfig {
  const { raw, file } = readConfigAsWritten(configPath);
  const origin = `config file ${file}`;
  return checkWrittenNow(parseConfigAsWritten(raw, { origin, baseDir: path.dirname(file) }), origin);
}

/**
 * What a config a person hands the CLI now (validate, sync, schedule create and update) must also get right, beyond
 * the schema every run applies: options that do nothing (mapping/config.ts pointlessAttributeOptions), references
 * that cannot resolve (unresolvableReferences) and value-spec settings the order of the transforms leaves without effect
 * (unreachableSpecSettings). A schedule's stored config is not held to it, so one stored before the rule keeps running.
 */
export function checkWrittenNow(config: ConnectorConfig, origin: string): ConnectorConfig {
  const problems = [
    ...pointlessAttributeOptions(config.mapping.attributes),
    ...unresolvableReferences(config.mapping),
    ...unreachableSpecSettings({ ...mappingSpecsByPath(config.mapping), 'leavers.terminationDate': config.leavers.terminationDate }),
  ];
  if (problems.length > 0) throw new ConfigError(`${origin} is invalid:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  return config;
}

function resolveRelativePaths(config: ConnectorConfig, baseDir: string): ConnectorConfig {
  const resolved = structuredClone(config);
  if (resolved.source.type === 'csv') resolved.source.path = path.resolve(baseDir, resolved.source.path);
  if ('file' in resolved.peakon.token) resolved.peakon.token = { file: path.resolve(baseDir, resolved.peakon.token.file) };
  if (resolved.source.type === 'bamboohr' && 'file' in resolved.source.apiKey) {
    resolved.source.apiKey = { file: path.resolve(baseDir, resolved.source.apiKey.file) };
  }
  if (resolved.source.type === 'rest') {
    const auth = resolved.source.auth;
    const resolveRef = <T extends { env: string } | { file: string }>(ref: T): T | { file: string } =>
      'file' in ref ? { file: path.resolve(baseDir, ref.file) } : ref;
    if (auth.type === 'bearer') auth.token = resolveRef(auth.token);
    if (auth.type === 'basic') auth.password = resolveRef(auth.password);
    if (auth.type === 'apiKey') auth.key = resolveRef(auth.key);
  }
  return resolved;
}
