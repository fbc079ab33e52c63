/**
 * Replays minute-level history through the evaluator's own domain code (`evaluateTenant` over `TieredCounts`),
 * one evaluation per tenant per minute at end = minute + 1 (history is complete, so there is no data delay),
 * and records every interval in which a rule fires: the raw rule firing, hysteresis included (the evaluator
 * holds a firing rule down to burnRate x hysteresisRatio), without the resolveAfter hold of alert levels.
 *
 * Per tenant it keeps what an evaluator tick would fetch at that minute: minute buckets from `fineFrom` (the
 * short windows, aligned to the hour, see evaluate-tick.ts) and hourly buckets before it. Both are appended to,
 * never rebuilt per minute; the hourly series object changes once an hour, so the domain's cached prefix sums
 * serve every minute of that hour.
 *
 * A time-slice SLO's rows arrive already judged (1-minute slices: total 1, bad 1 or 0; see csv.ts and the
 * CloudWatch adapter), and its hourly buckets add up those minute slices. The evaluator reads the older part of
 * such a period as 5-minute slices (`coarsePeriodSeconds`): a 5-minute p99 is not known from five 1-minute p99s,
 * so the replay counts minutes there, and hourly buckets keep the replay as cheap as for event counts (5-minute
 * ones would rebuild 12 times the buckets every hour) at the cost of window edges in that part accurate to an
 * hour instead of 5 minutes. A calendar period counts from its month's start.
 *
 * Speed: 1,000 tenants x 30 days is 43 million tenant-minutes. A minute in which no rule's short window burns
 * anywhere near its burn rate cannot fire (both windows must reach it) and, with no rule firing before, has
 * nothing to hold by hysteresis: such minutes skip `evaluateTenant`. The short-window sums that decide this are
 * kept incrementally (add the new minute, subtract the minute sliding out) in typed arrays laid out tenant after
 * tenant, so the skip test is a few additions per tenant-minute whatever the window lengths, and touches no
 * per-tenant object.
 */
import { errorBudget } from '../../lambda/domain/burn';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import { budgetPeriodStart } from '../../lambda/domain/period';
import type { CountBucket, CountSeries, Severity, SloDefinition } from '../../lambda/domain/model';
import { activeRuleNames, evaluateTenant } from '../../lambda/domain/rules';
import type { TieredCounts } from '../../lambda/domain/windows';
import { fineHorizonMinutes } from '../../lambda/usecases/evaluate-tick';

/** A row the replay cannot take; the reader adds where it came from. */
export class ReplayInputError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'ReplayInputError';
  }
}

/** The replay was used after `finish()`: its results are final. */
export class ReplayFinishedError extends Error {
  constructor(method: string) {
    super(`BacktestReplay.${method} called after finish()`);
    this.name = 'ReplayFinishedError';
  }
}

/** One contiguous interval in which a rule fired for a tenant. */
export interface BacktestAlert {
  readonly tenant: string;
  readonly slo: string;
  readonly severity: Severity;
  /** Rule name, `<long>/<short>`. */
  readonly rule: string;
  /** End of the first evaluated minute in which the rule fired (epoch ms). */
  readonly firedAt: number;
  /** End of the first evaluated minute in which it no longer fired; null when still firing at the end of the data. */
  readonly resolvedAt: number | null;
}

export interface ReplayOptions {
  /**
   * Skip `evaluateTenant` in minutes where no rule's short window is within 0.1 % of its burn rate and no rule
   * fired the minute before (such a minute provably fires nothing). False evaluates every tenant-minute.
   * @default true
   */
  readonly prefilter?: boolean;
}

export interface ReplayResult {
  readonly alerts: readonly BacktestAlert[];
  /** Start of the first minute replayed, and end of the last (epoch ms); null when there were no rows. */
  readonly from: number | null;
  readonly to: number | null;
  readonly rows: number;
  readonly tenants: number;
  readonly replayedTenants: ReadonlySet<string>;
  /** `evaluateTenant` calls made (tenant-minutes not skipped). */
  readonly evaluations: number;
  /** Tenants whose rows were read but not evaluated, with why (not selected by the SLO, muted). */
  readonly ignoredTenants: ReadonlyMap<string, string>;
  readonly ignoredRows: number;
}

