import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TENANT_SCHEMA, loadTenantSchemaFile } from '../../sandbox';

describe('tenant attribute schema files', () => {
  const write = async (name: string, content: string): Promise<string> => {
    const path = join(await mkdtemp(join(tmpdir(), 'tenant-schema-')), name);
    await writeFile(path, content);
    return path;
  };

  it('loads the example JSON file shipped in examples/', async () => {
    const schema = await loadTenantSchemaFile(join(__dirname, '../../examples/tenant-schema.json'));
    expect(schema).toContainEqual({ name: 'Business Unit', type: 'option' });
    expect(schema).toContainEqual({ name: 'Manager', type: 'employee' });
  });

  it('loads a YAML list', async () => {
    const path = await write('schema.yaml', '- name: Date of Birth\n  type: date\n- name: Level\n  type: number\n');
    expect(await loadTenantSchemaFile(path)).toEqual([
      { name: 'Date of Birth', type: 'date' },
      { name: 'Level', type: 'number' },
    ]);
  });

  it('names the file and the bad entry when a type is unknown', async () => {
    const path = await write('bad.json', JSON.stringify([{ name: 'Team', type: 'text' }]));
    await expect(loadTenantSchemaFile(path)).rejects.toThrow(/bad\.json is invalid: .*0\.type/);
  });

  it('rejects two attributes with the same name', async () => {
    const path = await write('dup.json', JSON.stringify({ attributes: [{ name: 'Team', type: 'option' }, { name: 'Team', type: 'date' }] }));
    await expect(loadTenantSchemaFile(path)).rejects.toThrow(/duplicate attribute "Team"/);
  });

  it('reports malformed JSON with the path', async () => {
    const path = await write('broken.json', '{');
    await expect(loadTenantSchemaFile(path)).rejects.toThrow(/broken\.json is not valid JSON/);
  });

  it('has the documented default attributes, including the leaver fields', () => {
    expect(DEFAULT_TENANT_SCHEMA.map((attribute) => attribute.name)).toEqual(['Gender', 'Team', 'Manager', 'Date of Birth', 'Department', 'Tenure', 'Separation date', 'Separation reason']);
  });
});
