/**
 * Error-budget and burn-rate arithmetic (Google SRE Workbook, "Alerting on SLOs"). Pure functions of numbers:
 * objectives are percentages (99.9), budgets and error ratios are fractions (0.001), windows are minutes and
 * SLO periods are days.
 */
import type { WindowCounts } from './model';

const MINUTES_PER_DAY = 24 * 60;

/** Bad input to a domain function: names the field, what is allowed and what was given. */
export class DomainInputError extends Error {
  constructor(
    readonly field: string,
    readonly allowed: string,
    readonly given: unknown,
  ) {
    super(`${field} must be ${allowed}; got ${formatGiven(given)}`);
    this.name = 'DomainInputError';
  }
}

function formatGiven(given: unknown): string {
  return typeof given === 'string' ? JSON.stringify(given) : String(given);
}

function requireObjective(objectivePercent: number): void {
  if (!(objectivePercent > 0 && objectivePercent < 100)) {
    throw new DomainInputError('objectivePercent', 'a number between 0 and 100 (exclusive), e.g. 99.9', objectivePercent);
  }
}

export function requirePositive(field: string, value: number): void {
  if (!(value > 0 && Number.isFinite(value))) {
    throw new DomainInputError(field, 'a finite number greater than 0', value);
  }
}

/** Share of events allowed to be bad: 1 - objective (99.9 -> 0.001). */
export function errorBudget(objectivePercent: number): number {
  requireObjective(objectivePercent);
  return 1 - objectivePercent / 100;
}

/** bad / total; 0 without traffic, because no traffic is not an outage. */
export function errorRatio(counts: WindowCounts): number {
  return counts.total > 0 ? counts.bad / counts.total : 0;
}

/** Burn rate from an error budget already computed (the evaluator's hot path validates the objective once). */
export function burnRateForBudget(counts: WindowCounts, budget: number): number {
  return errorRatio(counts) / budget;
}

/** How fast the window spends the budget: 1 spends exactly the whole budget over the SLO period. */
export function burnRate(counts: WindowCounts, objectivePercent: number): number {
  return burnRateForBudget(counts, errorBudget(objectivePercent));
}

/**
 * The burn rate at which `budgetPercent` of the period's budget is spent within `windowMinutes`
 * (2 % over 1h of 30d = 14.4; 5 % over 6h = 6; 10 % over 3d = 1).
 */
export function burnRateFactor(budgetPercent: number, windowMinutes: number, periodDays: number): number {
  if (!(budgetPercent > 0 && budgetPercent <= 100)) {
    throw new DomainInputError('budgetPercent', 'a number greater than 0 and at most 100', budgetPercent);
  }
  requirePositive('windowMinutes', windowMinutes);
  requirePositive('periodDays', periodDays);
  return ((budgetPercent / 100) * periodDays * MINUTES_PER_DAY) / windowMinutes;
}

/** Share of the period's budget spent by burning at `burnRate` for `windowMinutes` (14.4 x 1h / 30d = 0.02). */
export function budgetConsumedInWindow(burnRate: number, windowMinutes: number, periodDays: number): number {
  requirePositive('periodDays', periodDays);
  return (burnRate * windowMinutes) / (periodDays * MINUTES_PER_DAY);
}

/**
 * Minutes until `budgetRemaining` (a share of the period's budget) is gone at `burnRate`;
 * null when not burning, 0 when the budget is already spent.
 */
export function timeToExhaustionMinutes(budgetRemaining: number, burnRate: number, periodDays: number): number | null {
  if (burnRate <= 0) return null;
  if (budgetRemaining <= 0) return 0;
  return (budgetRemaining * periodDays * MINUTES_PER_DAY) / burnRate;
}

/**
 * Detection time of a rule (Workbook): minutes of `errorRatio` errors until the long window reaches the rule's
 * burn rate, (1 - objective) x burnRate x longWindow / errorRatio; 100 % errors at 99.9 % on 14.4x/1h -> 0.864.
 * Null when the rule never fires at that error ratio (it would need more than the whole long window).
 */
export function minutesToDetect(
  ruleBurnRate: number,
  objectivePercent: number,
  longWindowMinutes: number,
  errorRatio: number,
): number | null {
  requirePositive('longWindowMinutes', longWindowMinutes);
  if (!(errorRatio >= 0 && errorRatio <= 1)) {
    throw new DomainInputError('errorRatio', 'a number from 0 to 1', errorRatio);
  }
  if (errorRatio === 0) return null;
  const minutes = (errorBudget(objectivePercent) * ruleBurnRate * longWindowMinutes) / errorRatio;
  return minutes <= longWindowMinutes ? minutes : null;
}