// A short window this close below its burn rate is evaluated in full: margin for float sums of fractional counts.
const PREFILTER_MARGIN = 0.999;

/**
 * Every tenant's counts of the last minutes in a ring, and the running sum of each short window, in typed arrays
 * indexed [row * capacity + tenant]: a minute's pass over all tenants reads memory in order.
 */
class ShortWindowSums {
  private capacity = 64;
  private count = 0;
  private readonly ringMinutes: number;
  private ringTotal: Float64Array;
  private ringBad: Float64Array;
  private sumTotal: Float64Array;
  private sumBad: Float64Array;

  /** `windows` in minutes. */
  constructor(private readonly windows: readonly number[]) {
    this.ringMinutes = Math.max(1, ...windows);
    this.ringTotal = new Float64Array(this.ringMinutes * this.capacity);
    this.ringBad = new Float64Array(this.ringMinutes * this.capacity);
    this.sumTotal = new Float64Array(windows.length * this.capacity);
    this.sumBad = new Float64Array(windows.length * this.capacity);
  }

  /** A new tenant's position; its ring and sums start at 0 (no traffic before its first row). */
  addTenant(): number {
    if (this.count === this.capacity) this.grow();
    this.count += 1;
    return this.count - 1;
  }

  /**
   * Minute `k` (counted from the first minute) begins: the minute that leaves each window is subtracted and the
   * ring slot of minute k is cleared. Once a day the sums are re-added from the ring, so sums of fractional counts
   * cannot drift.
   */
  beginMinute(k: number): void {
    const { capacity, count, ringMinutes } = this;
    for (let w = 0; w < this.windows.length; w += 1) {
      const leaving = k - this.windows[w]!;
      if (leaving < 0) continue;
      const ring = (leaving % ringMinutes) * capacity;
      const sums = w * capacity;
      for (let t = 0; t < count; t += 1) {
        this.sumTotal[sums + t]! -= this.ringTotal[ring + t]!;
        this.sumBad[sums + t]! -= this.ringBad[ring + t]!;
      }
    }
    const slot = (k % ringMinutes) * capacity;
    this.ringTotal.fill(0, slot, slot + count);
    this.ringBad.fill(0, slot, slot + count);
    if (k % (24 * 60) === 0) this.resum(k);
  }

  /** Tenant `t`'s counts of minute `k`, the minute begun last. */
  add(t: number, k: number, total: number, bad: number): void {
    const slot = (k % this.ringMinutes) * this.capacity + t;
    this.ringTotal[slot] = total;
    this.ringBad[slot] = bad;
    for (let w = 0; w < this.windows.length; w += 1) {
      this.sumTotal[w * this.capacity + t]! += total;
      this.sumBad[w * this.capacity + t]! += bad;
    }
  }

  total(w: number, t: number): number {
    return this.sumTotal[w * this.capacity + t]!;
  }

  bad(w: number, t: number): number {
    return this.sumBad[w * this.capacity + t]!;
  }

  private resum(k: number): void {
    const { capacity, count, ringMinutes } = this;
    for (let w = 0; w < this.windows.length; w += 1) {
      const sums = w * capacity;
      this.sumTotal.fill(0, sums, sums + count);
      this.sumBad.fill(0, sums, sums + count);
      for (let minute = Math.max(0, k - this.windows[w]! + 1); minute <= k; minute += 1) {
        const ring = (minute % ringMinutes) * capacity;
        for (let t = 0; t < count; t += 1) {
          this.sumTotal[sums + t]! += this.ringTotal[ring + t]!;
          this.sumBad[sums + t]! += this.ringBad[ring + t]!;
        }
      }
    }
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const relayout = (old: Float64Array, rows: number): Float64Array => {
      const next = new Float64Array(rows * capacity);
      for (let row = 0; row < rows; row += 1) next.set(old.subarray(row * this.capacity, row * this.capacity + this.count), row * capacity);
      return next;
    };
    this.ringTotal = relayout(this.ringTotal, this.ringMinutes);
    this.ringBad = relayout(this.ringBad, this.ringMinutes);
    this.sumTotal = relayout(this.sumTotal, this.windows.length);
    this.sumBad = relayout(this.sumBad, this.windows.length);
    this.capacity = capacity;
  }
}

