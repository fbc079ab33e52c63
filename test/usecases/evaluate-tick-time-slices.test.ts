/**
 * The evaluator over 5-minute time slices: a p99 latency SLO's slices are judged only once complete, so a tick in
 * the middle of a slice evaluates windows ending at the previous slice boundary; the fine tier is read in whole
 * slices (periodSeconds 300, aligned from and to); a run of bad slices pages at the slice the SRE Workbook's
 * burn-rate formula gives; and the incremental slice cache evaluates exactly as a full read every tick.
 */
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { BurnRateRule, RuntimeConfig, SloDefinition, TenantEvaluation } from '../../lambda/domain/model';
import { planCountQueries } from '../../lambda/domain/query-plan';
import { thresholdSlices } from '../../lambda/domain/time-slices';
import type { StatisticPoint } from '../../lambda/domain/time-slices';
import type { CountsRequest, CountsResult, Log, MetricSource, WorkflowStarter } from '../../lambda/ports';
import { evaluateTick, newEvaluatorCache } from '../../lambda/usecases/evaluate-tick';
import type { EvaluatorCache, TickReport } from '../../lambda/usecases/evaluate-tick';
import { FineTierCache } from '../../lambda/usecases/series-cache';
import { resampleBurn } from '../../lambda/usecases/workflow/validate';
import { MemoryStateStore } from '../../bench/memory-state-store';
import { EVALUATOR_DEFAULTS } from '../../lib/config/defaults';
import { P99_SLI, apiSlo } from '../support/slo-fixture';

const SLICE_MS = 5 * MINUTE_MS;
const T0 = Date.UTC(2026, 10, 20, 0, 0, 0); // an hour boundary
const at = (minute: number): number => T0 + minute * MINUTE_MS;
const TENANTS = ['acme', 'globex'];

// A custom policy in the Workbook's shape, written out so the expected slices do not depend on policy.ts.
const RULES: BurnRateRule[] = [
  { name: '1h/5m', severity: 'page', longWindowMinutes: 60, shortWindowMinutes: 5, burnRate: 14.4 },
  { name: '6h/30m', severity: 'page', longWindowMinutes: 360, shortWindowMinutes: 30, burnRate: 6 },
];
/** The longest rule window that fits the fine tier (6 hours): a cold tick reads that much in slices. */
const FINE_HORIZON_MS = 6 * HOUR_MS;


/** 99 % of 5-minute slices with p99 <= 300 ms over 30 days. */
const SLO: SloDefinition = {
  ...apiSlo({
    objectivePercent: 99,
    rules: RULES,
    tenants: { mode: 'list', tenants: TENANTS },
    resolveAfterMinutes: 10,
  }),
  name: 'api-latency',
  sli: P99_SLI,
  timeSlices: { sliceMinutes: 5, timeSliceTarget: null },
};

const CONFIG: RuntimeConfig = {
  schemaVersion: 1,
  slos: [SLO],
  // The tick ends below are derived from a 1-minute data delay and the slow tier's hourly refresh.
  evaluator: { ...EVALUATOR_DEFAULTS, dataDelayMinutes: 1, slowRefreshMinutes: 60 },
};

/** p99 (ms) of a tenant's slice starting at `start`; the fake reads it at the time of the fetch. */
type P99Of = (tenant: string, start: number) => number;

/**
 * A local MetricSource for a threshold SLI: each slice's p99 judged through the domain's thresholdSlices, as the
 * CloudWatch adapter does. The request is planned first, so a period the planner refuses fails as it would in
 * production (QueryPlanError). Requests are recorded.
 */
class SliceMetricSource implements MetricSource {
  readonly requests: CountsRequest[] = [];

  constructor(private readonly p99Of: P99Of) {}

  async listTenants(): Promise<string[]> {
    return [...TENANTS];
  }

  async fetchCounts(request: CountsRequest): Promise<CountsResult> {
    const { slo, tenants, from, to, periodSeconds } = request;
    planCountQueries(slo, tenants, { from, to, periodSeconds });
    this.requests.push(request);
    if (slo.sli.kind !== 'threshold') throw new Error(`the fake reads threshold SLIs only; got ${slo.sli.kind}`);
    const sli = slo.sli;
    const periodMs = periodSeconds * 1000;
    const series = new Map(
      tenants.map((tenant) => {
        const points: StatisticPoint[] = [];
        for (let start = Math.ceil(from / periodMs) * periodMs; start < to; start += periodMs) {
          points.push({ start, value: this.p99Of(tenant, start) });
        }
        return [tenant, thresholdSlices(sli, periodSeconds, points)] as const;
      }),
    );
    const datapoints = tenants.length * Math.ceil((to - from) / periodMs);
    return { series, failures: new Map(), stats: { calls: 1, metricsRequested: tenants.length, datapoints, throttledRetries: 0 } };
  }

