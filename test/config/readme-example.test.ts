import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parseConfig } from '../../config/load';

/** The README's configuration examples are what people copy: they must stay valid as the schema evolves. */
const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
const yamlBlocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => YAML.parse(match[1] ?? '') as Record<string, unknown>);

describe('README configuration examples', () => {
  it('has a full config example and two source examples', () => {
    expect(yamlBlocks.length).toBeGreaterThanOrEqual(3);
  });

  it('the full example parses as a connector config', () => {
    const config = parseConfig(yamlBlocks[0], 'README example');
    expect(config.mapping.attributes).toHaveProperty('Manager');
  });

  it('every other block is a fragment that parses inside the full example (sources, leavers, …)', () => {
    const fragments = yamlBlocks.slice(1);
    expect(fragments.map((block) => Object.keys(block)).flat()).toEqual(expect.arrayContaining(['source', 'leavers']));
    for (const [index, fragment] of fragments.entries()) {
      expect(() => parseConfig({ ...yamlBlocks[0], ...fragment }, `README yaml block ${index + 1}`)).not.toThrow();
    }
  });

  it.each(['rest', 'bamboohr'])('the %s source example parses inside the full example', (type) => {
    const source = yamlBlocks.slice(1).find((block) => (block.source as { type?: string } | undefined)?.type === type);
    expect(source).toBeDefined();
    expect(parseConfig({ ...yamlBlocks[0], ...source }, `README ${type} example`).source.type).toBe(type);
  });
});
