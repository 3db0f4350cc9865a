// Temporal external payload storage (claim check): drivers, configuration from the environment, retention.
export { LocalStorageDriver, LOCAL_DRIVER_NAME, LOCAL_DRIVER_TYPE, type LocalStorageDriverOptions } from './local-driver';
export { S3StorageDriver, S3_DRIVER_NAME, S3_DRIVER_TYPE, type S3StorageDriverOptions } from './s3-driver';
export {
  STORAGE_ENVIRONMENT_VARIABLES,
  DEFAULT_PAYLOAD_THRESHOLD_BYTES,
  DEFAULT_RETENTION_DAYS,
  storageConfigFromEnv,
  createStorageDriver,
  createExternalStorage,
  externalStorageFromEnv,
  assertSingleProtobufjs,
  type PayloadStoreConfig,
  type StorageConfig,
  type StorageFromEnvOptions,
} from './from-env';
export {
  sweepOnce,
  startRetentionSweeper,
  deleteOldFiles,
  DEFAULT_SWEEP_INTERVAL_MS,
  type SweepOptions,
  type SweepResult,
  type RetentionSweeperOptions,
  type RetentionLogger,
} from './retention';
export type { RetainableStorageDriver } from './payload-bytes';
