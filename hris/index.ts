import type { ConnectorConfig } from '../config/schema';
import { resolveSecret as resolveFromEnvOrFile, type SecretResolver } from '../config/secret';
import { fieldsUsedByConfig } from '../mapping/fields-used';
import type { SourceConfig } from './config';
import { createBambooHrSource } from './bamboohr';
import { createCsvSource } from './csv';
import { realSleep } from './http';
import { createRestSource } from './rest';
import type { HrisSource } from './source';

export interface SourceDeps {
  /**
   * Reads `{ env }` / `{ file }` secrets for one request URL; defaults to the worker's environment, file system and
   * secret policy (config/secret.ts: a secret only goes to the hosts PEAKON_SYNC_SECRET_HOSTS binds it to).
   */
  resolveSecret?: SecretResolver;
  /** HRIS fields the config reads; sources that must name their fields (BambooHR custom reports) request these. */
  fields?: string[];
  /** Waits between retries; injected by tests so a Retry-After of minutes takes no time. */
  sleep?: (ms: number) => Promise<void>;
}

/** The one place that turns a source config into an adapter. */
export function createSource(config: SourceConfig, deps: SourceDeps = {}): HrisSource {
  const resolveSecret = deps.resolveSecret ?? resolveFromEnvOrFile;
  const sleep = deps.sleep ?? realSleep;
  switch (config.type) {
    case 'csv':
      return createCsvSource(config);
    case 'rest':
      return createRestSource(config, { resolveSecret, sleep });
    case 'bamboohr':
      return createBambooHrSource(config, { resolveSecret, sleep, fields: deps.fields ?? [] });
  }
}

/** The source of a whole connector config, told which fields the config reads (the leavers' termination date too). */
export function createSourceForConfig(config: ConnectorConfig, deps: Omit<SourceDeps, 'fields'> = {}): HrisSource {
  return createSource(config.source, { ...deps, fields: fieldsUsedByConfig(config) });
}
