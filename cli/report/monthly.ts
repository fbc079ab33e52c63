/**
 * The offline source of the monthly report: a minute series replayed through the backtest's replay
 * (`BacktestReplay`, the evaluator's own rules), so a report and a backtest never disagree. Rows before the month
 * are history for the alert windows only. The figures themselves come from lambda/domain/report.ts, the same
 * computation the deployed report uses.
 */
import { errorBudget } from '../../lambda/domain/burn';
import { DomainInputError } from '../../lambda/domain/burn';
import { HOUR_MS } from '../../lambda/domain/model';
import type { SloDefinition } from '../../lambda/domain/model';
import {
  addBadMinute,
  detectMinutes,
  hoursIn,
  isBadMinute,
  mergeAlertIntervals,
  reportMonth,
  tenantMonthRow,
  worstFirst,
} from '../../lambda/domain/report';
import type { BadRun, MonthReport, ReportIncident, ReportMonth, TenantMonthReport } from '../../lambda/domain/report';
import { BacktestReplay } from '../backtest/replay';
import type { BacktestAlert, ReplayOptions } from '../backtest/replay';
import { CliUsageError } from '../backtest/cli';

export type { MonthReport, ReportIncident, ReportMonth, TenantMonthReport } from '../../lambda/domain/report';

/** `--month YYYY-MM` as a UTC calendar month; a CliUsageError naming the option otherwise. */
export function parseMonth(text: string): ReportMonth {
  try {
    return reportMonth(text, '--month');
  } catch (error) {
    if (!(error instanceof DomainInputError)) throw error;
    throw new CliUsageError(`--month: must be a calendar month YYYY-MM (UTC), e.g. 2026-03, got ${JSON.stringify(text)}`);
  }
}

/** The series has no row inside the month: there is nothing to report on, which is not an empty report. */
export class ReportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportInputError';
  }
}

interface TenantMonth {
  total: number;
  bad: number;
  badMinutes: number;
  inMonth: boolean;
  readonly badRuns: BadRun[];
  /** Bad events per hour of the month, for the budget-remaining sparkline. */
  readonly hourlyBad: Float64Array;
}

/** Accumulates one SLO's per-tenant minute rows (in time order) into the month's report. */
export class MonthReportBuilder {
  private readonly replay: BacktestReplay;
  private readonly tenants = new Map<string, TenantMonth>();
  private readonly hours: number;
  private lastMinute = -Infinity;
  private afterMonth = 0;

  constructor(
    private readonly slo: SloDefinition,
    private readonly month: ReportMonth,
    replayOptions: ReplayOptions = {},
  ) {
    this.replay = new BacktestReplay(slo, replayOptions);
    this.hours = hoursIn(month);
  }

  /** One tenant's counts of the minute starting at `minute` (epoch ms); minutes must not go back (the replay checks). */
  add(tenant: string, minute: number, total: number, bad: number): void {
    if (minute >= this.month.end) {
      // Later data cannot change the month: alerts are judged on what was known at the time.
      this.afterMonth += 1;
      return;
    }
    this.replay.add(tenant, minute, total, bad);
    this.lastMinute = minute;
    const state = this.tenants.get(tenant) ?? this.admit(tenant);
    if (isBadMinute(total, bad, errorBudget(this.objectivePercentOf(tenant)))) {
      // Runs before the month count too: a burn that started in the last month is detected from its first minute.
      addBadMinute(state.badRuns, minute);
      if (minute >= this.month.start) state.badMinutes += 1;
    }
    if (minute < this.month.start) return;
    state.inMonth = true;
    state.total += total;
    state.bad += bad;
    state.hourlyBad[Math.floor((minute - this.month.start) / HOUR_MS)]! += bad;
  }

  finish(): MonthReport {
    const replayed = this.replay.finish();
    if (![...this.tenants.values()].some((state) => state.inMonth)) {
      throw new ReportInputError(`no rows in ${this.month.label}: the series must have rows from ${new Date(this.month.start).toISOString()} on`);
    }
    const pagesByTenant = new Map<string, BacktestAlert[]>();
    for (const alert of replayed.alerts) {
      if (alert.severity !== 'page') continue;
      pagesByTenant.set(alert.tenant, [...(pagesByTenant.get(alert.tenant) ?? []), alert]);
    }
    const lastHour = Math.min(this.hours, Math.floor((this.lastMinute - this.month.start) / HOUR_MS) + 1);
    const rows: TenantMonthReport[] = [];
    for (const [tenant, state] of this.tenants) {
      if (!state.inMonth || !replayed.replayedTenants.has(tenant) || replayed.ignoredTenants.has(tenant)) continue;
      const incidents: ReportIncident[] = mergeAlertIntervals(pagesByTenant.get(tenant) ?? [], this.month).map((incident) => ({
        ...incident,
        detectMinutes: detectMinutes(incident.firedAt, state.badRuns),
        incidentId: null,
        actionsTaken: null,
        actionsWorked: null,
      }));
      rows.push(
        tenantMonthRow({
          tenant,
          slo: this.slo.name,
          objectivePercent: this.objectivePercentOf(tenant),
          total: state.total,
          bad: state.bad,
          hourlyBad: state.hourlyBad,
          lastHour,
          badMinutes: state.badMinutes,
          incidents,
        }),
      );
    }
    return { month: this.month, rows: worstFirst(rows), ignoredTenants: replayed.ignoredTenants, rowsAfterMonth: this.afterMonth };
  }

  private admit(tenant: string): TenantMonth {
    const state: TenantMonth = { total: 0, bad: 0, badMinutes: 0, inMonth: false, badRuns: [], hourlyBad: new Float64Array(this.hours) };
    this.tenants.set(tenant, state);
    return state;
  }

  private objectivePercentOf(tenant: string): number {
    return this.slo.overrides[tenant]?.objectivePercent ?? this.slo.objectivePercent;
  }
}
