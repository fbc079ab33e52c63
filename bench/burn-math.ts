/**
 * The pure part of a tick, alone: `evaluateTenant` plus `nextAlertState` over tiered counts held as the evaluator
 * holds them between ticks (the minutes in a FineTierCache ring, the hours as prefix sums), an hour of ticks over a
 * set of tenants.
 */
import { nextAlertState } from '../lambda/domain/alert-state';
import { HOUR_MS, MINUTE_MS } from '../lambda/domain/model';
import type { CountBucket, SloDefinition, TenantAlertState } from '../lambda/domain/model';
import { evaluateTenant } from '../lambda/domain/rules';
import { toPrefixSeries } from '../lambda/domain/windows';
import type { TieredCounts } from '../lambda/domain/windows';
import { FineTierCache } from '../lambda/usecases/series-cache';
import { seededRandom } from '../cli/demo/scenario';
import { fineHorizonMinutes } from '../lambda/usecases/evaluate-tick';
import { BENCH_START, TICKS_PER_HOUR } from './scenario';

export interface BurnMathResult {
  readonly tenants: number;
  readonly ticks: number;
  /** CPU microseconds per tenant per tick (mean over the measured hour). */
  readonly cpuMicrosPerTenantTick: number;
  readonly wallMicrosPerTenantTick: number;
}

/** Counts shaped like the evaluator's: the fine tier from the hour-aligned horizon to the end of the hour, hourly before. */
function tieredCounts(slo: SloDefinition, random: () => number, hourStart: number, tenant: string, fineTier: FineTierCache): TieredCounts {
  const fineFrom = hourStart - fineHorizonMinutes(slo) * MINUTE_MS;
  const fine: CountBucket[] = [];
  for (let at = fineFrom; at < hourStart + HOUR_MS; at += MINUTE_MS) {
    const total = 100 + Math.floor(random() * 900);
    fine.push({ start: at, total, bad: Math.floor(total * random() * 0.0004) });
  }
  fineTier.store(tenant, { periodSeconds: 60, buckets: fine }, fineFrom, hourStart + HOUR_MS);
  const coarseFrom = fineFrom - slo.periodDays * 24 * HOUR_MS;
  const coarse: CountBucket[] = [];
  for (let at = coarseFrom; at < fineFrom; at += HOUR_MS) {
    const total = 60 * (100 + Math.floor(random() * 900));
    coarse.push({ start: at, total, bad: Math.floor(total * random() * 0.0004) });
  }
  const minutes = fineTier.view(tenant);
  if (minutes === null) throw new Error(`the fine tier holds no minutes for ${tenant}`);
  return { fine: minutes, fineFrom, coarse: toPrefixSeries({ periodSeconds: 3600, buckets: coarse }, coarseFrom, fineFrom) };
}

export function runBurnMath(slo: SloDefinition, tenants: number, heartbeatMinutes: number, seed = 1): BurnMathResult {
  const random = seededRandom(seed);
  // Ticks from BENCH_START: windows end one minute before each tick, inside the fine series built above.
  const names = Array.from({ length: tenants }, (_, i) => `tenant-${i}`);
  const horizon = fineHorizonMinutes(slo);
  const fineTier = new FineTierCache(horizon + 60, `${horizon}/60`);
  const counts = names.map((tenant) => tieredCounts(slo, random, BENCH_START, tenant, fineTier));
  const settings = { resolveAfterMinutes: slo.resolveAfterMinutes, heartbeatMinutes };
  const states: (TenantAlertState | null)[] = new Array<TenantAlertState | null>(tenants).fill(null);
  let sink = 0;
  const tick = (minute: number): void => {
    const now = BENCH_START + minute * MINUTE_MS;
    for (let i = 0; i < tenants; i += 1) {
      const prev = states[i] ?? null;
      const evaluation = evaluateTenant({
        slo,
        tenant: names[i] as string,
        counts: counts[i] as TieredCounts,
        evaluatedAt: now - MINUTE_MS,
        previouslyActiveRules: prev?.activeRules ?? [],
      });
      const step = nextAlertState(prev, evaluation, settings, now);
      if (step.shouldWrite) states[i] = step.next;
      sink += evaluation.budgetRemaining;
    }
  };
  // One untimed tick lets the JIT settle (the prefix sums were built with the counts, as a refresh builds them).
  tick(0);
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  for (let minute = 0; minute < TICKS_PER_HOUR; minute += 1) tick(minute);
  const wallMs = performance.now() - wallStart;
  const cpu = process.cpuUsage(cpuStart);
  if (!Number.isFinite(sink)) throw new Error('burn math produced a non-finite budget');
  const evaluations = tenants * TICKS_PER_HOUR;
  return {
    tenants,
    ticks: TICKS_PER_HOUR,
    cpuMicrosPerTenantTick: (cpu.user + cpu.system) / evaluations,
    wallMicrosPerTenantTick: (wallMs * 1000) / evaluations,
  };
}
