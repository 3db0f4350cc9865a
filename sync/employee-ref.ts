import { createHmac } from 'node:crypto';
import { emailMatchKey } from '../mapping/email';

/**
 * The name of an employee wherever Temporal shows it in plain text (workflow IDs, info logs): a keyed hash of the
 * tenant and the matching key, e.g. `e-3f9a0c4d5e6b7a81`. The key is derived from the encryption key, so the hash
 * cannot be reversed by hashing a list of guessed emails. Workers and CLIs refuse to start without an encryption key,
 * so the public constant below is used only under the explicit PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS=1 opt-out
 * (and by callers that pass no key): there the ref is only pseudonymous, anyone can hash a guessed email to it.
 * The client computes the same value to find an employee's workflows (`sync --employee`, `status --employee`).
 */
export function employeeRef(secret: Buffer | undefined, tenant: string, employeeKey: string): string {
  const key = secret ?? Buffer.from('peakon-sync/unkeyed-employee-ref');
  const digest = createHmac('sha256', key).update(`employee-ref\u0000${tenant}\u0000${emailMatchKey(employeeKey)}`).digest('hex');
  return `e-${digest.slice(0, 16)}`;
}

export function employeeRefFor(secret: Buffer | undefined, tenant: string): (employeeKey: string) => string {
  return (employeeKey) => employeeRef(secret, tenant, employeeKey);
}
