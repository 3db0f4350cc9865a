/** The listing-time estimate that fails a plan whose budget cannot list the tenant in time (config/guard-retention.ts). */
import { checkListingFitsPlanTime } from '../../config/guard-retention';

const budget = (operationsPerHour: number) => ({ peakon: { operationsPerHour } }) as Parameters<typeof checkListingFitsPlanTime>[0];
const plan = { timeoutMs: 7_200_000, elapsedMs: 0, burst: 5 };

describe('checkListingFitsPlanTime', () => {
  it("lets a listing through whose pages past the burst fit the plan's time, and refuses one a page longer", () => {
    // 10 pages left, 5 past the burst, at 3 an hour: 100 minutes of 120.
    expect(() => checkListingFitsPlanTime(budget(3), { listed: 100, total: 1_100, pageLength: 100 }, plan)).not.toThrow();
    // 7 past the burst at 3 an hour: 140 minutes.
    expect(() => checkListingFitsPlanTime(budget(3), { listed: 100, total: 1_300, pageLength: 100 }, plan)).toThrow(/takes about 2h20m, more than the 2h left/);
  });

  it('counts the time the attempt has already spent and the pages the server actually returns', () => {
    expect(() => checkListingFitsPlanTime(budget(3), { listed: 100, total: 1_100, pageLength: 100 }, { ...plan, elapsedMs: 1_800_000 })).toThrow(/more than the 1h30m left/);
    // The server capped pages at 50: twice the pages.
    expect(() => checkListingFitsPlanTime(budget(3), { listed: 50, total: 1_050, pageLength: 50 }, plan)).toThrow(/20 pages of 50/);
  });

  it('names the budget a whole attempt needs', () => {
    // 1,000 users in pages of 10 is 100 pages; in 2 hours that is 50 an hour.
    expect(() => checkListingFitsPlanTime(budget(3), { listed: 10, total: 1_000, pageLength: 10 }, plan)).toThrow(/at least 50 an hour/);
  });

  it('says nothing about a finished listing or an empty page (the listing itself refuses that one)', () => {
    expect(() => checkListingFitsPlanTime(budget(1), { listed: 1_000, total: 1_000, pageLength: 100 }, plan)).not.toThrow();
    expect(() => checkListingFitsPlanTime(budget(1), { listed: 0, total: 1_000, pageLength: 0 }, plan)).not.toThrow();
  });
});
