import { LeaversSchema } from '../../config/schema';
import { guardVerdict, unidentifiedVerdict, type LeaverContext } from '../../sync/leavers';

/** The guard's thresholds at their boundaries (sync/leavers.ts): each one alone holds, and nothing holds at the limit. */
describe('the leaver guard verdict', () => {
  const context = (overrides: Partial<LeaverContext> = {}, guard: { maxCount?: number; maxShare?: number } = {}): LeaverContext => {
    const settings = LeaversSchema.parse({});
    return {
      settings: { ...settings, guard: { ...settings.guard, ...guard } },
      today: '2026-11-29',
      owned: new Set(),
      retainedKeys: new Set(),
      retainedSourceIds: new Set(),
      unidentifiedRecords: 0,
      readCount: 100,
      lastCompleteRead: { records: 100 },
      ...overrides,
    };
  };

  it('has the documented defaults: maxCount 20, maxShare 0.2', () => {
    expect(LeaversSchema.parse({}).guard).toMatchObject({ maxCount: 20, maxShare: 0.2 });
  });

  it('holds more than maxCount leavers, not maxCount itself', () => {
    expect(guardVerdict(context({}, { maxShare: 1 }), 20, 1000)).toEqual({ held: false });
    expect(guardVerdict(context({}, { maxShare: 1 }), 21, 1000)).toEqual({ held: true, reason: '21 leavers is more than leavers.guard.maxCount (20)' });
  });

  it('holds more than maxShare of the owned active users, not the share itself, whatever maxCount', () => {
    expect(guardVerdict(context({}, { maxCount: 1000 }), 20, 100)).toEqual({ held: false });
    expect(guardVerdict(context({}, { maxCount: 1000 }), 21, 100)).toEqual({ held: true, reason: '21 leavers is 21% of the 100 owned active users, more than leavers.guard.maxShare (20%)' });
  });

  it('holds even one leaver when the read has more than maxShare fewer employees than the last completed run, not exactly maxShare', () => {
    const lenient = { maxCount: 1000, maxShare: 0.2 };
    expect(guardVerdict(context({ readCount: 80, lastCompleteRead: { records: 100 } }, lenient), 1, 1000)).toEqual({ held: false });
    expect(guardVerdict(context({ readCount: 79, lastCompleteRead: { records: 100 } }, lenient), 1, 1000)).toMatchObject({ held: true, reason: expect.stringContaining('21% fewer than the 100 of the last completed run') });
    // Without a last completed run (the first run) only the count and share thresholds apply.
    expect(guardVerdict(context({ readCount: 1, lastCompleteRead: undefined }, lenient), 1, 1000)).toEqual({ held: false });
  });

  it('holds nothing without leavers or with action off', () => {
    expect(guardVerdict(context({ readCount: 1 }), 0, 100)).toEqual({ held: false });
    const off = context({ readCount: 1 });
    off.settings = { ...off.settings, action: 'off' };
    expect(guardVerdict(off, 500, 100)).toEqual({ held: false });
  });

  it('holds the leavers of a read with a record nobody can identify, only when someone is gone from the read', () => {
    expect(unidentifiedVerdict(context({ unidentifiedRecords: 1 }), 1)).toMatchObject({ held: true, reason: expect.stringContaining('1 HR record was rejected') });
    expect(unidentifiedVerdict(context({ unidentifiedRecords: 1 }), 0)).toBeUndefined();
    expect(unidentifiedVerdict(context({ unidentifiedRecords: 0 }), 5)).toBeUndefined();
  });
});
