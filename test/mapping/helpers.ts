import { Command } from 'commander';
import { registerValidateCommand } from '../../client/commands/validate';
import { parseConfig } from '../../config/load';
import type { ConnectorConfig } from '../../config/schema';
import type { HrisRecord } from '../../hris/source';
import { mapEmployees, type MappingReport } from '../../mapping/map';

/** A CSV-sourced config whose mapping is the minimal one plus `mapping` overrides (raw, as in a config file). */
export function configWith(mapping: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): ConnectorConfig {
  return parseConfig({
    tenant: 'test',
    peakon: { baseUrl: 'http://127.0.0.1:1/scim/v2' },
    source: { type: 'csv', path: 'unused.csv' },
    mapping: { id: 'id', email: 'email', givenName: 'first', familyName: 'last', ...mapping },
    ...extra,
  });
}

let nextId = 1;
/** A valid HRIS record with a unique id and email, plus overrides. */
export function person(overrides: HrisRecord = {}): HrisRecord {
  const id = String(nextId++);
  return { id, email: `person${id}@example.com`, first: 'Ada', last: 'Lovelace', ...overrides };
}

export function mapOne(record: HrisRecord, mapping: Record<string, unknown> = {}): MappingReport {
  return mapEmployees([record], configWith(mapping));
}

/** Runs `peakon-sync validate <args>` in process, capturing stdout and the exit code it set. */
export async function runValidate(args: string[]): Promise<{ output: string; exitCode: number | undefined }> {
  const program = new Command('peakon-sync').exitOverride();
  registerValidateCommand(program);
  const written: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  const previousExitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'peakon-sync', 'validate', ...args]);
    return { output: written.join(''), exitCode: typeof process.exitCode === 'number' ? process.exitCode : undefined };
  } finally {
    write.mockRestore();
    process.exitCode = previousExitCode;
  }
}
