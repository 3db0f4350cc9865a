/**
 * What `schedule update` prints about a new config: each setting whose effective value changed (defaults included, so
 * a setting that only moved from "default" to the same explicit value is not a change), as `path: old → new`.
 */
export function configChanges(before: unknown, after: unknown, limit = 20): string[] {
  const left = settingsOf(before);
  const right = settingsOf(after);
  const lines = [...new Set([...left.keys(), ...right.keys()])]
    .filter((setting) => left.get(setting) !== right.get(setting))
    .map((setting) => `${setting}: ${left.get(setting) ?? '(not set)'} → ${right.get(setting) ?? '(not set)'}`);
  return lines.length > limit ? [...lines.slice(0, limit), `… and ${lines.length - limit} more`] : lines;
}

/** Every leaf of a config by its dotted path, its value as JSON (the config holds secret references, never secrets). */
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
