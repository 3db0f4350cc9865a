import { LeaversSchema, type LeaversConfig } from '../../config/schema';
import { guardVerdict, unidentifiedVerdict, type LeaverContext } from '../../sync/leavers';

/** The guard's thresholds at their boundaries (sync/leavers.ts): each one alone holds, and nothing holds at the limit. */
describe('the leaver guard verdict', () => {
  const defaults = LeaversSchema.parse({});
  const withGuard = (guard: { maxCount?: number; maxShare?: number } = {}): LeaversConfig => ({ ...defaults, guard: { ...defaults.guard, ...guard } });
  const context = (overrides: Partial<LeaverContext> = {}): LeaverContext => {
    return {
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
    expect(guardVerdict(withGuard({ maxShare: 1 }), context(), 20, 1000)).toEqual({ held: false });
    expect(guardVerdict(withGuard({ maxShare: 1 }), context(), 21, 1000)).toEqual({ held: true, reason: '21 leavers is more than leavers.guard.maxCount (20)' });
  });

  it('holds more than maxShare of the owned active users, not the share itself, whatever maxCount', () => {
    expect(guardVerdict(withGuard({ maxCount: 1000 }), context(), 20, 100)).toEqual({ held: false });
    expect(guardVerdict(withGuard({ maxCount: 1000 }), context(), 21, 100)).toEqual({ held: true, reason: '21 leavers is 21% of the 100 owned active users, more than leavers.guard.maxShare (20%)' });
  });

  it('holds even one leaver when the read has more than maxShare fewer employees than the last completed run, not exactly maxShare', () => {
    const lenient = { maxCount: 1000, maxShare: 0.2 };
    expect(guardVerdict(withGuard(lenient), context({ readCount: 80, lastCompleteRead: { records: 100 } }), 1, 1000)).toEqual({ held: false });
    expect(guardVerdict(withGuard(lenient), context({ readCount: 79, lastCompleteRead: { records: 100 } }), 1, 1000)).toMatchObject({ held: true, reason: expect.stringContaining('21% fewer than the 100 of the last completed run') });
    // Without a last completed run (the first run) only the count and share thresholds apply.
    expect(guardVerdict(withGuard(lenient), context({ readCount: 1, lastCompleteRead: undefined }), 1, 1000)).toEqual({ held: false });
  });

  it('holds nothing without leavers or with action off', () => {
    expect(guardVerdict(defaults, context({ readCount: 1 }), 0, 100)).toEqual({ held: false });
    expect(guardVerdict(defaults, context({ readCount: 1 }), 500, 100)).toMatchObject({ held: true });
    expect(guardVerdict({ ...defaults, action: 'off' }, context({ readCount: 1 }), 500, 100)).toEqual({ held: false });
  });

  it('holds the leavers of a read with a record nobody can identify, only when someone is gone from the read', () => {
    expect(unidentifiedVerdict(defaults, context({ unidentifiedRecords: 1 }), 1)).toMatchObject({ held: true, reason: expect.stringContaining('1 HR record or read problem names no employee') });
    expect(unidentifiedVerdict(defaults, context({ unidentifiedRecords: 1 }), 0)).toBeUndefined();
    expect(unidentifiedVerdict(defaults, context({ unidentifiedRecords: 0 }), 5)).toBeUndefined();
    expect(unidentifiedVerdict({ ...defaults, action: 'off' }, context({ unidentifiedRecords: 1 }), 1)).toBeUndefined();
  });
});
