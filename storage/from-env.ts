// Temporal external payload storage (claim check) configured from the environment, validated with zod.
import * as path from 'node:path';
import { ExternalStorage } from '@temporalio/common';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { egressAgents } from '../net/egress-proxy';
import { z } from 'zod';
import { LocalStorageDriver } from './local-driver';
import { S3StorageDriver } from './s3-driver';

export const STORAGE_ENVIRONMENT_VARIABLES = [
  'PEAKON_SYNC_PAYLOAD_STORE',
  'PEAKON_SYNC_S3_ENDPOINT',
  'PEAKON_SYNC_S3_FORCE_PATH_STYLE',
  'PEAKON_SYNC_PAYLOAD_THRESHOLD_BYTES',
  'PEAKON_SYNC_RETENTION_DAYS',
] as const;

/**
 * Payloads of at least this many bytes go to the store. Low enough that partition inputs and results (tens of KB each)
 * go there too: inline, 248 partitions made a 50,000-employee parent history of 9.7 MB, near Temporal's 10 MB
 * warning; stored, history keeps a reference of about 100 bytes. An employee's own payloads (about 1 KB) stay inline.
 */
export const DEFAULT_PAYLOAD_THRESHOLD_BYTES = 16 * 1024;
export const DEFAULT_RETENTION_DAYS = 30;

export type PayloadStoreConfig =
  | { kind: 'local'; directory: string; missingHint?: string }
  | { kind: 's3'; bucket: string; prefix: string; endpoint?: string; forcePathStyle: boolean };

export interface StorageConfig {
  /** Undefined: no external storage (every payload stays inline in history). */
  store: PayloadStoreConfig | undefined;
  thresholdBytes: number;
  retentionDays: number;
}

export interface StorageFromEnvOptions {
  /** Used when PEAKON_SYNC_PAYLOAD_STORE is unset; without it, an unset variable means no external storage. */
  defaultLocalDirectory?: string;
  /**
   * With `defaultLocalDirectory`: why a payload may be missing from that folder, in the error a read of one raises
   * (worker/environment.ts: a default under the working folder differs between a worker and a CLI started elsewhere).
   */
  defaultLocalMissingHint?: string;
}

/**
 * A variable set to nothing (`VAR=` in an env file, `${VAR}` of an unset one in a template) is unset: its default, not
 * a value. `Number("")` is 0, which would pass as a value.
 */
export const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const storeSpec = z
  .string()
  .trim()
  .refine((value) => value.startsWith('local:') || value.startsWith('s3://'), {
    message: 'expected local:<folder> (e.g. local:/var/lib/peakon-sync/payloads) or s3://<bucket>[/<prefix>]',
  })
  .refine((value) => !value.startsWith('local:') || value.length > 'local:'.length, {
    message: 'local: needs a folder, e.g. local:/var/lib/peakon-sync/payloads',
  })
  .refine((value) => !value.startsWith('s3://') || /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(value), {
    message: 'expected s3://<bucket>[/<prefix>] with a valid bucket name (lower-case letters, digits, dots, hyphens)',
  });

const booleanSpec = z.preprocess(
  emptyToUndefined,
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
    .transform((value) => value === 'true' || value === '1' || value === 'yes')
    .optional(),
);

const positiveInteger = (fallback: number, what: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .regex(/^\d+$/, { message: `expected a whole number of ${what}` })
      .transform(Number)
      .pipe(z.number().int().positive({ message: `expected a whole number of ${what} above 0` }))
      .default(fallback),
  );

const envSchema = z.object({
  PEAKON_SYNC_PAYLOAD_STORE: z.preprocess(emptyToUndefined, storeSpec.optional()),
  PEAKON_SYNC_S3_ENDPOINT: z.preprocess(
    emptyToUndefined,
    z.url({ protocol: /^https?$/, message: 'expected an http(s) URL, e.g. http://minio:9000' }).optional(),
  ),
  PEAKON_SYNC_S3_FORCE_PATH_STYLE: booleanSpec,
  PEAKON_SYNC_PAYLOAD_THRESHOLD_BYTES: positiveInteger(DEFAULT_PAYLOAD_THRESHOLD_BYTES, 'bytes'),
  PEAKON_SYNC_RETENTION_DAYS: positiveInteger(DEFAULT_RETENTION_DAYS, 'days'),
});

/** Storage variables whose invalid value an error names but does not quote. */
const UNQUOTED_VARIABLES: ReadonlySet<string> = new Set(['PEAKON_SYNC_S3_ENDPOINT']);

