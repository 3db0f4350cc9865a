import { buildConfigJsonSchema } from './json-schema';

type JsonSchema = { properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; allOf?: JsonSchema[]; additionalProperties?: JsonSchema | boolean };

/** The closest name to `key` among `candidates` when it looks like a typo of it (an edit distance of at most a third). */
export function closestName(key: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance <= Math.ceil(name.length / 3) && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length] ?? 0;
}

let schema: JsonSchema | undefined;

/** The keys the config file allows at `path` (every branch of a union), read from its JSON Schema. */
export function knownConfigKeysAt(path: readonly PropertyKey[]): string[] {
  schema ??= buildConfigJsonSchema() as JsonSchema;
  let nodes: JsonSchema[] = [schema];
  const expand = (node: JsonSchema): JsonSchema[] => [node, ...[...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])].flatMap(expand)];
  for (const segment of path) {
    nodes = nodes.flatMap(expand).flatMap((node) => {
      if (typeof segment === 'number') return node.items ? [node.items] : [];
      const property = node.properties?.[String(segment)];
      if (property) return [property];
      return typeof node.additionalProperties === 'object' ? [node.additionalProperties] : [];
    });
  }
  return [...new Set(nodes.flatMap(expand).flatMap((node) => Object.keys(node.properties ?? {})))];
}
