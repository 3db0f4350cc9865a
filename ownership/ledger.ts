/**
 * The ownership ledger: which Peakon users this connector owns. An `externalId` alone cannot say it — other
 * provisioning systems write theirs too (`OKTA-…`), and a person may edit it — so the connector keeps its own list of
 * the Peakon user ids it created or synced from an HR record, per tenant. Only users in the ledger (or matched to an
 * HR record in the run itself) are ever deactivated or deleted as leavers.
 */
import { z } from 'zod';

export const OwnershipLedgerSchema = z.object({
  version: z.literal(1),
  tenant: z.string(),
  /** Peakon user ids the connector created, or synced from an HR record (matched by email or employee number). */
  owned: z.array(z.string()),
  /** The HR read of the last completed full run: a read that shrinks by more than the guard's share holds every leaver. */
  lastCompleteRead: z.object({ records: z.number().int().nonnegative(), runId: z.string() }).optional(),
});
export type OwnershipLedger = z.infer<typeof OwnershipLedgerSchema>;

export function emptyLedger(tenant: string): OwnershipLedger {
  return { version: 1, tenant, owned: [] };
}

/** What one run changes: users it brought under the connector's ownership, users it deleted, and its HR read. */
export interface OwnershipChange {
  owned: readonly string[];
  deleted: readonly string[];
  completeRead?: { records: number; runId: string };
}

/** Applying the same change twice gives the same ledger (activities may run more than once). */
export function applyOwnershipChange(ledger: OwnershipLedger, change: OwnershipChange): OwnershipLedger {
  const owned = new Set(ledger.owned);
  for (const id of change.owned) owned.add(id);
  for (const id of change.deleted) owned.delete(id);
  return { ...ledger, owned: [...owned].sort(), ...(change.completeRead ? { lastCompleteRead: change.completeRead } : {}) };
}