  /** Fine-tier requests: those spanning at most the fine horizon plus one coarse period (the coarse ones span 30 days). */
  fineRequests(): CountsRequest[] {
    return this.requests.filter((request) => request.to - request.from <= FINE_HORIZON_MS + SLICE_MS);
  }
}

const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const starter: WorkflowStarter = { start: async (input) => ({ executionArn: `arn:local:${input.incidentId}`, alreadyStarted: false }) };

interface Run {
  readonly metrics: SliceMetricSource;
  readonly store: MemoryStateStore;
  /** Each tick's evaluations by tenant, keyed by the tick's `now`. */
  readonly evaluations: Map<number, Map<string, TenantEvaluation>>;
}

function newRun(p99Of: P99Of): Run {
  return { metrics: new SliceMetricSource(p99Of), store: new MemoryStateStore(), evaluations: new Map() };
}

async function tick(run: Run, cache: EvaluatorCache, now: number): Promise<TickReport> {
  let evaluated: readonly TenantEvaluation[] = [];
  const report = await evaluateTick(
    CONFIG,
    { metrics: run.metrics, store: run.store, workflow: starter, log: quiet, onEvaluated: (_slo, evaluations) => (evaluated = evaluations) },
    cache,
    now,
  );
  run.evaluations.set(now, new Map(evaluated.map((evaluation) => [evaluation.tenant, evaluation])));
  return report;
}

