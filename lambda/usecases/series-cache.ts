/**
 * What the evaluator keeps of each tenant's counts between warm invocations, in typed arrays rather than one
 * object per bucket: the fine tier as a ring of minute slots (so each tick fetches only the newest minutes) and
 * the coarse tier as running sums (so a refresh of the same range reuses its arrays), each tenant refreshed at its
 * own minute of the refresh interval. For a time-slice SLO whose
 * slices are longer than a minute the fine tier's slots are slices: one slot holds one judged slice bucket.
 */
import { MINUTE_MS } from '../domain/model';
import type { CountSeries } from '../domain/model';
import { saltedHash } from '../domain/alert-state';
import { ringSlot, toPrefixSeries } from '../domain/windows';
import type { PrefixSeries, RingSeries } from '../domain/windows';

/**
 * The newest minutes re-read every tick, overwriting what the cache holds: CloudWatch accepts datapoints up to two
 * weeks late, but a minute's counts settle within a few minutes of its end (the evaluator already waits
 * `dataDelayMinutes` for most of them). Data arriving later than `dataDelayMinutes + FINE_REREAD_MINUTES` after its
 * minute is seen only by a full fetch (a cold container, a new tenant, a changed horizon).
 */
export const FINE_REREAD_MINUTES = 5;

/** A slot ring cannot hold a fetched range. */
export class SeriesCacheError extends Error {
  constructor(
    readonly field: string,
    readonly allowed: string,
    readonly given: unknown,
  ) {
    super(`${field} must be ${allowed}; got ${String(given)}`);
    this.name = 'SeriesCacheError';
  }
}

interface TenantRing {
  readonly total: Float64Array;
  readonly bad: Float64Array;
  /** Start of the oldest period (epoch ms, inclusive) whose slot holds fetched data. */
  from: number;
  /** End (exclusive) of the last fetch: the slots of [from, to) hold their period's counts. */
  to: number;
}

/** One fetch the fine tier needs this tick: these tenants, from `from` to the tick's end. */
export interface FineFetch {
  readonly from: number;
  readonly tenants: readonly string[];
  /** True when the tenants' cached minutes are not used (cold, new, out of step): the whole fine horizon is read. */
  readonly full: boolean;
}

/**
 * The fine tier of one SLO: per tenant, `capacity` slots of `periodSeconds` in a ring (16 bytes a slot, about
 * 6.7 KB a tenant for the default 7-hour ring of minutes). A tenant's data stays usable as long as its slots are
 * contiguous up to the last fetch: each tick then reads only [last end - FINE_REREAD_MINUTES, end), its start
 * aligned down to the period (a time slice is read and judged whole, never in part).
 */
export class FineTierCache {
  private readonly rings = new Map<string, TenantRing>();
  private listed: readonly string[] | null = null;

  private readonly periodMs: number;
  /** How errors name one slot's period: `minute` or `5-minute slice`. */
  private readonly periodName: string;

