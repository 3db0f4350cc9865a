import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_JSON_SCHEMA_PATH, buildConfigJsonSchema, renderConfigJsonSchema } from '../../config/json-schema';

const committedPath = path.join(__dirname, '../..', CONFIG_JSON_SCHEMA_PATH);

describe('config/connector-config.schema.json', () => {
  it('equals the schema generated from the zod config (regenerate: npm run build && node dist/config/json-schema.js)', () => {
    expect(readFileSync(committedPath, 'utf8')).toBe(renderConfigJsonSchema());
  });

  it('describes the top-level keys the pipeline relies on, with tenant, peakon, source and mapping required', () => {
    const schema = buildConfigJsonSchema();
    expect(Object.keys(schema['properties'] ?? {})).toEqual(['tenant', 'peakon', 'source', 'matching', 'mapping', 'sync', 'leavers']);
    expect(schema['required']).toEqual(['tenant', 'peakon', 'source', 'mapping']);
  });
});
