import { z } from 'zod';

const rate = z.number().min(0).max(1);

/** Fault settings; PUT /_sandbox/faults and setFaults() replace them whole (omitted fields fall back to these defaults). */
export const FaultSettingsSchema = z.strictObject({
  seed: z.number().int().default(1),
  /** Share of SCIM requests answered 500 or 503 without being applied. */
  faultRate: rate.default(0),
  /** Added to every SCIM request before it is handled. */
  latencyMs: z.number().int().min(0).default(0),
  /** Share of SCIM requests that hang for hangMs (meant to exceed the client timeout), then answer 503 unapplied. */
  hangRate: rate.default(0),
  hangMs: z.number().int().min(0).default(30_000),
  /**
   * A hung request is applied once its hangMs have passed, after the client gave up on it (a slow server finishing a
   * write nobody waits for), instead of answered 503 unapplied: a retry of a create may then land first and the late
   * original meet the uniqueness check, or the other way round. Not drawn: it changes what every hang does.
   */
  hangThenApply: z.boolean().default(false),
  /** Share of writes (POST/PUT/PATCH/DELETE) that are applied but answered 500 or 503: what makes naive retries duplicate. */
  commitThenFailRate: rate.default(0),
  /**
   * Share of writes that are applied and answered with their success status, but a body that is not a SCIM user (a
   * proxy's page, a truncated answer). Drawn with commitThenFailRate's value (after its share), so seeds replay as before.
   */
  commitThenGarbleRate: rate.default(0),
  /**
   * Share of writes that are applied and answered with their success status and headers, then the connection closes
   * halfway through the body (a proxy or load balancer dropping it): the answer is lost, not refused. Drawn after
   * commitThenGarbleRate's share, so seeds replay as before.
   */
  commitThenCutRate: rate.default(0),
  /** Share of GET /Users list pages that lose half their Resources while totalResults is unchanged; `true` means every page. */
  truncateListings: z.union([z.boolean().transform((on) => (on ? 1 : 0)), rate]).default(0),
  /**
   * How a 429 (budget exhausted) states its Retry-After: `seconds` (the wait, as Peakon is assumed to), `omit` (no
   * header), `zero` (`Retry-After: 0`), `past` (an HTTP-date a minute ago: a worker clock ahead of Peakon's), or a
   * number of seconds whatever the window says (tests that lift the budget rather than wait out the hour). Not drawn.
   */
  rateLimitRetryAfter: z.union([z.enum(['seconds', 'omit', 'zero', 'past']), z.number().int().positive()]).default('seconds'),
  /**
   * A server that ignores a filter (an attribute it does not filter on): a list or search whose filter quotes one of
   * these values (`userName eq "<value>"`, compared without letter case) is answered as if it had no filter, pages of
   * the whole tenant in creation order, so a lookup for one person gets someone else. Not drawn.
   */
  ignoreFilterFor: z.array(z.string().min(1)).default([]),
});
export type FaultSettings = z.output<typeof FaultSettingsSchema>;
export type FaultSettingsInput = z.input<typeof FaultSettingsSchema>;

export type FaultStatus = 500 | 503;

export interface FaultPlan {
  latencyMs: number;
  hangMs: number | null;
  failStatus: FaultStatus | null;
  commitThenFailStatus: FaultStatus | null;
  commitThenGarble: boolean;
  commitThenCut: boolean;
  truncateListing: boolean;
}

/** mulberry32: tiny, fast and fully determined by its seed, which is all fault replay needs. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Decides the faults of each SCIM request. Every request draws the same number of random values whatever the
 * settings and the request kind, so a seed replays the same faults for the same request order.
 */
export class FaultInjector {
  private current: FaultSettings;
  private random: () => number;

  constructor(settings: FaultSettingsInput = {}) {
    this.current = FaultSettingsSchema.parse(settings);
    this.random = mulberry32(this.current.seed);
  }

  get settings(): FaultSettings {
    return { ...this.current };
  }

  /** Replaces the settings and restarts the random sequence from the seed. */
  replace(settings: FaultSettingsInput): FaultSettings {
    this.current = FaultSettingsSchema.parse(settings);
    this.rewind();
    return this.settings;
  }

  /** Whether a list or search with `filter` is answered unfiltered (ignoreFilterFor). */
  ignoresFilter(filter: string): boolean {
    const quoted = filter.toLowerCase();
    return this.current.ignoreFilterFor.some((value) => quoted.includes(`"${value.toLowerCase()}"`));
  }

  rewind(): void {
    this.random = mulberry32(this.current.seed);
  }

  plan(request: { isWrite: boolean; isListing: boolean }): FaultPlan {
    const [hangDraw, failDraw, statusDraw, commitDraw, truncateDraw] = [this.random(), this.random(), this.random(), this.random(), this.random()];
    const settings = this.current;
    const status: FaultStatus = statusDraw < 0.5 ? 500 : 503;
    const hangs = hangDraw < settings.hangRate;
    const fails = !hangs && failDraw < settings.faultRate;
    return {
      latencyMs: settings.latencyMs,
      hangMs: hangs ? settings.hangMs : null,
      failStatus: fails ? status : null,
      commitThenFailStatus: !hangs && !fails && request.isWrite && commitDraw < settings.commitThenFailRate ? status : null,
      commitThenGarble: !hangs && !fails && request.isWrite && commitDraw >= settings.commitThenFailRate && commitDraw < settings.commitThenFailRate + settings.commitThenGarbleRate,
      commitThenCut: !hangs && !fails && request.isWrite && commitDraw >= settings.commitThenFailRate + settings.commitThenGarbleRate && commitDraw < settings.commitThenFailRate + settings.commitThenGarbleRate + settings.commitThenCutRate,
      truncateListing: request.isListing && truncateDraw < settings.truncateListings,
    };
  }
}