  /**
   * @param capacity slots per tenant: at least the longest span [fineFrom, end) a tick reads (the fine horizon
   *   plus one coarse period, since fineFrom is aligned down to the coarse period), in periods.
   * @param key what the capacity was derived from (horizon, coarse period, slot period); a different key needs a new cache.
   * @param periodSeconds length of a slot: 60, or a time-slice SLO's slice length.
   */
  constructor(
    readonly capacity: number,
    readonly key: string,
    private readonly rereadMinutes: number = FINE_REREAD_MINUTES,
    readonly periodSeconds: number = 60,
  ) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new SeriesCacheError('capacity', 'a positive integer of slots', capacity);
    if (!(Number.isInteger(periodSeconds) && periodSeconds > 0 && periodSeconds % 60 === 0)) {
      throw new SeriesCacheError('periodSeconds', 'a positive multiple of 60', periodSeconds);
    }
    this.periodMs = periodSeconds * 1000;
    this.periodName = periodSeconds === 60 ? 'minute' : `${periodSeconds / 60}-minute slice`;
  }

  /** Tenants held (for tests and memory figures). */
  get size(): number {
    return this.rings.size;
  }

  /** Drops the rings of tenants no longer listed; cheap when the list is the same array as last time. */
  retain(tenants: readonly string[]): void {
    if (tenants === this.listed) return;
    this.listed = tenants;
    const keep = new Set(tenants);
    for (const tenant of this.rings.keys()) if (!keep.has(tenant)) this.rings.delete(tenant);
  }

  /**
   * The fetches that bring every tenant's periods in [fineFrom, end) up to date, grouped by start: tenants in step
   * re-read the newest periods from their last end (a missed tick just widens that read: the periods before it are
   * as final as they would have been), the rest read the whole horizon from `fineFrom`. `fineFrom` and `end` are
   * whole periods.
   */
  plan(tenants: readonly string[], fineFrom: number, end: number): FineFetch[] {
    const byFrom = new Map<number, string[]>();
    const full: string[] = [];
    const rereadMs = this.rereadMinutes * MINUTE_MS;
    const periodMs = this.periodMs;
    for (const tenant of tenants) {
      const ring = this.rings.get(tenant);
      // The margin is widened down to a period start: a slice is re-read whole.
      const from =
        ring !== undefined && this.inStep(tenant, fineFrom, end)
          ? Math.max(fineFrom, Math.floor((ring.to - rereadMs) / periodMs) * periodMs)
          : fineFrom;
      if (from === fineFrom) {
        full.push(tenant);
        continue;
      }
      const group = byFrom.get(from);
      if (group === undefined) byFrom.set(from, [tenant]);
      else group.push(tenant);
    }
    const fetches: FineFetch[] = [...byFrom].map(([from, group]) => ({ from, tenants: group, full: false }));
    if (full.length > 0) fetches.push({ from: fineFrom, tenants: full, full: true });
    return fetches;
  }

  /**
   * True when the tenant's cached periods are usable for a tick reading [fineFrom, end): they hold everything from
   * fineFrom up to their end, and that end is not in the future of this tick. Otherwise the tick reads its whole
   * horizon (a cold read).
   */
  inStep(tenant: string, fineFrom: number, end: number): boolean {
    const ring = this.rings.get(tenant);
    return ring !== undefined && ring.from <= fineFrom && ring.to <= end;
  }

  /**
   * Writes a tenant's fetched periods [from, to): every slot of the range is cleared first (a period that came back
   * empty has no traffic, or an unjudged slice), then each bucket overwrites its slot. A range that does not
   * continue the cached one replaces it. On a bucket the ring cannot hold the tenant is forgotten, so its next tick
   * reads in full.
   */
  store(tenant: string, series: CountSeries, from: number, to: number): void {
    const periodMs = this.periodMs;
    if (series.periodSeconds !== this.periodSeconds) {
      throw new SeriesCacheError('series.periodSeconds', `${this.periodSeconds} (the ring's period)`, series.periodSeconds);
    }
    if (!(from % periodMs === 0 && to % periodMs === 0 && to > from && to - from <= this.capacity * periodMs)) {
      throw new SeriesCacheError('to', `whole ${this.periodName}s after from (${from}), at most ${this.capacity} of them`, to);
    }
    let ring = this.rings.get(tenant);
    if (ring === undefined) {
      ring = { total: new Float64Array(this.capacity), bad: new Float64Array(this.capacity), from, to: from };
      this.rings.set(tenant, ring);
    }
    // Not contiguous with what is held (or older than it): start over from this range.
    if (from < ring.from || from > ring.to) ring.from = from;
    try {
      this.write(ring, series, from, to);
    } catch (error) {
      this.rings.delete(tenant);
      throw error;
    }
    ring.to = to;
    // Slots older than `capacity` periods before `to` now hold newer periods.
    ring.from = Math.max(ring.from, to - this.capacity * periodMs);
  }

  private write(ring: TenantRing, series: CountSeries, from: number, to: number): void {
    const { total, bad } = ring;
    const periodMs = this.periodMs;
    for (let at = from; at < to; at += periodMs) {
      const slot = ringSlot(0, this.capacity, periodMs, at);
      total[slot] = 0;
      bad[slot] = 0;
    }
    let previousStart = -Infinity;
    series.buckets.forEach((bucket, index) => {
      if (!(bucket.start > previousStart && bucket.start >= from && bucket.start < to && bucket.start % periodMs === 0)) {
        throw new SeriesCacheError(
          `buckets[${index}].start`,
          `a whole ${this.periodName} in [${from}, ${to}) after the previous bucket's start (${previousStart})`,
          bucket.start,
        );
      }
      previousStart = bucket.start;
      const slot = ringSlot(0, this.capacity, periodMs, bucket.start);
      total[slot] = bucket.total;
      bad[slot] = bucket.bad;
    });
  }

  /** Forgets a tenant: its next tick reads the whole horizon. */
  forget(tenant: string): void {
    this.rings.delete(tenant);
  }

  /** The tenant's cached periods as the domain reads them, or null when none are held. */
  view(tenant: string): RingSeries | null {
    const ring = this.rings.get(tenant);
    if (ring === undefined) return null;
    return { layout: 'ring', periodSeconds: this.periodSeconds, from: ring.from, to: ring.to, offset: 0, capacity: this.capacity, total: ring.total, bad: ring.bad };
  }
}