interface TenantReplay {
  readonly name: string;
  /** Minute buckets starting at or after the current `fineFrom`, ascending. */
  fine: CountBucket[];
  /** Hourly buckets before the current `fineFrom`, ascending; a new array whenever it changes. */
  hours: CountBucket[];
  coarse: CountSeries | null;
  /** Minute of the tenant's last row, to refuse a second row for the same minute. */
  lastMinute: number;
  /** Position in the short-window sums. */
  readonly index: number;
  /** Rules firing at the previous evaluation, in rule order. */
  active: readonly string[];
  /** Per rule: when its current firing interval started; NaN when not firing. */
  readonly firedAt: Float64Array;
}

interface OpenedAlert extends BacktestAlert {
  readonly ruleIndex: number;
}

export class BacktestReplay {
  private readonly tenants = new Map<string, TenantReplay>();
  private readonly tenantList: TenantReplay[] = [];
  /** Per tenant position: its error budget, and 1 while any rule fired at its last evaluation. */
  private readonly budgets: number[] = [];
  private readonly active: number[] = [];
  private readonly ignored = new Map<string, string>();
  private readonly alerts: OpenedAlert[] = [];
  private readonly fineHorizonMs: number;
  /** Distinct short windows of the rules, in minutes, and each rule's position among them. */
  private readonly shortWindows: readonly number[];
  private readonly ruleShort: readonly number[];
  private readonly prefilter: boolean;
  private readonly sums: ShortWindowSums;
  private readonly selected: (tenant: string) => string | null;
  private current: number | null = null;
  private first: number | null = null;
  private fineFrom = -Infinity;
  private rowCount = 0;
  private ignoredRowCount = 0;
  private evaluationCount = 0;
  private finished = false;

  constructor(
    private readonly slo: SloDefinition,
    options: ReplayOptions = {},
  ) {
    const horizonMinutes = fineHorizonMinutes(slo);
    this.fineHorizonMs = horizonMinutes * MINUTE_MS;
    if (slo.timeSlices !== undefined && slo.timeSlices.sliceMinutes !== 1) {
      // Rows are minutes; a longer slice would be judged on its whole statistic, which minute rows do not carry.
      throw new ReplayInputError('timeSlices.sliceMinutes', `must be 1 to replay minute rows; got ${slo.timeSlices.sliceMinutes}`);
    }
    this.shortWindows = [...new Set(slo.rules.map((rule) => rule.shortWindowMinutes))];
    this.ruleShort = slo.rules.map((rule) => this.shortWindows.indexOf(rule.shortWindowMinutes));
    // The skip test sums short windows minute by minute, as the evaluator does only inside the fine tier; a custom
    // short window longer than that is summed with hourly edges by the evaluator, so then every minute is evaluated.
    this.prefilter = (options.prefilter ?? true) && this.shortWindows.every((minutes) => minutes <= horizonMinutes);
    this.sums = new ShortWindowSums(this.prefilter ? this.shortWindows : []);
    this.selected = tenantSelector(slo);
  }

  get rows(): number {
    return this.rowCount;
  }

  get tenantCount(): number {
    return this.tenantList.length;
  }

  /** Start of the minute being filled, or null before the first row. */
  get currentMinute(): number | null {
    return this.current;
  }

