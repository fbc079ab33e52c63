/**
 * Multiwindow multi-burn-rate evaluation of one tenant at one instant: the burn rate of every window the rules
 * use, which rules fire, the alert level, and how much of the period's budget is left. The counts are events, or
 * for a time-slice SLO slice minutes (lambda/domain/time-slices.ts): the arithmetic is the same.
 */
import { burnRateForBudget, errorBudget, errorRatio, timeToExhaustionMinutes } from './burn';
import type { AlertLevel, CalendarPeriod, RuleResult, SloDefinition, TenantEvaluation, WindowBurn, WindowCounts } from './model';
import { LEVEL_RANK, MINUTE_MS } from './model';
import { budgetPeriodMinutes, budgetPeriodStart, nextCalendarMonthStart } from './period';
import { sumWindows } from './windows';
import type { TieredCounts } from './windows';

export interface TenantEvaluationInput {
  readonly slo: SloDefinition;
  readonly tenant: string;
  readonly counts: TieredCounts;
  /** End of every window (epoch ms, exclusive). */
  readonly evaluatedAt: number;
  /** Rules that were firing (or held) at the previous evaluation, by name; they get hysteresis. */
  readonly previouslyActiveRules: readonly string[];
}

/** What an SLO's rules need for one budget-period length, worked out once rather than per tenant and tick. */
interface EvaluationPlan {
  /** Distinct windows of the rules plus the period, ascending. */
  readonly windowMinutes: readonly number[];
  /** Per rule, the positions of its long and short windows in `windowMinutes`. */
  readonly ruleWindows: readonly { readonly long: number; readonly short: number }[];
  readonly periodIndex: number;
  /** Position of the smallest long window, whose burn rate drives timeToExhaustion; -1 without rules. */
  readonly exhaustionIndex: number;
}

/**
 * Per SloDefinition, the plan of the period length seen last. A rolling period has one length, so one plan per SLO;
 * a calendar month's period grows by a minute every tick, and all tenants of a tick share it, so the plan is
 * rebuilt once per tick and SLO, not per tenant.
 */
const planCache = new WeakMap<SloDefinition, { readonly periodMinutes: number; readonly plan: EvaluationPlan }>();

function planFor(slo: SloDefinition, periodMinutes: number): EvaluationPlan {
  const cached = planCache.get(slo);
  if (cached !== undefined && cached.periodMinutes === periodMinutes) return cached.plan;
  const windowSet = new Set<number>([periodMinutes]);
  for (const rule of slo.rules) windowSet.add(rule.longWindowMinutes).add(rule.shortWindowMinutes);
  const windowMinutes = [...windowSet].sort((a, b) => a - b);
  const smallestLong = Math.min(...slo.rules.map((rule) => rule.longWindowMinutes));
  const plan: EvaluationPlan = {
    windowMinutes,
    ruleWindows: slo.rules.map((rule) => ({
      long: windowMinutes.indexOf(rule.longWindowMinutes),
      short: windowMinutes.indexOf(rule.shortWindowMinutes),
    })),
    periodIndex: windowMinutes.indexOf(periodMinutes),
    exhaustionIndex: windowMinutes.indexOf(smallestLong),
  };
  planCache.set(slo, { periodMinutes, plan });
  return plan;
}

// 1 - 99.9 / 100 is not exactly 0.001; a burn that equals its factor on paper must still reach it.
const THRESHOLD_TOLERANCE = 1 - 1e-9;

function reaches(burnRate: number, threshold: number): boolean {
  return burnRate >= threshold * THRESHOLD_TOLERANCE;
}

function windowBurn(windowMinutes: number, counts: WindowCounts, budget: number): WindowBurn {
  return {
    windowMinutes,
    total: counts.total,
    bad: counts.bad,
    errorRatio: errorRatio(counts),
    burnRate: burnRateForBudget(counts, budget),
  };
}

