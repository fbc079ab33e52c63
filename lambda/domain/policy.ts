/**
 * Alerting policy as data: which windows, which burn-rate factors, which severity. The factors are derived from
 * "share of the period's budget spent within the long window", so a policy reads the way an SRE states it.
 */
import { burnRateFactor, DomainInputError, requirePositive } from './burn';
import type { BurnRateRule, Severity, TrafficGuard } from './model';

const UNITS: readonly { readonly suffix: 'd' | 'h' | 'm'; readonly minutes: number }[] = [
  { suffix: 'd', minutes: 24 * 60 },
  { suffix: 'h', minutes: 60 },
  { suffix: 'm', minutes: 1 },
];

/** A window text that is not `<whole number><m|h|d>`. */
export class InvalidWindowError extends DomainInputError {
  constructor(field: string, given: unknown) {
    super(field, 'a whole number of minutes, hours or days greater than 0, written like "5m", "1h" or "3d"', given);
    this.name = 'InvalidWindowError';
  }
}

/** Window in minutes as text in the largest whole unit: 5 -> '5m', 60 -> '1h', 4320 -> '3d', 90 -> '90m'. */
export function formatWindow(minutes: number): string {
  if (!(Number.isInteger(minutes) && minutes > 0)) {
    throw new DomainInputError('windowMinutes', 'a whole number of minutes greater than 0', minutes);
  }
  for (const unit of UNITS) {
    if (minutes % unit.minutes === 0) return `${minutes / unit.minutes}${unit.suffix}`;
  }
  // Unreachable: every whole number is a multiple of one minute.
  return `${minutes}m`;
}

/** '90m' -> 90, '1h' -> 60, '3d' -> 4320. `field` names the setting in the error message. */
export function parseWindow(text: string, field = 'window'): number {
  const match = typeof text === 'string' ? /^(\d+)([mhd])$/.exec(text.trim()) : null;
  const amount = match ? Number(match[1]) : 0;
  const unit = UNITS.find((candidate) => candidate.suffix === match?.[2]);
  if (!unit || !(amount > 0)) throw new InvalidWindowError(field, text);
  return amount * unit.minutes;
}

/** Rule name `<long>/<short>`, e.g. `1h/5m`. */
export function ruleName(longWindowMinutes: number, shortWindowMinutes: number): string {
  return `${formatWindow(longWindowMinutes)}/${formatWindow(shortWindowMinutes)}`;
}

export interface RuleFromFactorInput {
  readonly severity: Severity;
  readonly longWindowMinutes: number;
  /** @default longWindowMinutes / 12, rounded to whole minutes (Workbook: the short window is 1/12 of the long one). */
  readonly shortWindowMinutes?: number;
  /** Burn-rate factor both windows must reach, e.g. 14.4. */
  readonly burnRate: number;
}

export interface RuleFromBudgetInput {
  readonly severity: Severity;
  readonly longWindowMinutes: number;
  /** @default longWindowMinutes / 12, rounded to whole minutes. */
  readonly shortWindowMinutes?: number;
  /** Share of the period's budget (percent) that, spent within the long window, should alert. */
  readonly budgetPercent: number;
  readonly periodDays: number;
}

/** The Workbook's short window: 1/12 of the long one, so an alert resets soon after the burn stops. */
export function defaultShortWindowMinutes(longWindowMinutes: number): number {
  return Math.max(1, Math.round(longWindowMinutes / 12));
}

export function ruleFromFactor(input: RuleFromFactorInput): BurnRateRule {
  if (input.severity !== 'page' && input.severity !== 'ticket') {
    throw new DomainInputError('severity', '"page" or "ticket"', input.severity);
  }
  const longWindowMinutes = input.longWindowMinutes;
  if (!(Number.isInteger(longWindowMinutes) && longWindowMinutes > 1)) {
    throw new DomainInputError('longWindowMinutes', 'a whole number of minutes greater than 1', longWindowMinutes);
  }
  const shortWindowMinutes = input.shortWindowMinutes ?? defaultShortWindowMinutes(longWindowMinutes);
  if (!(Number.isInteger(shortWindowMinutes) && shortWindowMinutes > 0 && shortWindowMinutes < longWindowMinutes)) {
    throw new DomainInputError(
      'shortWindowMinutes',
      `a whole number of minutes greater than 0 and less than longWindowMinutes (${longWindowMinutes})`,
      shortWindowMinutes,
    );
  }
  requirePositive('burnRate', input.burnRate);
  return {
    name: ruleName(longWindowMinutes, shortWindowMinutes),
    severity: input.severity,
    longWindowMinutes,
    shortWindowMinutes,
    burnRate: input.burnRate,
  };
}

/** E.g. "ticket when 10 % of the monthly budget is spent within 3 days". */
export function ruleFromBudget(input: RuleFromBudgetInput): BurnRateRule {
  return ruleFromFactor({
    severity: input.severity,
    longWindowMinutes: input.longWindowMinutes,
    shortWindowMinutes: input.shortWindowMinutes,
    burnRate: burnRateFactor(input.budgetPercent, input.longWindowMinutes, input.periodDays),
  });
}

/**
 * The Workbook's recommended multiwindow multi-burn-rate policy: page on 2 % of the budget in 1h (5m short
 * window) or 5 % in 6h (30m), ticket on 10 % in 3d (6h). For a 30-day period the factors are 14.4, 6 and 1.
 */
export function sreWorkbookPolicy(periodDays = 30): BurnRateRule[] {
  return [
    ruleFromBudget({ severity: 'page', longWindowMinutes: 60, budgetPercent: 2, periodDays }),
    ruleFromBudget({ severity: 'page', longWindowMinutes: 6 * 60, budgetPercent: 5, periodDays }),
    ruleFromBudget({ severity: 'ticket', longWindowMinutes: 3 * 24 * 60, budgetPercent: 10, periodDays }),
  ];
}

/**
 * Low traffic makes single events look like outages: below 100 events an hour one error is >= 1 % errors, a
 * 10x burn at 99.9 % and close to paging. So the long window needs 100 events before its ratio counts as
 * evidence, and the short window needs 3 bad events so that one or two stray failures never page anyone.
 */
export const DEFAULT_TRAFFIC_GUARD: TrafficGuard = {
  minEventsInLongWindow: 100,
  minBadEventsInShortWindow: 3,
};

/** Re-keys values stored per window in minutes (`{ "60": 15.2 }`) by window label (`{ "1h": 15.2 }`) for people. */
export function labelWindows(byMinutes: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(byMinutes).map(([minutes, value]) => [formatWindow(Number(minutes)), value]));
}
