import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Where a secret comes from. Secrets are never written in the config file itself, so they never reach workflow history. */
export const SecretRefSchema = z.union([
  z.strictObject({ env: z.string().min(1).describe('name of an environment variable of the worker') }),
  z.strictObject({ file: z.string().min(1).describe('path of a file the worker can read (e.g. a mounted secret)') }),
]);
export type SecretRef = z.infer<typeof SecretRefSchema>;

/** Turns a reference into the secret's value. Injected so tests and workers can supply secrets without touching env. */
export type SecretResolver = (ref: SecretRef) => string;

export class SecretError extends Error {
  override readonly name = 'SecretError';
}

/** Names where the secret was looked for, never its value. */
export function describeSecretRef(ref: SecretRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `file ${ref.file}`;
}

/** Reads a secret from the environment or a file; a trailing newline (as `echo` leaves it in mounted files) is dropped. */
export const resolveSecret: SecretResolver = (ref) => {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined || value === '') throw new SecretError(`secret ${describeSecretRef(ref)} is not set`);
    return value;
  }
  let text: string;
  try {
    text = readFileSync(ref.file, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new SecretError(`secret ${describeSecretRef(ref)} cannot be read (${code})`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new SecretError(`secret ${describeSecretRef(ref)} is empty`);
  return value;
};
