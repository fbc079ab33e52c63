/** Turns the rule props of one SLO into the domain's burn-rate rules, through the domain's own policy helpers. */
import type { BurnRateRule } from '../../lambda/domain/model';
import { parseWindow, ruleFromBudget, ruleFromFactor, sreWorkbookPolicy } from '../../lambda/domain/policy';
import type { BurnRateRuleProps } from './props';

/** One custom rule; the props must have passed validation (exactly one of budgetPercent / burnRate). */
export function resolveBurnRateRule(rule: BurnRateRuleProps, periodDays: number): BurnRateRule {
  const longWindowMinutes = parseWindow(rule.longWindow, 'longWindow');
  const shortWindowMinutes = rule.shortWindow === undefined ? undefined : parseWindow(rule.shortWindow, 'shortWindow');
  if (rule.budgetPercent !== undefined) {
    return ruleFromBudget({ severity: rule.severity, longWindowMinutes, shortWindowMinutes, budgetPercent: rule.budgetPercent, periodDays });
  }
  if (rule.burnRate === undefined) {
    // Validation rejects this first; the guard keeps an unvalidated call from producing a rule without a factor.
    throw new Error('a burn-rate rule needs budgetPercent or burnRate');
  }
  return ruleFromFactor({ severity: rule.severity, longWindowMinutes, shortWindowMinutes, burnRate: rule.burnRate });
}

/** The SLO's rules: the custom ones when given, else the SRE Workbook policy for its period. */
export function resolveBurnRateRules(rules: readonly BurnRateRuleProps[] | undefined, periodDays: number): BurnRateRule[] {
  return rules === undefined ? sreWorkbookPolicy(periodDays) : rules.map((rule) => resolveBurnRateRule(rule, periodDays));
}