export function evaluateTenant(input: TenantEvaluationInput): TenantEvaluation {
  const { slo, tenant, counts, evaluatedAt, previouslyActiveRules } = input;
  const objectivePercent = slo.overrides[tenant]?.objectivePercent ?? slo.objectivePercent;
  const budget = errorBudget(objectivePercent);
  // A rolling period is periodDays long; a calendar month counts from its start (it changes every tick).
  const month = slo.calendar === undefined ? null : calendarMonth(slo, slo.calendar, evaluatedAt);
  const periodMinutes = month === null ? slo.periodDays * 24 * 60 : month.elapsedMinutes;
  const plan = planFor(slo, periodMinutes);

  const counted = sumWindows(counts, evaluatedAt, plan.windowMinutes);
  const windows: WindowBurn[] = plan.windowMinutes.map((minutes, index) => windowBurn(minutes, counted[index]!, budget));

  const guard = slo.trafficGuard;
  let level: AlertLevel = 'ok';
  const rules: RuleResult[] = slo.rules.map((rule, index) => {
    const positions = plan.ruleWindows[index]!;
    const long = windows[positions.long]!;
    const short = windows[positions.short]!;
    const burnsHot = reaches(long.burnRate, rule.burnRate) && reaches(short.burnRate, rule.burnRate);
    const enoughEvidence = long.total >= guard.minEventsInLongWindow && short.bad >= guard.minBadEventsInShortWindow;
    // A firing rule keeps firing down to factor x hysteresisRatio; the guard already passed when it started.
    const holdThreshold = rule.burnRate * slo.hysteresisRatio;
    const held =
      previouslyActiveRules.includes(rule.name) &&
      reaches(long.burnRate, holdThreshold) &&
      reaches(short.burnRate, holdThreshold);
    const firing = (burnsHot && enoughEvidence) || held;
    if (firing && LEVEL_RANK[rule.severity] > LEVEL_RANK[level]) level = rule.severity;
    return { rule, longBurnRate: long.burnRate, shortBurnRate: short.burnRate, firing, guarded: burnsHot && !firing };
  });

  const period = windows[plan.periodIndex]!;
  // Budget consumed over the period is the period's burn rate: bad / (errorBudget x total).
  const budgetConsumed = period.burnRate;
  const budgetRemaining = 1 - budgetConsumed;
  const exhaustionBurn = windows[plan.exhaustionIndex]?.burnRate ?? 0;

  return {
    slo: slo.name,
    tenant,
    objectivePercent,
    evaluatedAt,
    windows,
    rules,
    level,
    budgetConsumed,
    budgetRemaining,
    timeToExhaustionMinutes:
      month === null
        ? timeToExhaustionMinutes(budgetRemaining, exhaustionBurn, slo.periodDays)
        : monthTimeToExhaustion(month, budgetConsumed, exhaustionBurn),
    periodEvents: { total: period.total, bad: period.bad },
  };
}

/**
 * Time to exhaustion in a calendar month. The month's budget is its share (1 - objective) of the whole month's
 * events; with traffic at the rate seen so far, the month's budget is M minutes' worth (M = the month's length) and
 * `budgetConsumed` x E minutes' worth is spent after E minutes. Burning at `burnRate` spends `burnRate` minutes'
 * worth per minute, so the rest lasts (M - budgetConsumed x E) / burnRate minutes: on the month's first minute this
 * is the rolling formula over a period of the month's length, and early in the month it does not swing with every
 * bad minute the way the month-to-date ratio does (budgetRemaining may be below 0 while the month can still be met). 0 when the month's budget is already spent; null when not burning or when the month resets first
 * (the budget does not run out in this month).
 */
export function calendarTimeToExhaustionMinutes(slo: SloDefinition, end: number, budgetConsumed: number, burnRate: number): number | null {
  return slo.calendar === undefined ? null : monthTimeToExhaustion(calendarMonth(slo, slo.calendar, end), budgetConsumed, burnRate);
}

/** The calendar month of the budget period ending at `end`: its length and the minutes elapsed, in whole minutes. */
interface CalendarMonth {
  readonly end: number;
  readonly monthMinutes: number;
  readonly elapsedMinutes: number;
}

// Every tenant of a tick shares `end`: the time-zone arithmetic runs once per SLO and tick, not per tenant.
const monthCache = new WeakMap<SloDefinition, CalendarMonth>();

function calendarMonth(slo: SloDefinition, calendar: CalendarPeriod, end: number): CalendarMonth {
  const cached = monthCache.get(slo);
  if (cached !== undefined && cached.end === end) return cached;
  const monthStart = budgetPeriodStart(slo, end);
  const month: CalendarMonth = {
    end,
    monthMinutes: (nextCalendarMonthStart(end - 1, calendar.timeZone) - monthStart) / MINUTE_MS,
    elapsedMinutes: budgetPeriodMinutes(slo, end),
  };
  monthCache.set(slo, month);
  return month;
}

function monthTimeToExhaustion(month: CalendarMonth, budgetConsumed: number, burnRate: number): number | null {
  if (burnRate <= 0) return null;
  const remainingWorth = month.monthMinutes - budgetConsumed * month.elapsedMinutes;
  if (remainingWorth <= 0) return 0;
  const minutes = remainingWorth / burnRate;
  return minutes < month.monthMinutes - month.elapsedMinutes ? minutes : null;
}

/** Names of the rules firing (or held by hysteresis), in the SLO's rule order. */
export function activeRuleNames(evaluation: TenantEvaluation): string[] {
  return evaluation.rules.filter((result) => result.firing).map((result) => result.rule.name);
}