/** A tenant's coarse series does not cover what the windows read from it (a bug, never expected). */
export class CoarseCoverageError extends Error {
  constructor(
    readonly tenant: string,
    readonly field: string,
    readonly allowed: string,
    readonly given: unknown,
  ) {
    super(`coarse series of tenant ${JSON.stringify(tenant)}: ${field} must be ${allowed}; got ${String(given)}`);
    this.name = 'CoarseCoverageError';
  }
}

interface CoarseEntry {
  readonly series: PrefixSeries;
  /** The refresh instant (epoch ms, a whole minute) from which the tenant is due again. */
  readonly dueAt: number;
}

// Its own salt, so a tenant's coarse refresh does not fall on the minute of its heartbeat write.
const COARSE_REFRESH_SALT = 'coarse-refresh:';

/**
 * The coarse tier of one SLO: each tenant's running sums of coarse periods from (at or before) the budget period's
 * start, refreshed once per `refreshMinutes` at the tenant's own minute of that cycle, so a warm tick reads about
 * 1/refreshMinutes of the tenants instead of all of them at once. The minutes are handed out by rank of a hash of
 * the tenant id, evenly: with n tenants no minute has more than ceil(n / refreshMinutes) of them.
 *
 * A read is next due at the tenant's first instant (offset + k x cycle) at least one cycle after it: a cold
 * container reads every tenant at once and then nothing more for a cycle (the same queries per hour as one
 * refresh of all), after which the tenants come due spread over the next cycle, each on its own minute. A series
 * is therefore at most two cycles old (one on a warm container that runs every minute).
 *
 * A series read up to a cycle ago is as good as a new one: the windows read it only before `fineFrom` (the fine
 * tier, at least the fine horizon long, holds everything after), and only from the budget period's start, which
 * never moves back; the counts it holds are the same counts a new read would return.
 */
export class CoarseTierCache {
  private readonly entries = new Map<string, CoarseEntry>();
  private readonly offsetsMs = new Map<string, number>();
  private listed: readonly string[] | null = null;
  private readonly cycleMs: number;

  constructor(
    readonly periodSeconds: number,
    readonly refreshMinutes: number,
  ) {
    if (!(Number.isInteger(periodSeconds) && periodSeconds > 0)) throw new SeriesCacheError('periodSeconds', 'a positive integer', periodSeconds);
    if (!(Number.isInteger(refreshMinutes) && refreshMinutes > 0)) throw new SeriesCacheError('refreshMinutes', 'a positive integer of minutes', refreshMinutes);
    this.cycleMs = refreshMinutes * MINUTE_MS;
  }