  /**
   * Adds one tenant's counts for the minute starting at `minute` (epoch ms, whole minute). Minutes must not go
   * back; moving to a later minute evaluates every tenant at the end of each minute in between.
   */
  add(tenant: string, minute: number, total: number, bad: number): void {
    if (this.finished) throw new ReplayFinishedError('add');
    if (this.current === null) {
      this.current = minute;
      this.first = minute;
      this.sums.beginMinute(0);
    } else if (minute < this.current) {
      throw new ReplayInputError('timestamp', `must not be earlier than the previous row's (${new Date(this.current).toISOString()})`);
    } else if (minute > this.current) {
      this.closeThrough(minute);
    }
    const state = this.tenants.get(tenant) ?? this.admit(tenant);
    if (state === null) {
      this.ignoredRowCount += 1;
      return;
    }
    if (state.lastMinute === minute) {
      throw new ReplayInputError('tenant', `must have one row per minute; ${JSON.stringify(tenant)} already has a row at ${new Date(minute).toISOString()}`);
    }
    state.lastMinute = minute;
    this.rowCount += 1;
    // A minute without traffic is no bucket, as CloudWatch returns it.
    if (!(total > 0)) return;
    state.fine.push({ start: minute, total, bad });
    if (this.prefilter) this.sums.add(state.index, (minute - (this.first as number)) / MINUTE_MS, total, bad);
  }

  /** Evaluates the last minute and closes every interval still firing (resolvedAt null). */
  finish(): ReplayResult {
    if (this.finished) throw new ReplayFinishedError('finish');
    this.finished = true;
    const last = this.current;
    if (last !== null) this.closeThrough(last + MINUTE_MS);
    for (const state of this.tenantList) {
      state.firedAt.forEach((firedAt, index) => {
        if (!Number.isNaN(firedAt)) this.alerts.push(this.alert(state, index, firedAt, null));
      });
    }
    const alerts = [...this.alerts]
      .sort((a, b) => a.firedAt - b.firedAt || (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0) || a.ruleIndex - b.ruleIndex)
      .map(({ ruleIndex: _ruleIndex, ...alert }) => alert);
    return {
      alerts,
      from: this.first,
      to: last === null ? null : last + MINUTE_MS,
      rows: this.rowCount,
      tenants: this.tenantList.length,
      replayedTenants: new Set(this.tenants.keys()),
      evaluations: this.evaluationCount,
      ignoredTenants: this.ignored,
      ignoredRows: this.ignoredRowCount,
    };
  }

  private admit(tenant: string): TenantReplay | null {
    if (this.ignored.has(tenant)) return null;
    const reason = this.selected(tenant);
    if (reason !== null) {
      this.ignored.set(tenant, reason);
      return null;
    }
    const state: TenantReplay = {
      name: tenant,
      fine: [],
      hours: [],
      coarse: null,
      lastMinute: -Infinity,
      index: this.sums.addTenant(),
      active: [],
      firedAt: new Float64Array(this.slo.rules.length).fill(Number.NaN),
    };
    this.tenants.set(tenant, state);
    this.tenantList.push(state);
    this.budgets.push(errorBudget(this.slo.overrides[tenant]?.objectivePercent ?? this.slo.objectivePercent));
    this.active.push(0);
    return state;
  }

  /** Evaluates every minute from the current one up to (not including) `next`. */
  private closeThrough(next: number): void {
    const first = this.first as number;
    for (let minute = this.current as number; minute < next; minute += MINUTE_MS) {
      const end = minute + MINUTE_MS;
      // The same tiers an evaluator tick fetches at this end (evaluate-tick.ts: fine series from the hour boundary
      // at or before end - fine horizon).
      const fineFrom = Math.floor((end - this.fineHorizonMs) / HOUR_MS) * HOUR_MS;
      if (fineFrom !== this.fineFrom) {
        this.fineFrom = fineFrom;
        // The evaluator's hourly series starts at the hour of the period's start (end - periodDays, or a calendar
        // month's start when that is earlier, as in a 31-day month); older hours cannot be in any window.
        const periodStart = Math.min(end - this.slo.periodDays * 24 * HOUR_MS, budgetPeriodStart(this.slo, end));
        const oldest = Math.floor(periodStart / HOUR_MS) * HOUR_MS;
        for (const state of this.tenantList) this.moveToHours(state, oldest, fineFrom);
      }
      const tenants = this.tenantList;
      for (let t = 0; t < tenants.length; t += 1) {
        if (this.active[t] === 0 && this.prefilter && !this.couldFire(t)) continue;
        this.evaluate(tenants[t]!, end, fineFrom);
      }
      // The next minute's windows: what leaves them is subtracted before its rows arrive.
      this.sums.beginMinute((end - first) / MINUTE_MS);
    }
    this.current = next;
  }

