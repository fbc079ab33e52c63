/**
 * The backtest's output: one JSON document (`--format json`, the contract in README "Backtest") or tables for
 * people. Times are ISO-8601 in UTC.
 */
import type { SloDefinition } from '../../lambda/domain/model';
import { formatTable, isoMinute } from './cli';
import type { BacktestAlert, ReplayResult } from './replay';
import type { RuleScore } from './score';

export interface BacktestAlertJson {
  readonly tenant: string;
  readonly slo: string;
  readonly severity: BacktestAlert['severity'];
  readonly rule: string;
  readonly firedAt: string;
  readonly resolvedAt: string | null;
}

/** The `--format json` document: `rules` only when labelled incidents were given. */
export interface BacktestJson {
  readonly alerts: readonly BacktestAlertJson[];
  readonly rules?: readonly RuleScore[];
}

export function backtestJson(alerts: readonly BacktestAlert[], scores: readonly RuleScore[] | null): BacktestJson {
  return {
    alerts: alerts.map((alert) => ({
      tenant: alert.tenant,
      slo: alert.slo,
      severity: alert.severity,
      rule: alert.rule,
      firedAt: new Date(alert.firedAt).toISOString(),
      resolvedAt: alert.resolvedAt === null ? null : new Date(alert.resolvedAt).toISOString(),
    })),
    ...(scores !== null && { rules: scores }),
  };
}

/** 5 -> `5m`, 135 -> `2h15m`, 2940 -> `2d1h`. */
export function formatMinutes(minutes: number): string {
  const whole = Math.round(minutes);
  const sign = whole < 0 ? '-' : '';
  const m = Math.abs(whole);
  if (m < 60) return `${sign}${m}m`;
  if (m < 24 * 60) return `${sign}${Math.floor(m / 60)}h${m % 60 === 0 ? '' : `${m % 60}m`}`;
  const hours = Math.floor((m % (24 * 60)) / 60);
  return `${sign}${Math.floor(m / (24 * 60))}d${hours === 0 ? '' : `${hours}h`}`;
}

const percent = (value: number | null): string => (value === null ? '-' : `${(value * 100).toFixed(0)}%`);
const minutes = (value: number | null): string => (value === null ? '-' : formatMinutes(value));

export interface BacktestTableInput {
  readonly slo: SloDefinition;
  readonly input: string;
  readonly replay: ReplayResult;
  readonly scores: readonly RuleScore[] | null;
  readonly incidents: number;
}

export function backtestTable({ slo, input, replay, scores, incidents }: BacktestTableInput): string {
  const rules = slo.rules.map((rule) => `${rule.severity} ${rule.name} @${Number(rule.burnRate.toFixed(2))}x`).join(', ');
  const span = replay.from === null || replay.to === null ? 'no rows' : `${isoMinute(replay.from)} to ${isoMinute(replay.to)}`;
  const lines = [
    `SLO ${slo.name}: ${slo.objectivePercent}% over ${slo.periodDays}d; rules ${rules}`,
    `Replayed ${input}: ${replay.tenants.toLocaleString('en-US')} tenants, ${replay.rows.toLocaleString('en-US')} rows, ${span}`,
    '',
  ];
  if (replay.alerts.length === 0) {
    lines.push('No rule fired.');
  } else {
    lines.push(`Alerts (${replay.alerts.length}): intervals in which a rule fired`);
    lines.push(
      formatTable(
        ['FIRED', 'RESOLVED', 'FOR', 'TENANT', 'SEVERITY', 'RULE'],
        replay.alerts.map((alert) => [
          isoMinute(alert.firedAt),
          alert.resolvedAt === null ? 'still firing' : isoMinute(alert.resolvedAt),
          formatMinutes(((alert.resolvedAt ?? replay.to ?? alert.firedAt) - alert.firedAt) / 60_000),
          alert.tenant,
          alert.severity,
          alert.rule,
        ]),
      ),
    );
  }
  if (scores !== null) {
    lines.push('', `Rules against ${incidents} labelled incident(s)`);
    const alertsOf = (rule: string): number => replay.alerts.filter((alert) => alert.rule === rule).length;
    lines.push(
      formatTable(
        ['RULE', 'SEVERITY', 'ALERTS', 'PRECISION', 'RECALL', 'MEAN DETECTION', 'MEAN RESET'],
        scores.map((score) => [
          score.rule,
          score.severity,
          String(alertsOf(score.rule)),
          percent(score.precision),
          percent(score.recall),
          minutes(score.meanDetectionMinutes),
          minutes(score.meanResetMinutes),
        ]),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
