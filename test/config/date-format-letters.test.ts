/**
 * A date format reads the tokens YYYY, MM, M, DD and D; any other character is literal. A letter that is no token
 * (the H and m of "YYYY-MM-DD HH:mm") must then appear as written in every value, so no date ever matches and every
 * record with a value is rejected: a whole run writes nothing. Such a format is refused in a config handed to the CLI
 * now (validate, sync, schedule create and update: checkWrittenNow), naming the attribute and the format, listing the
 * tokens, and pointing at ISO when the letters look like a time part. A schedule's stored config keeps running.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseStoredConfig } from '../../activities/config';
import { checkWrittenNow, loadConfigFile, parseConfig } from '../../config/load';
import { runValidate } from '../mapping/helpers';
import { MINIMAL_CONFIG } from './config-fixtures';

function withMapping(mapping: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { ...MINIMAL_CONFIG, ...extra, mapping: { ...MINIMAL_CONFIG.mapping, ...mapping } };
}
const handedNow = (raw: unknown) => checkWrittenNow(parseConfig(raw), 'config file acme.yaml');
const tenure = (date: string) => withMapping({ attributes: { Tenure: { field: 'start_date', date } } });

describe('a date format with a letter that is no token', () => {
  it('is refused at the attribute\'s date, naming the format, the letters and the tokens, and suggesting ISO for a time part', () => {
    expect(() => handedNow(tenure('YYYY-MM-DD HH:mm'))).toThrow(
      'config file acme.yaml is invalid:\n  mapping.attributes.Tenure.date: "YYYY-MM-DD HH:mm" has letters that no date token reads (H, m): a date format is made of the tokens YYYY, MM, M, DD, D and separators, any other letter is taken literally and must appear as written in every value (the digits of a time part never match it), so a record whose value does not spell it out is rejected; for a date with a time part (2024-03-01T09:30:00Z, 2024-03-01 09:30) use date: ISO, which reads YYYY-MM-DD and drops the time',
    );
    expect(() => handedNow(tenure('YYYY-MM-DDTHH:mm:ssZ'))).toThrow('mapping.attributes.Tenure.date: "YYYY-MM-DDTHH:mm:ssZ" has letters that no date token reads (T, H, m, s, Z)');
    expect(() => handedNow(tenure('YYYY-MM-DDTHH:mm:ssZ'))).toThrow('use date: ISO');
  });

  it('names a single letter, and says nothing of ISO when the letters are no time part', () => {
    let message = '';
    try {
      handedNow(tenure('DD MMx YYYY'));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('mapping.attributes.Tenure.date: "DD MMx YYYY" has a letter that no date token reads (x)');
    expect(message).not.toContain('ISO');
  });

  it('is refused on a core attribute and on leavers.terminationDate', () => {
    expect(() => handedNow(withMapping({ department: { field: 'dept', date: 'YYYY-MM-DD HH:mm' } }))).toThrow('  mapping.department.date: "YYYY-MM-DD HH:mm" has letters');
    expect(() => handedNow(withMapping({}, { leavers: { terminationDate: { field: 'left', date: 'DD/MM/YYYY hh:mm' } } }))).toThrow(
      '  leavers.terminationDate.date: "DD/MM/YYYY hh:mm" has letters that no date token reads (h, m)',
    );
  });

  it('leaves the formats in use valid: tokens, separators, ISO in any case', () => {
    for (const date of ['ISO', 'iso', 'DD/MM/YYYY', 'D/M/YYYY', 'M/D/YYYY', 'DD.MM.YYYY', 'YYYY-MM-DD', 'YYYYMMDD', 'MM-DD-YYYY']) {
      expect(() => handedNow(tenure(date))).not.toThrow();
    }
  });

  it('is refused by peakon-sync validate (the config file as loaded) before any record is read', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'date-letters-'));
    try {
      const file = path.join(folder, 'acme.json');
      writeFileSync(file, JSON.stringify(tenure('YYYY-MM-DD HH:mm')));
      expect(() => loadConfigFile(file)).toThrow('mapping.attributes.Tenure.date: "YYYY-MM-DD HH:mm" has letters');
      await expect(runValidate(['--config', file, '--no-preflight'])).rejects.toThrow('mapping.attributes.Tenure.date: "YYYY-MM-DD HH:mm" has letters that no date token reads (H, m)');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a schedule\'s stored config with one still validates (every run applies the schema alone)', () => {
    expect(() => parseStoredConfig({ storedConfig: tenure('YYYY-MM-DD HH:mm') })).not.toThrow();
  });
});
