/**
 * `matchOn: employeeNumber` on an employee reference needs `mapping.employeeNumber`: without it no record has a number
 * to be found by, and every reference would be warned "not in the HRIS read" with the attribute left out. A config
 * handed to the CLI now is refused (checkWrittenNow); a schedule's stored config, validated by the schema alone at every
 * run, keeps running as it did before the rule.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseStoredConfig } from '../../activities/config';
import { checkWrittenNow, loadConfigFile, parseConfig } from '../../config/load';
import { MINIMAL_CONFIG } from './config-fixtures';

function withManager(spec: Record<string, unknown>, mapping: Record<string, unknown> = {}) {
  return { ...MINIMAL_CONFIG, mapping: { ...MINIMAL_CONFIG.mapping, ...mapping, attributes: { 'Direct manager': { employeeRef: 'manager_number', ...spec } } } };
}
const handedNow = (raw: unknown) => checkWrittenNow(parseConfig(raw), 'config file acme.yaml');

describe('matchOn: employeeNumber without mapping.employeeNumber', () => {
  it('is refused in a config handed to the CLI, at the attribute\'s matchOn, saying it needs mapping.employeeNumber', () => {
    expect(() => handedNow(withManager({ matchOn: 'employeeNumber' }))).toThrow(
      'config file acme.yaml is invalid:\n  mapping.attributes.Direct manager.matchOn: employeeNumber needs mapping.employeeNumber',
    );
  });

  it('is refused when the config file is loaded (validate, sync, schedule create and update)', () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'match-key-'));
    try {
      const file = path.join(folder, 'acme.json');
      writeFileSync(file, JSON.stringify(withManager({ matchOn: 'employeeNumber' })));
      expect(() => loadConfigFile(file)).toThrow('mapping.attributes.Direct manager.matchOn: employeeNumber needs mapping.employeeNumber');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('is accepted with mapping.employeeNumber, and matchOn id or email needs none', () => {
    expect(() => handedNow(withManager({ matchOn: 'employeeNumber' }, { employeeNumber: 'number' }))).not.toThrow();
    expect(() => handedNow(withManager({ matchOn: 'id' }))).not.toThrow();
    expect(() => handedNow(withManager({ matchOn: 'email' }))).not.toThrow();
    expect(() => handedNow(withManager({}))).not.toThrow();
  });

  it('a schedule\'s stored config with it still validates (every run applies the schema alone)', () => {
    expect(() => parseStoredConfig({ storedConfig: withManager({ matchOn: 'employeeNumber' }) })).not.toThrow();
  });
});

describe('matchOn: id when mapping.id is a template or a constant', () => {
  const byId = (id: unknown, spec: Record<string, unknown> = {}) => withManager(spec, { id });

  // A manager column may hold the id as the template builds it (ACME-42): references are then compared as written.
  it('is accepted in a config handed to the CLI and in a stored one', () => {
    expect(() => handedNow(byId({ template: 'acme-{id}' }))).not.toThrow();
    expect(() => handedNow(byId({ value: 'x' }))).not.toThrow();
    expect(() => parseStoredConfig({ storedConfig: byId({ template: 'acme-{id}' }) })).not.toThrow();
  });
});
