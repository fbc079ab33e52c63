/**
 * How well each rule did against labelled incidents, with the SRE Workbook's measures ("Alerting on SLOs"):
 * precision (alerts that were real), recall (incidents that were alerted on), detection time (how long after the
 * incident started the rule fired) and reset time (how long after it ended the rule stopped firing).
 */
import { MINUTE_MS } from '../../lambda/domain/model';
import type { BurnRateRule, Severity } from '../../lambda/domain/model';
import type { BacktestAlert } from './replay';

/** A labelled incident: the tenant was impaired in [start, end) (epoch ms). */
export interface LabelledIncident {
  readonly tenant: string;
  readonly start: number;
  readonly end: number;
}

export interface RuleScore {
  readonly rule: string;
  readonly severity: Severity;
  /** Alerts overlapping a labelled incident of their tenant / all alerts of the rule; null without alerts. */
  readonly precision: number | null;
  /** Incidents with an overlapping alert of the rule / all incidents; null without incidents. */
  readonly recall: number | null;
  /** Mean of firedAt - incident start over detected incidents (negative when the rule fired before the labelled start). */
  readonly meanDetectionMinutes: number | null;
  /** Mean of resolvedAt - incident end over detected incidents whose alert resolved within the data. */
  readonly meanResetMinutes: number | null;
}

/** An alert still firing at the end of the data overlaps everything after its start. */
function overlaps(alert: BacktestAlert, incident: LabelledIncident): boolean {
  return alert.firedAt < incident.end && (alert.resolvedAt ?? Infinity) > incident.start;
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

/** One score per rule, in the SLO's rule order. */
export function scoreRules(rules: readonly BurnRateRule[], alerts: readonly BacktestAlert[], incidents: readonly LabelledIncident[]): RuleScore[] {
  const incidentsOf = groupBy(incidents, (incident) => incident.tenant);
  const alertsOfRule = groupBy(alerts, (alert) => alert.rule);
  return rules.map((rule) => {
    const ruleAlerts = alertsOfRule.get(rule.name) ?? [];
    const real = ruleAlerts.filter((alert) => (incidentsOf.get(alert.tenant) ?? []).some((incident) => overlaps(alert, incident)));
    const byTenant = groupBy(ruleAlerts, (alert) => alert.tenant);
    const detections: number[] = [];
    const resets: number[] = [];
    for (const incident of incidents) {
      const matching = (byTenant.get(incident.tenant) ?? []).filter((alert) => overlaps(alert, incident));
      if (matching.length === 0) continue;
      const first = matching.reduce((a, b) => (b.firedAt < a.firedAt ? b : a));
      const last = matching.reduce((a, b) => (b.firedAt > a.firedAt ? b : a));
      detections.push((first.firedAt - incident.start) / MINUTE_MS);
      if (last.resolvedAt !== null) resets.push((last.resolvedAt - incident.end) / MINUTE_MS);
    }
    return {
      rule: rule.name,
      severity: rule.severity,
      precision: ruleAlerts.length === 0 ? null : real.length / ruleAlerts.length,
      recall: incidents.length === 0 ? null : detections.length / incidents.length,
      meanDetectionMinutes: mean(detections),
      meanResetMinutes: mean(resets),
    };
  });
}
