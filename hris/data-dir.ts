import path from 'node:path';
import { ConfigError } from '../config/load';
import { DEFAULT_SECRET_DIR, SECRET_DIR_VARIABLE } from '../config/secret';
import { isInside, realFileInside, realpathOrSelf, workerOwnFiles, workerOwnFileVariable } from '../config/worker-own';
import { storageConfigFromEnv } from '../storage/from-env';
import { defaultPayloadDirectory, reportDirectoryOf, WorkerEnvironmentSchema } from '../worker/environment';
import { SourceReadError } from './source';

/** Folders a CSV source may read from (`:`-separated); default `.`, the worker's working directory. */
export const DATA_DIR_VARIABLE = 'PEAKON_SYNC_DATA_DIR';

/** The data directories, absolute, from the worker's environment. */
export function dataDirectories(env: NodeJS.ProcessEnv = process.env): string[] {
  const spec = WorkerEnvironmentSchema.shape.PEAKON_SYNC_DATA_DIR.parse(env[DATA_DIR_VARIABLE] || undefined);
  return spec.split(path.delimiter).filter((directory) => directory.trim() !== '').map((directory) => path.resolve(directory.trim()));
}

/**
 * The worker's own folders, each with the variable that places it: run reports, the local payload store (with the
 * ownership ledger) and the secret directory. By default the first two lie in `.peakon-sync/state`, inside the default
 * data directory; report files list every employee of every tenant in plain text, so a CSV "export" read from there
 * would hand another tenant's people to whoever wrote the config, one quoted value per mapping problem.
 */
function workerOwnDirectories(env: NodeJS.ProcessEnv): Array<[string, string]> {
  const state = WorkerEnvironmentSchema.shape.PEAKON_SYNC_STATE_DIR.parse(env.PEAKON_SYNC_STATE_DIR || undefined);
  const own: Array<[string, string]> = [
    [reportDirectoryOf({ PEAKON_SYNC_STATE_DIR: state, PEAKON_SYNC_REPORT_DIR: env.PEAKON_SYNC_REPORT_DIR || undefined }), env.PEAKON_SYNC_REPORT_DIR ? 'PEAKON_SYNC_REPORT_DIR' : 'PEAKON_SYNC_STATE_DIR'],
    [env[SECRET_DIR_VARIABLE]?.trim() || DEFAULT_SECRET_DIR, SECRET_DIR_VARIABLE],
  ];
  const { store } = storageConfigFromEnv(env, { defaultLocalDirectory: defaultPayloadDirectory(env) });
  if (store?.kind === 'local') own.push([store.directory, env.PEAKON_SYNC_PAYLOAD_STORE ? 'PEAKON_SYNC_PAYLOAD_STORE' : 'PEAKON_SYNC_STATE_DIR']);
  return own.map(([directory, variable]) => [path.resolve(directory), variable]);
}

/**
 * The real path of the CSV export a config names (`source.path`), refused unless it lies inside one of the worker's
 * data directories (symlinks and `..` resolved, as for `file:` secrets) and is none of the worker's own files or folders.
 * The config comes from whoever starts a sync, and mapping problems quote values from the file, so without this a
 * config could read any file the worker can (a TLS key, the encryption key) back out through the run's report.
 * Refusals are ConfigErrors (not retried) naming the field and the worker variable to change, never file content.
 */
export function csvFileToRead(file: string, env: NodeJS.ProcessEnv = process.env): string {
  const directories = dataDirectories(env);
  const confined = realFileInside(file, directories);
  if (!('realFile' in confined)) {
    switch (confined.refused) {
      case 'outside':
        throw new ConfigError(`source.path: ${file} is outside the worker's data directories (${directories.join(', ')}); put the HR export there or set ${DATA_DIR_VARIABLE} on the worker`);
      case 'directory-unusable':
        throw new ConfigError(`source.path: the worker's data directory ${confined.directory} cannot be used (${confined.code}); set ${DATA_DIR_VARIABLE} on the worker`);
      case 'unreadable':
        // Inside a data directory but missing (an export not written yet): the read fails as any unreadable file does.
        throw new SourceReadError(`csv:${file} cannot be read: ${confined.code}`);
    }
  }
  const { realFile } = confined;
  const variable = workerOwnFileVariable(file, workerOwnFiles(env), realFile);
  if (variable !== undefined) throw new ConfigError(`source.path: ${file} is the worker's own (named by ${variable}), never HR data`);
  const lexical = path.resolve(file);
  for (const [directory, owner] of workerOwnDirectories(env)) {
    if (isInside(directory, lexical) || isInside(realpathOrSelf(directory), realFile)) {
      throw new ConfigError(`source.path: ${file} is inside the worker's own folder ${directory} (${owner}), never HR data`);
    }
  }
  return realFile;
}
