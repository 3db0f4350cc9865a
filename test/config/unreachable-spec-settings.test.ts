/**
 * A value spec applies trim → case → default (when empty, as the final value: neither map nor date applies to it) →
 * map → date. Two settings that order leaves without effect are refused in a config handed to the CLI now
 * (checkWrittenNow): a map key that is empty (an empty HRIS value never reaches map) and, with date, a default not
 * written YYYY-MM-DD (it is not parsed with date). A schedule's stored config, validated by the schema alone at every
 * run, keeps running as it did before the rules.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseStoredConfig } from '../../activities/config';
import { checkWrittenNow, loadConfigFile, parseConfig } from '../../config/load';
import { PEAKON_USER_SCHEMA } from '../../scim/resources';
import { mapOne, person } from '../mapping/helpers';
import { MINIMAL_CONFIG } from './config-fixtures';

function withMapping(mapping: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { ...MINIMAL_CONFIG, ...extra, mapping: { ...MINIMAL_CONFIG.mapping, ...mapping } };
}
const handedNow = (raw: unknown) => checkWrittenNow(parseConfig(raw), 'config file acme.yaml');

describe('the default is the final value', () => {
  it('is neither mapped nor parsed as a date', () => {
    const report = mapOne(person({ g: '', d: '' }), {
      attributes: { Gender: { field: 'g', default: 'X', map: { X: 'Mapped' }, fallback: 'Fallback' }, Born: { field: 'd', date: 'DD/MM/YYYY', default: '1900-01-01' } },
    });
    expect(report.problems).toEqual([]);
    expect(report.employees[0]?.user[PEAKON_USER_SCHEMA]).toEqual({ Gender: 'X', Born: '1900-01-01' });
  });
});

describe('a map key that is empty', () => {
  const gender = (map: Record<string, unknown>, spec: Record<string, unknown> = {}) => withMapping({ attributes: { Gender: { field: 'g', map, ...spec } } });

  it('is refused at the attribute\'s map, saying to use default for empty values', () => {
    expect(() => handedNow(gender({ '': 'Unknown', M: 'Male' }))).toThrow(
      'config file acme.yaml is invalid:\n  mapping.attributes.Gender.map: the key "" never matches: an empty HRIS value takes default (or is no value) before map is looked at; use default for empty values',
    );
  });

  it('is refused when white space only under trim, accepted without trim (a value of spaces then reaches map)', () => {
    expect(() => handedNow(gender({ '  ': 'Unknown' }))).toThrow('mapping.attributes.Gender.map: the key "  " (empty once trimmed) never matches');
    expect(() => handedNow(gender({ '  ': 'Unknown' }, { trim: false }))).not.toThrow();
    expect(() => handedNow(gender({ '': 'Unknown' }, { trim: false }))).toThrow('mapping.attributes.Gender.map: the key "" never matches');
  });

  it('is refused on a core attribute and on leavers.terminationDate', () => {
    expect(() => handedNow(withMapping({ active: { field: 'status', map: { '': true, Left: false } } }))).toThrow('  mapping.active.map: the key "" never matches');
    expect(() => handedNow(withMapping({}, { leavers: { terminationDate: { field: 'left', map: { '': '2099-01-01' } } } }))).toThrow('  leavers.terminationDate.map: the key "" never matches');
  });

  it('is refused when the config file is loaded (validate, sync, schedule create and update)', () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'unreachable-'));
    try {
      const file = path.join(folder, 'acme.json');
      writeFileSync(file, JSON.stringify(gender({ '': 'Unknown' })));
      expect(() => loadConfigFile(file)).toThrow('mapping.attributes.Gender.map: the key "" never matches');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a schedule\'s stored config with one still validates (every run applies the schema alone)', () => {
    expect(() => parseStoredConfig({ storedConfig: gender({ '': 'Unknown' }) })).not.toThrow();
  });
});

describe('a default that is not YYYY-MM-DD, with date', () => {
  const born = (spec: Record<string, unknown>) => withMapping({ attributes: { Born: { field: 'd', date: 'DD/MM/YYYY', ...spec } } });

  it('is refused at the attribute\'s default, saying the default is written as YYYY-MM-DD (and as what, when it parses)', () => {
    expect(() => handedNow(born({ default: '01/02/1900' }))).toThrow(
      'config file acme.yaml is invalid:\n  mapping.attributes.Born.default: "01/02/1900" is not a date written as YYYY-MM-DD: the default is the final value, not parsed with date (DD/MM/YYYY); write the default as YYYY-MM-DD (1900-02-01)',
    );
    expect(() => handedNow(born({ default: 'unknown' }))).toThrow('mapping.attributes.Born.default: "unknown" is not a date written as YYYY-MM-DD');
    expect(() => handedNow(born({ default: 19000201 }))).toThrow('mapping.attributes.Born.default: 19000201 is not a date written as YYYY-MM-DD');
  });

  it('is refused on leavers.terminationDate', () => {
    expect(() => handedNow(withMapping({}, { leavers: { terminationDate: { field: 'left', date: 'DD.MM.YYYY', default: '31.12.2099' } } }))).toThrow(
      '  leavers.terminationDate.default: "31.12.2099" is not a date written as YYYY-MM-DD',
    );
  });

  it('accepts a YYYY-MM-DD default, an empty one (no value), and any default without date', () => {
    expect(() => handedNow(born({ default: '1900-01-01' }))).not.toThrow();
    expect(() => handedNow(born({ default: '' }))).not.toThrow();
    expect(() => handedNow(born({ default: '  ' }))).not.toThrow();
    expect(() => handedNow(withMapping({ attributes: { Team: { field: 't', default: 'Unassigned' } } }))).not.toThrow();
    // An option read from a date column may default to any option.
    expect(() => handedNow(born({ type: 'option', default: 'Not started' }))).not.toThrow();
    expect(() => handedNow(born({ type: 'date', default: 'Not started' }))).toThrow('mapping.attributes.Born.default: "Not started" is not a date written as YYYY-MM-DD');
  });

  it('a schedule\'s stored config with one still validates', () => {
    expect(() => parseStoredConfig({ storedConfig: born({ default: '01/02/1900' }) })).not.toThrow();
  });
});
