/**
 * Multiwindow multi-burn-rate evaluation of one tenant at one instant: the burn rate of every window the rules
 * use, which rules fire, the alert level, and how much of the period's budget is left.
 */
import { burnRateForBudget, errorBudget, errorRatio, timeToExhaustionMinutes } from './burn';
import type { AlertLevel, RuleResult, SloDefinition, TenantEvaluation, WindowBurn, WindowCounts } from './model';
import { LEVEL_RANK } from './model';
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

/** What an SLO's rules need, worked out once per SloDefinition rather than per tenant and tick. */
interface EvaluationPlan {
  /** Distinct windows of the rules plus the period, ascending. */
  readonly windowMinutes: readonly number[];
  /** Per rule, the positions of its long and short windows in `windowMinutes`. */
  readonly ruleWindows: readonly { readonly long: number; readonly short: number }[];
  readonly periodIndex: number;
  /** Position of the smallest long window, whose burn rate drives timeToExhaustion; -1 without rules. */
  readonly exhaustionIndex: number;
}

const planCache = new WeakMap<SloDefinition, EvaluationPlan>();

function planFor(slo: SloDefinition): EvaluationPlan {
  const cached = planCache.get(slo);
  if (cached) return cached;
  const periodMinutes = slo.periodDays * 24 * 60;
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
  planCache.set(slo, plan);
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
  const plan = planFor(slo);

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
    timeToExhaustionMinutes: timeToExhaustionMinutes(budgetRemaining, exhaustionBurn, slo.periodDays),
    periodEvents: { total: period.total, bad: period.bad },
  };
}

/** Names of the rules firing (or held by hysteresis), in the SLO's rule order. */
export function activeRuleNames(evaluation: TenantEvaluation): string[] {
  return evaluation.rules.filter((result) => result.firing).map((result) => result.rule.name);
}
