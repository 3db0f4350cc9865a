import { formatDuration } from './duration';
import { ConfigError } from './load';
import { leaversSettings, unconfirmedDeletion, type ConnectorConfig } from './schema';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * The longest `leavers.guard.timeout` a worker accepts when its payload store keeps data `retentionDays` days: half of
 * that. A run whose leaver writes the guard holds writes them, once approved, from the plan pages it stored when it
 * began (and replays from its stored plan after any worker restart meanwhile); the retention sweep deletes payloads
 * older than the retention, wait or no wait. Half leaves as long again for the phases before the wait and after it.
 */
export function longestGuardTimeoutMs(retentionDays: number): number {
  return (retentionDays * DAY_MS) / 2;
}

/**
 * Refuses `leavers.action: delete` without `allowDelete` where it would be acted on, not only where the config is parsed:
 * a run started straight through a Temporal client skips the CLI's validation.
 */
export function checkDeletionConfirmed(config: Pick<ConnectorConfig, 'leavers'>): void {
  const unconfirmed = unconfirmedDeletion(leaversSettings(config));
  if (unconfirmed) throw new ConfigError(`leavers.allowDelete: ${unconfirmed}`);
}

/**
 * Refuses a config whose guard may wait so long that the retention sweep deletes the run's stored plan meanwhile: a
 * ConfigError naming the field and the worker variable, so the run fails before it reads or writes anything (the
 * schema's own maximum cannot know the worker's retention). Leavers that are only counted (`action: off`) never wait.
 */
export function checkGuardTimeoutFitsRetention(config: Pick<ConnectorConfig, 'leavers'>, retentionDays: number): void {
  const leavers = leaversSettings(config);
  if (leavers.action === 'off') return;
  const longest = longestGuardTimeoutMs(retentionDays);
  if (leavers.guard.timeout <= longest) return;
  throw new ConfigError(
    `leavers.guard.timeout: ${formatDuration(leavers.guard.timeout)} is not well below this worker's payload retention (PEAKON_SYNC_RETENTION_DAYS=${retentionDays}): ` +
      `the retention sweep could delete a run's stored plan while it waits for approval, and its held leaver writes could not be applied; ` +
      `give at most ${formatDuration(longest)} (half the retention), or raise PEAKON_SYNC_RETENTION_DAYS on the workers`,
  );
}

/**
 * Refuses a run whose writes, paced at `peakon.operationsPerHour`, and the guard's longest wait would outlast half the
 * worker's payload retention: the run reads the plan it stored at its start until it ends, and the retention sweep
 * goes by age alone, so a run longer than the retention would fail at its next step that needs its plan (and a worker
 * restarted then could no longer replay it). Checked once the plan knows its writes, before any is sent.
 */
export function checkWritesFitRetention(config: Pick<ConnectorConfig, 'leavers' | 'peakon'>, writes: number, retentionDays: number): void {
  const writingMs = (writes / config.peakon.operationsPerHour) * HOUR_MS;
  const leavers = leaversSettings(config);
  const waitMs = leavers.action === 'off' ? 0 : leavers.guard.timeout;
  const longest = longestGuardTimeoutMs(retentionDays);
  if (writingMs + waitMs <= longest) return;
  const wait = waitMs > 0 ? `, and leavers.guard.timeout may add ${formatDuration(waitMs)}` : '';
  throw new ConfigError(
    `peakon.operationsPerHour: this run's ${writes} writes at ${config.peakon.operationsPerHour} an hour take about ${formatDuration(Math.ceil(writingMs / 60_000) * 60_000)}${wait}, more than half this worker's payload retention (PEAKON_SYNC_RETENTION_DAYS=${retentionDays}, at most ${formatDuration(longest)}): ` +
      `the retention sweep could delete the run's stored plan before it ends; nothing was written. Raise PEAKON_SYNC_RETENTION_DAYS on the workers, or the budget`,
  );
}

/**
 * Refuses a budget too small to list the tenant inside the plan's time: the listing's pages past the pacer's burst,
 * spaced by the tenant's budget, against the plan attempt's whole start-to-close timeout. Every attempt would time out
 * and start the listing again, holding a plan slot other tenants share for each; the estimate is a lower bound (the HR
 * read before it, 429 waits and other runs of the tenant only add to it), so a run it fails could not have listed the
 * tenant at this budget. An attempt that used much of its time before the listing (a slow HR read) is not failed
 * here: its timeout ends it, and a retry may read faster.
 */
export function checkListingFitsPlanTime(config: Pick<ConnectorConfig, 'peakon'>, listing: { listed: number; total: number; pageLength: number }, plan: { timeoutMs: number; burst: number }): void {
  if (listing.pageLength <= 0 || listing.listed >= listing.total) return;
  const pages = Math.ceil(listing.total / listing.pageLength);
  const pacedPages = Math.max(0, pages - plan.burst);
  const listingMs = pacedPages * (HOUR_MS / config.peakon.operationsPerHour);
  if (listingMs <= plan.timeoutMs) return;
  // The budget at which the listing alone fills the timeout: necessary, not enough (the HR read comes first).
  const needed = Math.ceil((pacedPages * HOUR_MS) / plan.timeoutMs);
  throw new ConfigError(
    `peakon.operationsPerHour: listing the tenant's ${listing.total} Peakon users (${pages} pages of ${listing.pageLength}) at ${config.peakon.operationsPerHour} requests an hour takes about ${formatDuration(Math.ceil(listingMs / 60_000) * 60_000)}, ` +
      `more than the plan's time (its start-to-close timeout, ${formatDuration(plan.timeoutMs)}): every attempt would time out and list again; nothing was written. ` +
      `Give the tenant a budget of at least ${needed} an hour (more, for the time the HR read takes), or use sync.discovery: filter, which looks each employee up in its own step`,
  );
}
