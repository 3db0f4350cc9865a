import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { parseStoredConfig, StoredConfigSchema, type StoredConfig } from '../../activities/config';
import { checkWrittenNow, ConfigError, readConfigAsWritten } from '../../config/load';
import type { ConnectorConfig } from '../../config/schema';
import type { RunTuning } from '../../sync/settings';
import { describeUrl } from '../../hris/http';
import { PARSED_COPY_WORKFLOW_TYPE, SCHEDULED_SYNC_WORKFLOW_TYPE } from './options';

/**
 * The config of a sync schedule: `stored` is what the schedule keeps (the config as the operator wrote it, and its
 * file), `parsed` is what it validates to with this version (for the tenant, which names the schedule and its runs).
 */
export interface ScheduleConfig {
  stored: StoredConfig;
  parsed: ConnectorConfig;
}

/** Reads a config file for `schedule create` or `update`, validating it before anything is stored. */
export function scheduleConfigFromFile(configPath: string): ScheduleConfig {
  const { raw, file } = readConfigAsWritten(configPath);
  const config = scheduleConfigFrom(raw, file, `config file ${file}`);
  checkWrittenNow(config.parsed, `config file ${file}`);
  return config;
}

/**
 * What is validated is what the schedule will hold: the config after a JSON round trip, the form a workflow input
 * takes (a YAML value JSON cannot carry would otherwise validate here and differ at run time).
 */
export function scheduleConfigFrom(raw: unknown, configFile?: string, origin?: string): ScheduleConfig {
  const stored: StoredConfig = { storedConfig: JSON.parse(JSON.stringify(raw) ?? 'null') as unknown, ...(configFile !== undefined ? { configFile } : {}) };
  return { stored, parsed: parseStoredConfig(stored, origin) };
}

/** Test-only run tuning a schedule may carry (schedules made by the CLI have none); kept as it is across updates. */
const RunTuningSchema: z.ZodType<Partial<RunTuning>> = z.looseObject({
  scimRetry: z.object({ initialIntervalMs: z.number(), maximumIntervalMs: z.number(), maximumAttempts: z.number() }).optional(),
  scimActivityTimeoutMs: z.number().optional(),
  planTimeoutMs: z.number().optional(),
  planHeartbeatTimeoutMs: z.number().optional(),
  lockLeaseMs: z.number().optional(),
  awaitingApprovalLeaseMs: z.number().optional(),
});

const AsWrittenInputSchema = StoredConfigSchema.extend({ tuning: RunTuningSchema.optional() });
const ParsedCopyInputSchema = z.object({ config: z.record(z.string(), z.unknown()), tuning: RunTuningSchema.optional() });

/**
 * A sync schedule's workflow input: the config as written (this version), or the parsed copy that schedules made by
 * earlier versions hold: defaults of that version applied, settings added since missing, never validated again.
 */
export type ScheduleInput =
  | { form: 'as-written'; stored: StoredConfig; tuning?: Partial<RunTuning> }
  | { form: 'parsed-copy'; config: Record<string, unknown>; tuning?: Partial<RunTuning> };

/** Reads a schedule's action back; undefined when it is not a sync of this connector (or not one this version can read). */
export function scheduleInputOf(action: { workflowType: string; args?: readonly unknown[] | undefined }): ScheduleInput | undefined {
  const [input] = action.args ?? [];
  if (action.workflowType === SCHEDULED_SYNC_WORKFLOW_TYPE) {
    const parsed = AsWrittenInputSchema.safeParse(input);
    if (!parsed.success) return undefined;
    const { tuning, ...stored } = parsed.data;
    return { form: 'as-written', stored, ...(tuning ? { tuning } : {}) };
  }
  if (action.workflowType === PARSED_COPY_WORKFLOW_TYPE) {
    const parsed = ParsedCopyInputSchema.safeParse(input);
    if (!parsed.success) return undefined;
    return { form: 'parsed-copy', config: parsed.data.config, ...(parsed.data.tuning ? { tuning: parsed.data.tuning } : {}) };
  }
  return undefined;
}

/** The schedule's config as a run of it would see it today; a parsed copy is checked as if it had been written so. */
export function storedAsWritten(input: ScheduleInput): StoredConfig {
  return input.form === 'as-written' ? input.stored : { storedConfig: input.config };
}

export type ValidatedConfig = { valid: true; config: ConnectorConfig } | { valid: false; problem: string };

/** Validates what a schedule stores with this version's schema, as the next run will (`problem` names the fields). */
export function validateStored(stored: StoredConfig): ValidatedConfig {
  try {
    return { valid: true, config: parseStoredConfig(stored) };
  } catch (error) {
    if (error instanceof ConfigError) return { valid: false, problem: error.message };
    throw error;
  }
}

/** What `schedule describe` says about a schedule's config. */
export interface StoredConfigStatus {
  form: ScheduleInput['form'];
  configFile?: string;
  tenant?: string;
  /** `csv:/srv/hr/export.csv`, `rest:https://…`, `bamboohr:acme`: as the sync's own messages name a source. */
  source?: string;
  /** Whether it validates with this CLI's schema and defaults; a run checks again with its worker's. */
  validates: boolean;
  /** Why not: each field that fails, as the run's failure would name it. */
  problem?: string;
}

/** Enough of a config that no longer validates to say which tenant and source it was for. */
const ConfigOutlineSchema = z.object({
  tenant: z.string().optional().catch(undefined),
  source: z
    .object({ type: z.string(), path: z.string().optional(), url: z.string().optional(), companyDomain: z.string().optional() })
    .optional()
    .catch(undefined),
});

/** `csv:<path>`, `rest:<url>` (as hris/http.ts describeUrl prints it: no user info, query values as `…`), `bamboohr:<company>`. */
function describeSource(source: { type: string; path?: string | undefined; url?: string | undefined; companyDomain?: string | undefined }): string {
  const where = source.path ?? (source.url !== undefined ? describeUrl(source.url) : undefined) ?? source.companyDomain;
  return where === undefined ? source.type : `${source.type}:${where}`;
}

export function storedConfigStatus(input: ScheduleInput): StoredConfigStatus {
  const stored = storedAsWritten(input);
  const checked = validateStored(stored);
  const outline = checked.valid ? checked.config : ConfigOutlineSchema.safeParse(stored.storedConfig).data;
  return {
    form: input.form,
    ...(stored.configFile !== undefined ? { configFile: stored.configFile } : {}),
    ...(outline?.tenant !== undefined ? { tenant: outline.tenant } : {}),
    ...(outline?.source ? { source: describeSource(outline.source) } : {}),
    validates: checked.valid,
    ...(checked.valid ? {} : { problem: checked.problem }),
  };
}

/** Whether two stored configs are the same config from the same file. */
export function sameStoredConfig(left: StoredConfig, right: StoredConfig): boolean {
  return left.configFile === right.configFile && isDeepStrictEqual(left.storedConfig, right.storedConfig);
}
