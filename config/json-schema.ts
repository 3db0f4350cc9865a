import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConnectorConfigSchema } from './schema';

/** Where the committed schema lives, relative to the repository root. */
export const CONFIG_JSON_SCHEMA_PATH = 'config/connector-config.schema.json';

/**
 * The JSON Schema of the config file as a person writes it (`io: 'input'`: shorthands and defaults allowed), for
 * editor completion and for validating configs outside Node. A test keeps the committed file equal to this.
 */
export function buildConfigJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ConnectorConfigSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'peakon-scim-connector configuration',
  };
}

export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(buildConfigJsonSchema(), null, 2)}\n`;
}

/** `npm run build && node dist/config/json-schema.js` rewrites the committed file (run from the repository root). */
if (require.main === module) {
  const target = path.resolve(process.argv[2] ?? CONFIG_JSON_SCHEMA_PATH);
  writeFileSync(target, renderConfigJsonSchema());
  process.stdout.write(`wrote ${target}\n`);
}
