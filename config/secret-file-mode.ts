import { log as activityLog } from '@temporalio/activity';
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeLogLine } from '../worker/log-line';

/** Where a warning goes: a message, and fields for a JSON log line (never a secret's value). */
export type SecretFileWarn = (message: string, meta: Record<string, unknown>) => void;

/**
 * Outside an activity, by default (the CLI, the codec server): stderr, where the CLI's warnings go; stdout may be a
 * command's JSON output (`runs --json`), which a line there would break.
 */
let warnOutsideActivities: SecretFileWarn = (message) => process.stderr.write(`WARNING: ${message}\n`);

/**
 * For the worker, whose every line is JSON on stdout: its key files (read at start-up, before its logger exists) are
 * warned about in one of those lines, which a log shipper parses like the rest, not as plain text on stderr.
 */
export function warnAboutSecretFilesAsLogLines(): void {
  warnOutsideActivities = (message, meta) => writeLogLine('warn', message, meta);
}

/** Inside an activity (a config secret read for a request): the activity's logger, one JSON line like the worker's others. */
function defaultWarn(message: string, meta: Record<string, unknown>): void {
  try {
    activityLog.warn(message, meta);
  } catch {
    warnOutsideActivities(message, meta);
  }
}

/** Real paths already warned about: a config secret is read on every request, the warning must come once per process. */
const warned = new Set<string>();

/**
 * Warns (once per real file per process) when the secret file `file` may be read by its group or by others: they could
 * then use the secret (an encryption key decrypts every HR payload in Temporal history). Only a warning, never a
 * refusal: Kubernetes mounts secret volumes 0644 unless told otherwise, and refusing would stop working deployments.
 * `what` names the variable or the config secret. Nothing on Windows, whose modes say nothing about other users; a
 * file that cannot be stat'ed is left to the read that follows or came before (which names its own error).
 */
export function warnIfReadableByOthers(file: string, what: string, warn: SecretFileWarn = defaultWarn): void {
  if (process.platform === 'win32') return;
  let real: string;
  let mode: number;
  let group: number;
  try {
    real = realpathSync(file);
    if (warned.has(real)) return;
    const stats = statSync(real);
    mode = stats.mode & 0o777;
    group = stats.gid;
  } catch {
    return;
  }
  const open = openTo(mode, group, ownGroups());
  if (open === undefined) return;
  warned.add(real);
  const octal = mode.toString(8).padStart(4, '0');
  // A Kubernetes secret file is a symlink into the volume's ..data folder: name the file whose mode this is too.
  const absolute = path.resolve(file);
  const shown = real === absolute ? absolute : `${absolute} (-> ${real})`;
  warn(
    `${what}: ${shown} has mode ${octal}, open to ${open} (only its owner should read a secret); run \`chmod 600 ${absolute}\` ` +
      '(in Kubernetes, set the secret volume\'s defaultMode: 0400). Used anyway',
    { secret: what, file: absolute, mode: octal },
  );
}

/**
 * Who besides its owner may use a file of this mode (`its group`, `other users of the host`, or both), or undefined
 * when no one. Group access counts only for a group this process is not in: a pod's fsGroup makes Kubernetes add group
 * read to every secret file (0440 for defaultMode 0400), a group only the pod's own containers share; a warning there
 * would ask for a fix that does not exist.
 */
export function openTo(mode: number, fileGroup: number, processGroups: readonly number[]): string | undefined {
  const groupOpen = (mode & 0o070) !== 0 && !processGroups.includes(fileGroup);
  const othersOpen = (mode & 0o007) !== 0;
  if (!groupOpen && !othersOpen) return undefined;
  return [groupOpen ? 'its group' : '', othersOpen ? 'other users of the host' : ''].filter(Boolean).join(' and ');
}

/** This process's groups, primary and supplementary (none known where the platform has no such calls). */
function ownGroups(): number[] {
  const primary = typeof process.getgid === 'function' ? [process.getgid()] : [];
  const supplementary = typeof process.getgroups === 'function' ? process.getgroups() : [];
  return [...primary, ...supplementary];
}
