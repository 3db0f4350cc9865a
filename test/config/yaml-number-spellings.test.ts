import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../../config/load';
import { mapEmployees } from '../../mapping/map';
import { PEAKON_USER_SCHEMA } from '../../scim/resources';
import { person } from '../mapping/helpers';

/**
 * Spellings YAML's core schema reads as numbers that print otherwise: as JS numbers they would reach the config as
 * other text (`1.10` → "1.1", `1e3` → "1000", `0x1F` → "31", a huge integer rounded), so an HR code written so would
 * never match, and a constant would be written re-spelt.
 */
const RESPELT = ['1.10', '007.5', '1e3', '0x1F', '0o17', '+5', '.5', '2.0', '12345678901234567890', '9007199254740993'];

function writeConfig(attributes: string[], extra: string[] = []): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'peakon-config-')), 'connector.yaml');
  const lines = [
    'tenant: acme',
    'peakon: { baseUrl: "https://api.peakon.com/scim/v2", timeoutMs: 20000 }',
    'source: { type: csv, path: hr.csv }',
    'mapping:',
    '  id: id',
    '  email: email',
    '  givenName: first',
    '  familyName: last',
    '  attributes:',
    ...attributes.map((line) => `    ${line}`),
    ...extra,
  ];
  writeFileSync(file, lines.join('\n'));
  return file;
}

describe('a YAML number in a config that would print otherwise stays the text it is written as', () => {
  it('in map keys and map values', () => {
    const file = writeConfig([
      `Grade: { field: grade, map: { ${RESPELT.map((spelling, index) => `${spelling}: "g${index}"`).join(', ')} } }`,
      `Band: { field: band, map: { ${RESPELT.map((spelling, index) => `b${index}: ${spelling}`).join(', ')} } }`,
    ]);
    const config = loadConfigFile(file);
    expect(config.mapping.attributes?.['Grade']?.map).toEqual(Object.fromEntries(RESPELT.map((spelling, index) => [spelling, `g${index}`])));
    expect(config.mapping.attributes?.['Band']?.map).toEqual(Object.fromEntries(RESPELT.map((spelling, index) => [`b${index}`, spelling])));
  });

  it('so an HR value "1.10" matches the map key written 1.10 and is mapped, not rejected as unmapped', () => {
    const config = loadConfigFile(writeConfig(['Level: { field: level, map: { 1.10: Senior, 1.2: Junior } }']));
    const report = mapEmployees([person({ level: '1.10' }), person({ level: '1.2' })], config);
    expect(report.problems).toEqual([]);
    expect(report.employees.map((employee) => employee.user[PEAKON_USER_SCHEMA]?.['Level'])).toEqual(['Senior', 'Junior']);
  });

  it('in value, default and fallback', () => {
    for (const spelling of RESPELT) {
      const config = loadConfigFile(writeConfig([`Code: { value: ${spelling} }`, `Unit: { field: unit, default: ${spelling} }`, `Team: { field: team, map: { A: x }, fallback: ${spelling} }`]));
      expect([config.mapping.attributes?.['Code']?.value, config.mapping.attributes?.['Unit']?.default, config.mapping.attributes?.['Team']?.fallback]).toEqual([spelling, spelling, spelling]);
    }
    // Written into Peakon as written: `value: 2.10` writes "2.10", not "2.1".
    const report = mapEmployees([person()], loadConfigFile(writeConfig(['Code: { value: 2.10 }'])));
    expect(report.employees[0]?.user[PEAKON_USER_SCHEMA]?.['Code']).toBe('2.10');
  });

  it('keeps numbers that print as written numbers: constants, map values and numeric settings', () => {
    const config = loadConfigFile(
      writeConfig(
        ['Code: { value: 20 }', 'Share: { value: 0.2 }', 'Band: { field: band, map: { A: 3, B: -4, C: 0.75 }, fallback: 0 }'],
        ['sync: { partitionSize: 100, maxConcurrentEmployees: 20, clearGuard: { maxCount: 5, maxShare: 0.2 } }', 'leavers: { guard: { maxCount: 7, maxShare: 0.25, timeout: 3600000 } }'],
      ),
    );
    expect(config.mapping.attributes?.['Code']?.value).toBe(20);
    expect(config.mapping.attributes?.['Share']?.value).toBe(0.2);
    expect(config.mapping.attributes?.['Band']).toMatchObject({ map: { A: 3, B: -4, C: 0.75 }, fallback: 0 });
    expect(config.peakon.timeoutMs).toBe(20000);
    expect(config.sync).toMatchObject({ partitionSize: 100, maxConcurrentEmployees: 20, clearGuard: { maxCount: 5, maxShare: 0.2 } });
    expect(config.leavers.guard).toEqual({ maxCount: 7, maxShare: 0.25, timeout: 3600000 });
  });

  it('a numeric setting written so is the number, as YAML has always read it; zeros in front are an error saying what to write', () => {
    const config = loadConfigFile(
      writeConfig(['Team: team'], ['leavers: { guard: { maxShare: 0.50, timeout: 8.64e7 } }', 'sync: { clearGuard: { maxShare: 1.0 }, partitionSize: 1e2, maxConcurrentPartitions: 0x2, maxConcurrentEmployees: +5 }']),
    );
    expect(config.leavers.guard).toMatchObject({ maxShare: 0.5, timeout: 86_400_000 });
    expect(config.sync).toMatchObject({ clearGuard: { maxShare: 1 }, partitionSize: 100, maxConcurrentPartitions: 2, maxConcurrentEmployees: 5 });
    let message = '';
    try {
      loadConfigFile(writeConfig(['Team: team'], ['sync: { partitionSize: 0100.0 }']));
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    expect(message).toContain('sync.partitionSize: Invalid input: expected number, received string (a number written with zeros in front is read as text, as an HR code would be: write 100)');
  });
});

describe('a number explicitly tagged', () => {
  it('is the number the core schema reads (the author asked for it), as a setting and as a constant', () => {
    const config = loadConfigFile(writeConfig(['Code: { value: !!int 010 }', 'Grade: { value: !!float 1.10 }'], ['leavers: { guard: { maxShare: !!float 0.50 } }']));
    expect(config.mapping.attributes?.['Code']?.value).toBe(10);
    expect(config.mapping.attributes?.['Grade']?.value).toBe(1.1);
    expect(config.leavers.guard).toMatchObject({ maxShare: 0.5, timeout: 86_400_000 });
  });

  it('refuses a tagged value that is not a number, saying where, without the value', () => {
    const file = writeConfig(['Code: { value: !!float secret-ish }']);
    expect(() => loadConfigFile(file)).toThrow(/cannot parse config file .*: a value tagged !!float is not a number at line 10, column 20$/);
    expect(() => loadConfigFile(file)).not.toThrow(/secret-ish/);
  });
});
