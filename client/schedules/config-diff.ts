import { describeUrl } from '../../hris/http';
/**
 * What `schedule update` prints about a new config: each setting whose effective value changed (defaults included, so
 * a setting that only moved from "default" to the same explicit value is not a change), as `path: old → new`.
 * Values under {@link HIDDEN_SECTIONS} are never printed, only whether the setting was added, changed or removed.
 */
export function configChanges(before: unknown, after: unknown, limit = 20): string[] {
  const left = settingsOf(before);
  const right = settingsOf(after);
  const lines = [...new Set([...left.keys(), ...right.keys()])]
    .filter((setting) => left.get(setting) !== right.get(setting))
    .map((setting) => describeChange(setting, left.get(setting), right.get(setting)));
  return lines.length > limit ? [...lines.slice(0, limit), `… and ${lines.length - limit} more`] : lines;
}

/**
 * Free-form maps of the REST source whose values are sent as they are written: "no secrets, use auth" is documented,
 * and credential-looking header names are refused, but a token may still sit under another name, so the terminal and
 * CI logs of `schedule update` never see these values.
 */
const HIDDEN_SECTIONS = ['source.headers', 'source.query'];

function isHidden(setting: string): boolean {
  return HIDDEN_SECTIONS.some((section) => setting === section || setting.startsWith(`${section}.`));
}

/** Source URLs: printed as messages quote them (hris/http.ts describeUrl: no user info, query values as `…`), never as written. */
const URL_SETTINGS = new Set(['source.url', 'source.baseUrl']);

function describeUrlChange(setting: string, old: string | undefined, next: string | undefined): string {
  const readable = (value: string | undefined) => (value === undefined ? '(not set)' : JSON.stringify(describeUrl(String(JSON.parse(value)))));
  const [before, after] = [readable(old), readable(next)];
  // The change is in what is not shown (a query value, user info): say so rather than print two equal lines.
  return before === after ? `${setting}: ${after} (changed where values are not shown)` : `${setting}: ${before} → ${after}`;
}

function describeChange(setting: string, old: string | undefined, next: string | undefined): string {
  if (URL_SETTINGS.has(setting)) return describeUrlChange(setting, old, next);
  if (!isHidden(setting)) return `${setting}: ${old ?? '(not set)'} → ${next ?? '(not set)'}`;
  const what = old === undefined ? 'added' : next === undefined ? 'removed' : 'changed';
  return `${setting}: ${what} (value not shown)`;
}

/** Every leaf of a config by its dotted path, its value as JSON (secrets are references; free-form maps are hidden above). */
function settingsOf(value: unknown, at = '', into = new Map<string, string>()): Map<string, string> {
  const entries = value !== null && typeof value === 'object' ? Object.entries(value) : [];
  if (entries.length > 0) {
    for (const [key, child] of entries) settingsOf(child, at ? `${at}.${key}` : key, into);
  } else if (value !== undefined && !isEmptySection(value)) {
    into.set(at || '(root)', JSON.stringify(value));
  }
  return into;
}

/** `sync: {}` sets nothing, so it is no change from no `sync` at all; an empty list (`include: []`) is a value. */
function isEmptySection(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
