import { log as activityLog } from '@temporalio/activity';
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** Where a warning goes: a message, and fields for a JSON log line (never a secret's value). */
export type SecretFileWarn = (message: string, meta: Record<string, unknown>) => void;

/**
 * Inside an activity (a config secret read for a request): the activity's logger, one JSON line like the worker's
 * others. Outside (a key read at start-up, the CLI, the codec server): stderr, where the CLI's warnings go; stdout may
 * be a command's JSON output (`runs --json`), which a line there would break.
 */
function defaultWarn(message: string, meta: Record<string, unknown>): void {
  try {
    activityLog.warn(message, meta);
  } catch {
    process.stderr.write(`WARNING: ${message}\n`);
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
  try {
    real = realpathSync(file);
    if (warned.has(real)) return;
    mode = statSync(real).mode & 0o777;
  } catch {
    return;
  }
  if ((mode & 0o077) === 0) return;
  warned.add(real);
  const octal = mode.toString(8).padStart(4, '0');
  // A Kubernetes secret file is a symlink into the volume's ..data folder: name the file whose mode this is too.
  const absolute = path.resolve(file);
  const shown = real === absolute ? absolute : `${absolute} (-> ${real})`;
  const open = [mode & 0o070 ? 'its group' : '', mode & 0o007 ? 'other users of the host' : ''].filter(Boolean).join(' and ');
  warn(
    `${what}: ${shown} has mode ${octal}, open to ${open} (only its owner should read a secret); run \`chmod 600 ${absolute}\` ` +
      '(in Kubernetes, set the secret volume\'s defaultMode: 0400). Used anyway',
    { secret: what, file: absolute, mode: octal },
  );
}