/** Reads and validates every storage variable; throws one error listing each invalid variable and why. */
export function storageConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: StorageFromEnvOptions = {},
): StorageConfig {
  const picked = Object.fromEntries(STORAGE_ENVIRONMENT_VARIABLES.map((name) => [name, env[name]]));
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const value = env[name];
      // An endpoint written as `user:password@host` (no scheme) is invalid and holds a secret: named, never quoted.
      const shown = value === undefined ? '' : UNQUOTED_VARIABLES.has(name) ? ' (value not shown: it may hold credentials)' : `=${JSON.stringify(value)}`;
      return `${name}${shown}: ${issue.message}`;
    });
    throw new Error(`invalid payload storage settings:\n  ${problems.join('\n  ')}`);
  }
  const vars = parsed.data;
  const spec = vars.PEAKON_SYNC_PAYLOAD_STORE;
  let store: PayloadStoreConfig | undefined;
  if (spec?.startsWith('local:')) {
    store = { kind: 'local', directory: path.resolve(spec.slice('local:'.length)) };
  } else if (spec?.startsWith('s3://')) {
    const rest = spec.slice('s3://'.length);
    const slash = rest.indexOf('/');
    store = {
      kind: 's3',
      bucket: slash < 0 ? rest : rest.slice(0, slash),
      prefix: slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, ''),
      ...(vars.PEAKON_SYNC_S3_ENDPOINT ? { endpoint: vars.PEAKON_SYNC_S3_ENDPOINT } : {}),
      forcePathStyle: vars.PEAKON_SYNC_S3_FORCE_PATH_STYLE ?? false,
    };
  } else if (options.defaultLocalDirectory !== undefined) {
    store = {
      kind: 'local',
      directory: path.resolve(options.defaultLocalDirectory),
      ...(options.defaultLocalMissingHint ? { missingHint: options.defaultLocalMissingHint } : {}),
    };
  }
  if (store?.kind !== 's3' && (vars.PEAKON_SYNC_S3_ENDPOINT || vars.PEAKON_SYNC_S3_FORCE_PATH_STYLE !== undefined)) {
    throw new Error(
      'invalid payload storage settings:\n  PEAKON_SYNC_S3_ENDPOINT / PEAKON_SYNC_S3_FORCE_PATH_STYLE are set but ' +
        'PEAKON_SYNC_PAYLOAD_STORE is not s3://<bucket>[/<prefix>]',
    );
  }
  return { store, thresholdBytes: vars.PEAKON_SYNC_PAYLOAD_THRESHOLD_BYTES, retentionDays: vars.PEAKON_SYNC_RETENTION_DAYS };
}

/** Builds the driver for a store. For S3, `s3ClientConfig` adds client settings (tests: credentials, region). */
export function createStorageDriver(
  store: PayloadStoreConfig,
  s3ClientConfig?: S3ClientConfig,
): LocalStorageDriver | S3StorageDriver {
  if (store.kind === 'local') return new LocalStorageDriver({ directory: store.directory, ...(store.missingHint ? { missingHint: store.missingHint } : {}) });
  // Through PEAKON_SYNC_PROXY's routing agent, which tunnels each connection unless its host (the regional AWS host,
  // the endpoint's) goes direct.
  const { httpAgent, httpsAgent } = egressAgents();
  const tunnelled = httpAgent && httpsAgent ? { requestHandler: { httpAgent, httpsAgent } } : {};
  return new S3StorageDriver({
    bucket: store.bucket,
    prefix: store.prefix,
    ...(store.endpoint ? { endpoint: store.endpoint } : {}),
    forcePathStyle: store.forcePathStyle,
    clientConfig: { ...tunnelled, ...s3ClientConfig },
  });
}

/**
 * The SDK (1.24) writes each reference with @temporalio/common's protobufjs and the message types of
 * @temporalio/proto's; when npm installs separate copies for the two (it does when another package hoists
 * protobufjs 7), every offload fails with "type must be a Type" and activities retry forever. package.json depends on
 * protobufjs ^8 directly so that one copy is hoisted; this check turns a regression into a clear startup error.
 */
export function assertSingleProtobufjs(): void {
  const from = (pkg: string) =>
    require.resolve('protobufjs/package.json', { paths: [path.dirname(require.resolve(`${pkg}/package.json`))] });
  const common = from('@temporalio/common');
  const proto = from('@temporalio/proto');
  if (common !== proto) {
    throw new Error(
      `external payload storage needs one protobufjs for @temporalio/common and @temporalio/proto, found ${common} and ` +
        `${proto}: keep "protobufjs": "^8" in package.json dependencies (or run npm dedupe)`,
    );
  }
}

/** Wraps one driver in the SDK's ExternalStorage, offloading payloads of at least `thresholdBytes`. */
export function createExternalStorage(
  config: Pick<StorageConfig, 'thresholdBytes'> & { store: PayloadStoreConfig },
  s3ClientConfig?: S3ClientConfig,
): ExternalStorage {
  assertSingleProtobufjs();
  return new ExternalStorage({
    drivers: [createStorageDriver(config.store, s3ClientConfig)],
    payloadSizeThreshold: config.thresholdBytes,
  });
}

/**
 * The ExternalStorage for `dataConverter.externalStorage` of the worker and of every client, or undefined when no
 * store is configured (and no default folder given). Credentials and region of an S3 store come from the standard
 * AWS chain (process environment, profiles, web identity, instance metadata), never from PEAKON_SYNC_* variables.
 */
export function externalStorageFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: StorageFromEnvOptions = {},
): ExternalStorage | undefined {
  const config = storageConfigFromEnv(env, options);
  return config.store ? createExternalStorage({ store: config.store, thresholdBytes: config.thresholdBytes }) : undefined;
}