  private evaluate(state: TenantReplay, end: number, fineFrom: number): void {
    this.evaluationCount += 1;
    const counts: TieredCounts = {
      fine: { periodSeconds: 60, buckets: state.fine },
      fineFrom,
      coarse: state.coarse,
    };
    const evaluation = evaluateTenant({ slo: this.slo, tenant: state.name, counts, evaluatedAt: end, previouslyActiveRules: state.active });
    const firing = activeRuleNames(evaluation);
    if (firing.length === state.active.length && firing.every((name, index) => name === state.active[index])) return;
    this.slo.rules.forEach((rule, index) => {
      const firedAt = state.firedAt[index]!;
      const wasFiring = !Number.isNaN(firedAt);
      const isFiring = firing.includes(rule.name);
      if (isFiring && !wasFiring) state.firedAt[index] = end;
      if (!isFiring && wasFiring) {
        this.alerts.push(this.alert(state, index, firedAt, end));
        state.firedAt[index] = Number.NaN;
      }
    });
    state.active = firing;
    this.active[state.index] = firing.length > 0 ? 1 : 0;
  }

  /**
   * The fine tier moved to a later hour: its older minute buckets become hourly buckets (whole hours, since
   * `fineFrom` is hour-aligned), hours before `oldest` are dropped, and the hourly series is renewed.
   */
  private moveToHours(state: TenantReplay, oldest: number, fineFrom: number): void {
    const fine = state.fine;
    let moved = 0;
    while (moved < fine.length && fine[moved]!.start < fineFrom) moved += 1;
    if (moved === 0) return;
    const added: CountBucket[] = [];
    for (let i = 0; i < moved; ) {
      const hour = Math.floor(fine[i]!.start / HOUR_MS) * HOUR_MS;
      let total = 0;
      let bad = 0;
      for (; i < moved && fine[i]!.start < hour + HOUR_MS; i += 1) {
        total += fine[i]!.total;
        bad += fine[i]!.bad;
      }
      added.push({ start: hour, total, bad });
    }
    let kept = 0;
    while (kept < state.hours.length && state.hours[kept]!.start < oldest) kept += 1;
    state.hours = [...state.hours.slice(kept), ...added];
    state.coarse = { periodSeconds: 3600, buckets: state.hours };
    state.fine = fine.slice(moved);
  }

  /**
   * Whether any rule could fire: a rule fires only when its short window burns at its burn rate (bad / total >=
   * budget x burnRate) with at least minBadEventsInShortWindow bad events. Looser than the rule, never stricter.
   */
  private couldFire(t: number): boolean {
    const minBad = this.slo.trafficGuard.minBadEventsInShortWindow * PREFILTER_MARGIN;
    const rules = this.slo.rules;
    for (let r = 0; r < rules.length; r += 1) {
      const w = this.ruleShort[r]!;
      const bad = this.sums.bad(w, t);
      if (bad <= 0 || bad < minBad) continue;
      if (bad >= this.sums.total(w, t) * this.budgets[t]! * rules[r]!.burnRate * PREFILTER_MARGIN) return true;
    }
    return false;
  }

  private alert(state: TenantReplay, ruleIndex: number, firedAt: number, resolvedAt: number | null): OpenedAlert {
    const rule = this.slo.rules[ruleIndex]!;
    return { tenant: state.name, slo: this.slo.name, severity: rule.severity, rule: rule.name, firedAt, resolvedAt, ruleIndex };
  }
}

/** Which tenants the evaluator would evaluate and alert on: null for those, else why not. */
function tenantSelector(slo: SloDefinition): (tenant: string) => string | null {
  const listed = slo.tenants.mode === 'list' ? new Set(slo.tenants.tenants) : null;
  const excluded = new Set(slo.tenants.mode === 'discover' ? slo.tenants.exclude : []);
  return (tenant) => {
    if (listed !== null && !listed.has(tenant)) return 'not in the SLO\'s tenants.list';
    if (excluded.has(tenant)) return 'in the SLO\'s tenants.discover.exclude';
    if (slo.overrides[tenant]?.muted === true) return 'muted in the SLO\'s overrides (evaluated but never alerted)';
    return null;
  };
}
