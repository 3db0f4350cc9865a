/** The listing-time estimate that fails a plan whose budget cannot list the tenant in time (config/guard-retention.ts). */
import { checkListingFitsPlanTime } from '../../config/guard-retention';

const budget = (operationsPerHour: number) => ({ peakon: { operationsPerHour } }) as Parameters<typeof checkListingFitsPlanTime>[0];
const plan = { timeoutMs: 7_200_000, burst: 5 };

describe('checkListingFitsPlanTime', () => {
  it("lets a listing through whose pages past the burst fit the plan's time, and refuses one a page longer", () => {
    // 11 pages, 6 past the burst, at 3 an hour: 120 minutes of 120.
    expect(() => checkListingFitsPlanTime(budget(3), { listed: 100, total: 1_100, pageLength: 100 }, plan)).not.toThrow();
    // 12 pages, 7 past the burst: 140 minutes.
    expect(() => checkListingFitsPlanTime(budget(3), { listed: 100, total: 1_200, pageLength: 100 }, plan)).toThrow(/takes about 2h20m, more than the plan's time \(its start-to-close timeout, 2h\)/);
  });

  it('counts the pages the server actually returns', () => {
    // The server capped pages at 50: twice the pages.
    expect(() => checkListingFitsPlanTime(budget(3), { listed: 50, total: 600, pageLength: 50 }, plan)).toThrow(/600 Peakon users \(12 pages of 50\)/);
    expect(() => checkListingFitsPlanTime(budget(3), { listed: 100, total: 600, pageLength: 100 }, plan)).not.toThrow();
  });

  it('names the budget at which the listing fits, and the budget it names is more than the one refused', () => {
    // 1,000 users in pages of 10 is 100 pages, 95 past the burst; in 2 hours that is 47.5 an hour.
    expect(() => checkListingFitsPlanTime(budget(3), { listed: 10, total: 1_000, pageLength: 10 }, plan)).toThrow(/at least 48 an hour/);
    expect(() => checkListingFitsPlanTime(budget(48), { listed: 10, total: 1_000, pageLength: 10 }, plan)).not.toThrow();
    expect(() => checkListingFitsPlanTime(budget(47), { listed: 10, total: 1_000, pageLength: 10 }, plan)).toThrow(/at least 48 an hour/);
  });

  it('says nothing about a finished listing or an empty page (the listing itself refuses that one)', () => {
    expect(() => checkListingFitsPlanTime(budget(1), { listed: 1_000, total: 1_000, pageLength: 100 }, plan)).not.toThrow();
    expect(() => checkListingFitsPlanTime(budget(1), { listed: 0, total: 1_000, pageLength: 0 }, plan)).not.toThrow();
  });
});
