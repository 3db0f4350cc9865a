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
      if (issue.code !== 'unrecognized_keys') return [`  ${formatPath(issue.path)}: ${issue.message}${numberAsTextHint(issue, raw)}`];
      return issue.keys.map((key) => {
        const suggestion = knownKeysAt ? closestName(key, knownKeysAt(issue.path)) : undefined;
        return `  ${formatPath([...issue.path, key])}: unknown setting${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
      });
    })
    .join('\n');
}

/**
 * A number setting written with zeros in front (`timeoutMs: 030000`) is text in a config (YAML_OPTIONS; a YAML 1.1
 * reader would take it for octal): say so, and what to write, or "expected number, received string" puzzles someone
 * who sees a number. Other spellings that print otherwise are read as the number (withNumberSettingsRead).
 */
function numberAsTextHint(issue: Issue, raw: unknown): string {
  if (issue.code !== 'invalid_type' || issue.expected !== 'number') return '';
  const value = valueAt(raw, issue.path);
  if (typeof value !== 'string' || !/^[-+]?0\d/.test(value)) return '';
  const number = coreNumber(value);
  return number === undefined ? '' : ` (a number written with zeros in front is read as text, as an HR code would be: write ${String(number)})`;
}

function valueAt(raw: unknown, issuePath: readonly PropertyKey[]): unknown {
  let value: unknown = raw;
  for (const key of issuePath) value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

/** The number YAML's core schema reads a spelling as, when it reads one that JavaScript holds exactly. */
function coreNumber(text: string): number | undefined {
  if (!CORE_NUMBER_TESTS.some((test) => test.test(text))) return undefined;
  const number = Number(text.replace(/^([-+]?)0+(?=\d)/, '$1'));
  return Number.isFinite(number) && Math.abs(number) <= Number.MAX_SAFE_INTEGER ? number : undefined;
}

/**
 * A number setting written otherwise than as it prints (`maxShare: 0.50`, `1.0`, `partitionSize: 1e2`): YAML_OPTIONS
 * keeps such a spelling as text (elsewhere it is an HR code), but where the schema wants a number it is the number, as
 * it always was. Zeros in front stay an error (numberAsTextHint). Returns `raw` itself when nothing was read so.
 */
function withNumberSettingsRead(raw: unknown, issues: readonly Issue[]): unknown {
  let copy: unknown;
  for (const issue of issues) {
    // A number setting, or a union taking a number (leavers.guard.timeout: milliseconds or a duration text).
    const wantsNumber = (issue.code === 'invalid_type' && issue.expected === 'number') || issue.code === 'invalid_union';
    if (!wantsNumber || issue.path.length === 0) continue;
    const value = valueAt(raw, issue.path);
    if (typeof value !== 'string' || /^[-+]?0\d/.test(value)) continue;
    const number = coreNumber(value);
    if (number === undefined) continue;
    copy ??= structuredClone(raw);
    const parent = valueAt(copy, issue.path.slice(0, -1)) as Record<PropertyKey, unknown>;
    parent[issue.path[issue.path.length - 1] as PropertyKey] = number;
  }
  return copy ?? raw;
}

/** Parses an already-loaded config object (e.g. from a workflow argument or a test). */
export function parseConfig(raw: unknown, origin = 'config'): ConnectorConfig {
  let parsed = ConnectorConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const read = withNumberSettingsRead(raw, parsed.error.issues);
    if (read !== raw) parsed = ConnectorConfigSchema.safeParse(read);
  }
  if (!parsed.success) throw new ConfigError(`${origin} is invalid:\n${describeIssues(parsed.error.issues, knownConfigKeysAt, raw)}`);
  return parsed.data;
}

/** A config file as the operator wrote it: what its YAML or JSON holds, before validation and defaults. */
export interface ConfigAsWritten {
  raw: unknown;
  /** The file's absolute path: relative paths inside the config are relative to its folder. */
  file: string;
}

const YAML_NUMBER_TAGS = new Set(['tag:yaml.org,2002:int', 'tag:yaml.org,2002:float']);

function isNumberTag(tag: YAML.Tags[number]): tag is YAML.ScalarTag & { test: RegExp } {
  return typeof tag === 'object' && YAML_NUMBER_TAGS.has(tag.tag) && !('collection' in tag && tag.collection) && tag.test instanceof RegExp;
}

/** Whether the JS number a spelling reads as prints as it is written: `20`, `-3`, `0.2`; not `1.10`, `007`, `1e3`, `0x1F`, `+5`. */
const printsAsWritten = (source: string): boolean => String(Number(source)) === source;

/** A number tag's own test, passed only by a spelling that prints as written (the others fall through to text). */
class WrittenAsItPrints extends RegExp {
  override test(source: string): boolean {
    return super.test(source) && printsAsWritten(source);
  }
}

/**
 * YAML's core schema reads `010`, `1.10`, `007.5`, `1e3`, `0x1F`, `0o17` and integers beyond 2^53 as numbers that print
 * otherwise (10, 1.1, 7.5, 1000, 31, 15, rounded). In a connector config such a value is an HR code (a department
 * `010`, a grade `1.10`, a cost centre `007` in a `map`, a `value`, a `default` or a `fallback`), never a number written
 * oddly: it stays the text it is written as, or `map: { 1.10: Senior }` would match no HR value `1.10` and `value: 2.10`
 * would write `2.1`. A number written as it prints (`maxShare: 0.2`, `partitionSize: 100`) stays a number; a number
 * setting written otherwise is read as the number where the schema wants one (withNumberSettingsRead), except with
 * zeros in front, an error saying so (numberAsTextHint).
 */
const YAML_OPTIONS: YAML.ParseOptions & YAML.SchemaOptions = {
  customTags: (tags) => {
    const numberTags = tags.filter(isNumberTag);
    const explicit = [...new Set(numberTags.map((tag) => tag.tag))].map((name) => explicitNumberTag(name, numberTags));
    return [...tags.map((tag) => (isNumberTag(tag) ? { ...tag, test: new WrittenAsItPrints(tag.test.source, tag.test.flags) } : tag)), ...explicit];
  },
};

/**
 * A number explicitly tagged (`!!float 0.50`, `!!int 010`) is read as YAML's core schema reads it: the author asked
 * for the number. (Without this, YAML took such a spelling for an unknown tag and warned, quoting the file's lines.)
 */
function explicitNumberTag(name: string, numberTags: readonly (YAML.ScalarTag & { test: RegExp })[]): YAML.ScalarTag {
  return {
    tag: name,
    default: false,
    resolve: (source, onError, options) => {
      const tag = numberTags.find((candidate) => candidate.tag === name && candidate.test.test(source));
      if (tag) return tag.resolve(source, onError, options);
      // Not the value itself: the message reaches logs, and a config's text may hold secrets.
      onError(`a value tagged ${name.replace('tag:yaml.org,2002:', '!!')} is not a number`);
      return source;
    },
  };
}

/** The spellings YAML's core schema, unchanged, reads as numbers (for numberAsTextHint). */
const CORE_NUMBER_TESTS = new YAML.Schema({}).tags.filter(isNumberTag).map((tag) => tag.test);

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
    return { raw: /\.json$/i.test(absolute) ? JSON.parse(text) : parseYamlWithoutText(text, `config file ${absolute}`), file: absolute };
  } catch (error) {
    throw new ConfigError(`cannot parse config file ${absolute}: ${parseErrorWithoutText(error, text)}`);
  }
}

/**
 * Parses a config's YAML as `YAML.parse(text, YAML_OPTIONS)` does (the same document, errors and value), except for its
 * warnings (an unknown tag such as `!secret`, a `%YAML 1.3` directive): YAML.parse hands those to process.emitWarning
 * with the line they are about quoted, and a config holds secrets on its lines. Each is said here without the text, as
 * its code and what and where (yamlWithoutText), on the same channel.
 */
function parseYamlWithoutText(text: string, origin: string): unknown {
  // logLevel 'error': YAML reports no warning itself, neither a composing one nor one toJS words with a key's text.
  const doc = YAML.parseDocument(text, { ...YAML_OPTIONS, logLevel: 'error' });
  for (const warning of doc.warnings) process.emitWarning(`${origin}: ${yamlWithoutText(warning)}`, { type: warning.name, code: warning.code });
  const [error] = doc.errors;
  if (error) throw error;
  // As YAML.parse: toJS gets the parse's own options (it reads none of YAML_OPTIONS' settings).
  return doc.toJS({ reviver: undefined, ...YAML_OPTIONS });
}

/** A YAML error's or warning's first line, what and where ("… at line 3, column 14"): the lines after it quote the file. */
function yamlWithoutText(error: YAML.YAMLError): string {
  return (error.message.split('\n')[0] ?? error.name).replace(/:$/, '');
}

/**
 * Why a config file did not parse, and where, without the file's own text: the parsers quote the lines around the
 * fault, and a config holds secrets there (an HR API key in `source.query`), which would end up in CI logs.
 */
function parseErrorWithoutText(error: unknown, text: string): string {
  if (error instanceof YAML.YAMLError) return yamlWithoutText(error);
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