  /** Tenants held (for tests and memory figures). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Drops the series of tenants no longer listed and hands out refresh minutes over the list: tenants sorted by
   * hash, the i-th of n at minute floor(i x refreshMinutes / n). Cheap when the list is the same array as last time.
   */
  retain(tenants: readonly string[]): void {
    if (tenants === this.listed) return;
    this.listed = tenants;
    const keep = new Set(tenants);
    for (const tenant of this.entries.keys()) if (!keep.has(tenant)) this.entries.delete(tenant);
    const ranked = [...keep].map((tenant) => ({ tenant, hash: saltedHash(COARSE_REFRESH_SALT, tenant) }));
    ranked.sort((a, b) => a.hash - b.hash || (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
    this.offsetsMs.clear();
    ranked.forEach(({ tenant }, rank) => {
      this.offsetsMs.set(tenant, Math.floor((rank * this.refreshMinutes) / ranked.length) * MINUTE_MS);
    });
  }

  /**
   * Of `tenants` (some or all of those `retain` was given: a warm-up may admit only some), those whose coarse series
   * must be read on the tick at `now`: those without one, those whose series does not reach `fineFrom` or does not
   * start by `periodFrom` (the aligned budget period start), and those whose refresh instant has come. A failed read
   * leaves the tenant due, so it is read again on the next tick. Refresh minutes stay spread over the whole list.
   */
  dueAmong(tenants: readonly string[], now: number, fineFrom: number, periodFrom: number): string[] {
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    return tenants.filter((tenant) => {
      const entry = this.entries.get(tenant);
      return entry === undefined || !covers(entry.series, fineFrom, periodFrom) || minute >= entry.dueAt;
    });
  }

  /** Keeps a tenant's series of [from, to) read at `now`, reusing its previous arrays when the length is the same. */
  store(tenant: string, series: CountSeries, from: number, to: number, now: number): void {
    if (series.periodSeconds !== this.periodSeconds) {
      throw new SeriesCacheError('series.periodSeconds', `${this.periodSeconds} (the coarse period)`, series.periodSeconds);
    }
    const previous = this.entries.get(tenant);
    const prefix = toPrefixSeries(series, from, to, previous?.series);
    // Whole minutes, so a tick a few seconds into its instant's minute still counts as that instant.
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const offsetMs = this.offsetsMs.get(tenant) ?? 0;
    const dueAt = offsetMs + Math.ceil((minute + this.cycleMs - offsetMs) / this.cycleMs) * this.cycleMs;
    this.entries.set(tenant, { series: prefix, dueAt });
  }

  /** True when the tenant's series reaches `fineFrom` and starts by `periodFrom`. */
  covers(tenant: string, fineFrom: number, periodFrom: number): boolean {
    const entry = this.entries.get(tenant);
    return entry !== undefined && covers(entry.series, fineFrom, periodFrom);
  }

  /**
   * The tenant's series for windows whose fine tier starts at `fineFrom` and whose budget period starts at
   * `periodFrom` (aligned down to the coarse period). Throws CoarseCoverageError rather than let a window sum
   * silently drop the periods the series does not hold (a gap before `fineFrom`, or a budget period cut short).
   */
  covering(tenant: string, fineFrom: number, periodFrom: number): PrefixSeries {
    const series = this.entries.get(tenant)?.series;
    if (series === undefined) throw new CoarseCoverageError(tenant, 'series', 'held after its refresh', 'none');
    const to = series.from + series.length * series.periodSeconds * 1000;
    if (to < fineFrom) throw new CoarseCoverageError(tenant, 'to', `at or after fineFrom (${fineFrom}), so no gap opens before the fine tier`, to);
    if (series.from > periodFrom) throw new CoarseCoverageError(tenant, 'from', `at or before the budget period start (${periodFrom})`, series.from);
    return series;
  }
}

function covers(series: PrefixSeries, fineFrom: number, periodFrom: number): boolean {
  return series.from <= periodFrom && series.from + series.length * series.periodSeconds * 1000 >= fineFrom;
}