describe('evaluateTick over 5-minute time slices', () => {
  it.each([
    // dataDelayMinutes 1: the tick's end is now - 1 minute, then aligned down to a slice boundary.
    { case: 'in the middle of a slice evaluates windows ending at the previous slice boundary', nowMinute: 17, endMinute: 15, shortBad: 0 },
    { case: 'one minute before a slice completes still ends at the previous boundary', nowMinute: 20, endMinute: 15, shortBad: 0 },
    { case: 'right after a slice completes judges it', nowMinute: 21, endMinute: 20, shortBad: 5 },
  ])('a tick $case', async ({ nowMinute, endMinute, shortBad }) => {
    // Prepare: acme's p99 breaches from minute 15 on, so the slice [15, 20) is bad once complete
    const run = newRun((tenant, start) => (tenant === 'acme' && start >= at(15) ? 900 : 120));

    // Act
    const report = await tick(run, newEvaluatorCache(), at(nowMinute));

    // Assess: windows end on the slice boundary; the 1h window holds 12 whole slices of 5 minutes; the 5m window
    // one slice, bad only once [15, 20) is complete; the cold fine read covers the 6-hour horizon in slices
    expect(report.skipped).toEqual([]);
    const acme = run.evaluations.get(at(nowMinute))?.get('acme');
    expect(acme?.evaluatedAt).toBe(at(endMinute));
    expect(acme?.windows.find((w) => w.windowMinutes === 60)).toMatchObject({ total: 60 });
    expect(acme?.windows.find((w) => w.windowMinutes === 5)).toMatchObject({ total: 5, bad: shortBad });
    expect(run.metrics.fineRequests()).toEqual([
      expect.objectContaining({ from: at(endMinute) - FINE_HORIZON_MS, to: at(endMinute), periodSeconds: 300 }),
    ]);
  });

  describe('a run of bad slices, ticking every minute', () => {
    // All slices good (p99 120 ms) except acme's six slices [S, S + 30m) at 900 ms. S is a slice boundary an hour
    // after T0, so every window before S is full of good slices.
    const S = at(60);
    // Late data: acme's slice [S + 40m, S + 45m) reads good until the tick at S + 47m, then bad (re-read in time).
    const LATE_SLICE = S + 40 * MINUTE_MS;
    const LATE_FROM_TICK = S + 47 * MINUTE_MS;
    const MISSED = new Set([S + 33 * MINUTE_MS, S + 34 * MINUTE_MS, S + 35 * MINUTE_MS]);
    let clock = 0;
    const p99Of: P99Of = (tenant, start) => {
      if (tenant !== 'acme') return 120;
      if (start >= S && start < S + 30 * MINUTE_MS) return 900;
      return start === LATE_SLICE && clock >= LATE_FROM_TICK ? 900 : 120;
    };
    const incremental = newRun(p99Of);
    const fresh = newRun(p99Of);
    const ticks: number[] = [];

    beforeAll(async () => {
      const kept = newEvaluatorCache();
      for (let now = S - 5 * MINUTE_MS; now <= S + 55 * MINUTE_MS; now += MINUTE_MS) {
        if (MISSED.has(now)) continue;
        clock = now;
        ticks.push(now);
        const [keptReport, freshReport] = await Promise.all([tick(incremental, kept, now), tick(fresh, newEvaluatorCache(), now)]);
        if (keptReport.skipped.length + freshReport.skipped.length > 0) throw new Error(`tick ${now} skipped: ${JSON.stringify([keptReport.skipped, freshReport.skipped])}`);
      }
    });

    const firstFiring = (rule: string): number | null => {
      const now = ticks.find((t) => incremental.evaluations.get(t)?.get('acme')?.rules.some((r) => r.rule.name === rule && r.firing));
      return now === undefined ? null : (incremental.evaluations.get(now)?.get('acme')?.evaluatedAt ?? null);
    };

    // After k bad 5-minute slices (every earlier slice good, windows full) a window of w minutes holds 5k bad slice
    // minutes out of w, and burnRate = (5k / w) / (1 - 0.99).
    // 1h/5m at 14.4: the 5m window burns 100 from the first bad slice; the 1h window needs 5k / 60 >= 14.4 x 0.01
    //   = 0.144, i.e. 5k >= 8.64 minutes, k >= 1.728: the 2nd bad slice, complete at S + 10m (judged by the tick at
    //   S + 11m, whose end S + 10m is a slice boundary).
    // 6h/30m at 6: the 30m window needs 5k / 30 >= 0.06 (k >= 1); the 6h window 5k / 360 >= 0.06, i.e.
    //   5k >= 21.6 minutes, k >= 4.32: the 5th bad slice, complete at S + 25m.
    it.each([
      { rule: '1h/5m', firstEnd: S + 10 * MINUTE_MS },
      { rule: '6h/30m', firstEnd: S + 25 * MINUTE_MS },
    ])('pages on $rule first at the end of the slice the Workbook formula gives', ({ rule, firstEnd }) => {
      expect(firstFiring(rule)).toBe(firstEnd);
    });

    it('burns at the Workbook rate in the 1h window after the 2nd bad slice', () => {
      // Prepare: the tick at S + 11m ends at S + 10m: two bad slices, 10 of 60 minutes
      const acme = incremental.evaluations.get(S + 11 * MINUTE_MS)?.get('acme');

      // Assess: (10 / 60) / 0.01
      expect(acme?.windows.find((w) => w.windowMinutes === 60)?.burnRate).toBeCloseTo(10 / 60 / 0.01, 9);
      expect(acme?.level).toBe('page');
    });

    it('gives the same evaluations with the incremental slice cache as with a fresh cache every tick', () => {
      // Assess: every tick, every tenant, every field; the late slice is bad in both once revised
      for (const now of ticks) expect(incremental.evaluations.get(now)).toEqual(fresh.evaluations.get(now));
      const afterLate = incremental.evaluations.get(S + 50 * MINUTE_MS)?.get('acme');
      // The 1h window ending at S + 50m holds the six breach slices and the late one: 35 bad minutes.
      expect(afterLate?.windows.find((w) => w.windowMinutes === 60)?.bad).toBe(35);
    });

    it('reads the fine tier in whole 5-minute slices: periodSeconds 300, from and to on slice boundaries', () => {
      // Assess
      for (const request of [...incremental.metrics.fineRequests(), ...fresh.metrics.fineRequests()]) {
        expect({ periodSeconds: request.periodSeconds, fromOffset: request.from % SLICE_MS, toOffset: request.to % SLICE_MS }).toEqual({
          periodSeconds: 300,
          fromOffset: 0,
          toOffset: 0,
        });
      }
    });

    it('re-reads only the newest slice (the 5-minute margin) once the cache is warm, even after missed ticks', () => {
      // Prepare
      const [cold, ...warm] = incremental.metrics.fineRequests();

      // Assess: the cold read spans the horizon; each warm read starts one slice before the previous read's end
      expect(cold).toMatchObject({ from: S - 10 * MINUTE_MS - FINE_HORIZON_MS, to: S - 10 * MINUTE_MS });
      let previousTo = cold?.to ?? 0;
      for (const request of warm) {
        expect(request.from).toBe(previousTo - SLICE_MS);
        previousTo = request.to;
      }
      expect(warm.length).toBe(ticks.length - 1);
    });
  });
});

