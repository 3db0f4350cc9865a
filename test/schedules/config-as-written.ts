import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { toCsv, type GeneratedEmployee } from '../fixtures/org';
import type { PipelineFixture } from '../harness/pipeline';

const SAMPLE_CONFIG = path.resolve(__dirname, '../../examples/sample-config.yaml');

const ObjectSchema = z.record(z.string(), z.unknown());
export type ConfigAsWritten = z.infer<typeof ObjectSchema>;

/**
 * The sample config as an operator would write it for a pipeline fixture: the fixture's tenant and sandbox, a CSV beside
 * the config file by a relative path, and the fixture's sync settings. Tests delete what an older config would lack.
 */
export function configAsWrittenFor(fixture: PipelineFixture, csvFile = 'hr.csv'): ConfigAsWritten {
  const sample = ObjectSchema.parse(YAML.parse(readFileSync(SAMPLE_CONFIG, 'utf8')));
  const { peakon, sync } = fixture.config;
  return {
    ...sample,
    tenant: fixture.config.tenant,
    peakon: { baseUrl: peakon.baseUrl, token: { env: 'PEAKON_TOKEN' }, timeoutMs: peakon.timeoutMs, operationsPerHour: peakon.operationsPerHour },
    source: { ...ObjectSchema.parse(sample.source), path: csvFile },
    sync: { partitionSize: sync.partitionSize, maxConcurrentEmployees: sync.maxConcurrentEmployees, maxConcurrentPartitions: sync.maxConcurrentPartitions },
  };
}

/** Writes a config file (YAML) into the fixture's folder and returns its path. */
export function writeConfigFile(fixture: PipelineFixture, fileName: string, config: ConfigAsWritten): string {
  const file = path.join(fixture.stateDirectory, fileName);
  writeFileSync(file, YAML.stringify(config));
  return file;
}

/** Writes an HR export beside the fixture's own `hr.csv`. */
export function writeCsvFile(fixture: PipelineFixture, fileName: string, employees: readonly GeneratedEmployee[]): void {
  writeFileSync(path.join(fixture.stateDirectory, fileName), toCsv(employees));
}