describe('FineTierCache of time slices', () => {
  const H = Date.UTC(2026, 0, 1, 6, 0, 0);

  it.each([
    { sliceMinutes: 5, from: H - 5 * MINUTE_MS },
    { sliceMinutes: 10, from: H - 10 * MINUTE_MS },
    { sliceMinutes: 60, from: H - 60 * MINUTE_MS },
  ])('re-reads the 5-minute margin widened to a whole $sliceMinutes-minute slice', ({ sliceMinutes, from }) => {
    // Prepare: a tenant holding the 6 hours of slices up to H
    const cache = new FineTierCache((7 * 60) / sliceMinutes, 'test', undefined, sliceMinutes * 60);
    cache.store('acme', { periodSeconds: sliceMinutes * 60, buckets: [] }, H - FINE_HORIZON_MS, H);

    // Act
    const fetches = cache.plan(['acme'], H - FINE_HORIZON_MS, H + MINUTE_MS * sliceMinutes);

    // Assess
    expect(fetches).toEqual([{ from, tenants: ['acme'], full: false }]);
  });

  it('overwrites a re-read slice and serves the slices as 300 s buckets', () => {
    // Prepare: slices [H - 10m, H - 5m) bad and [H - 5m, H) good, then a re-read that finds [H - 5m, H) bad
    const cache = new FineTierCache(84, 'test', undefined, 300);
    cache.store('acme', { periodSeconds: 300, buckets: [{ start: H - 10 * MINUTE_MS, total: 5, bad: 5 }, { start: H - 5 * MINUTE_MS, total: 5, bad: 0 }] }, H - FINE_HORIZON_MS, H);

    // Act
    cache.store('acme', { periodSeconds: 300, buckets: [{ start: H - 5 * MINUTE_MS, total: 5, bad: 5 }] }, H - 5 * MINUTE_MS, H);

    // Assess
    const view = cache.view('acme');
    expect(view).toMatchObject({ periodSeconds: 300, from: H - FINE_HORIZON_MS, to: H, capacity: 84 });
    const slot = (start: number): number => (start / SLICE_MS) % 84;
    expect([view?.bad[slot(H - 10 * MINUTE_MS)], view?.bad[slot(H - 5 * MINUTE_MS)], view?.total[slot(H - 5 * MINUTE_MS)]]).toEqual([5, 5, 5]);
  });

  it.each([
    { case: 'a bucket inside a slice', series: { periodSeconds: 300, buckets: [{ start: H - 3 * MINUTE_MS, total: 5, bad: 0 }] }, error: /^buckets\[0\]\.start must be a whole 5-minute slice in/ },
    { case: 'minute buckets', series: { periodSeconds: 60, buckets: [] }, error: /^series\.periodSeconds must be 300 \(the ring's period\); got 60$/ },
  ])('refuses $case and names the field', ({ series, error }) => {
    // Prepare
    const cache = new FineTierCache(84, 'test', undefined, 300);

    // Act / Assess
    expect(() => cache.store('acme', series, H - 10 * MINUTE_MS, H)).toThrow(error);
  });
});

describe("the workflow's recovery re-sample over 5-minute slices", () => {
  it('reads whole slices ending at the last slice boundary, as the evaluator does, and finds a burning tenant not recovered', async () => {
    // Prepare: acme's slices are bad from minute 0 on, globex's are all good.
    const metrics = new SliceMetricSource((tenant) => (tenant === 'acme' ? 900 : 120));

    // Act: minute 17 (data delay 1 minute) is mid-slice: windows end at minute 15.
    const sample = await resampleBurn(SLO, TENANTS, new Map(), CONFIG, metrics, at(17));

    // Assess: one fine read at 300 s, from and to on 5-minute boundaries.
    expect(sample.evaluatedAt).toBe(at(15));
    expect(metrics.requests).toHaveLength(1);
    const request = metrics.requests[0]!;
    expect(request.periodSeconds).toBe(300);
    expect(request.to).toBe(at(15));
    expect(request.from % SLICE_MS).toBe(0);
    // The 1h/5m rule's short window is one bad slice for acme: burn (5/5)/0.01 = 100; none for globex.
    expect(sample.samples.map((s) => [s.tenant, s.recovered])).toEqual([
      ['acme', false],
      ['globex', true],
    ]);
    expect(sample.samples[0]?.burnRate).toBeCloseTo(100, 6);
  });
});
