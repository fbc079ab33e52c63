/**
 * The per-tenant monthly SLO report: attainment, budget consumed, bad minutes and incidents over one calendar
 * month (UTC). Rows before the month are history for the alert windows only; the incidents come from the
 * backtest's replay (`BacktestReplay`, the evaluator's own rules), so a report and a backtest never disagree.
 */
import { errorBudget } from '../../lambda/domain/burn';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { SloDefinition } from '../../lambda/domain/model';
import { BacktestReplay } from '../backtest/replay';
import type { BacktestAlert, ReplayOptions } from '../backtest/replay';
import { CliUsageError } from '../backtest/cli';

/** A calendar month in UTC: `[start, end)` in epoch ms. */
export interface ReportMonth {
  /** `YYYY-MM` */
  readonly label: string;
  readonly start: number;
  readonly end: number;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** `--month YYYY-MM` as a UTC calendar month; a CliUsageError naming the option otherwise. */
export function parseMonth(text: string): ReportMonth {
  const match = MONTH.exec(text);
  if (!match) throw new CliUsageError(`--month: must be a calendar month YYYY-MM (UTC), e.g. 2026-03, got ${JSON.stringify(text)}`);
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  return { label: text, start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
}

/** The series has no row inside the month: there is nothing to report on, which is not an empty report. */
export class ReportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportInputError';
  }
}

/** One contiguous interval in which any page rule fired for a tenant. */
export interface ReportIncident {
  /** End of the first minute in which a page rule fired (epoch ms). */
  readonly firedAt: number;
  /** End of the first minute in which no page rule fired any more; null when still firing at the end of the data. */
  readonly resolvedAt: number | null;
  /** resolvedAt - firedAt; null while firing. */
  readonly durationMinutes: number | null;
  /** firedAt - the first bad minute of the run of bad minutes it fired on; null when no bad minute preceded it. */
  readonly detectMinutes: number | null;
}

export interface TenantMonthReport {
  readonly tenant: string;
  readonly slo: string;
  /** The tenant's objective as a fraction (0.999), overrides applied. */
  readonly objective: number;
  /** good / total over the month's minutes, as a fraction; null without traffic. */
  readonly attainment: number | null;
  /** bad / ((1 - objective) x total) x 100; over 100 when the month's budget is breached; 0 without traffic. */
  readonly budgetConsumedPercent: number;
  /** Minutes of the month whose error ratio exceeded 1 - objective (the error budget rate). */
  readonly badMinutes: number;
  readonly incidents: readonly ReportIncident[];
  /** Mean detectMinutes over the incidents that have one; null when none. */
  readonly mttdMinutes: number | null;
  /** Mean durationMinutes over the resolved incidents; null when none. */
  readonly mttmMinutes: number | null;
  /** Budget remaining (1 - consumed share of the month's budget) at the end of each hour of the month with data. */
  readonly budgetRemainingHourly: readonly number[];
}

export interface MonthReport {
  readonly month: ReportMonth;
  /** Worst first: most budget consumed, then lowest attainment, then tenant id. */
  readonly rows: readonly TenantMonthReport[];
  /** Tenants whose rows were read but not reported, with why (as the replay would not evaluate them). */
  readonly ignoredTenants: ReadonlyMap<string, string>;
  /** Rows after the month, not read into anything. */
  readonly rowsAfterMonth: number;
}

/** A run of consecutive bad minutes, `[start, end)` in epoch ms. */
interface BadRun {
  start: number;
  end: number;
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

// Reported figures are rounded so float noise (50.00000000000001 %) does not reach a report; 9 decimals keep
// attainment exact enough for 99.999 % objectives.
const round = (value: number, digits: number): number => Number(value.toFixed(digits));

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
    this.hours = (month.end - month.start) / HOUR_MS;
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
    if (total > 0 && bad / total > this.budgetOf(tenant)) {
      const last = state.badRuns[state.badRuns.length - 1];
      if (last !== undefined && last.end === minute) last.end = minute + MINUTE_MS;
      else state.badRuns.push({ start: minute, end: minute + MINUTE_MS });
      if (minute >= this.month.start) state.badMinutes += 1;
    }
    if (minute < this.month.start) return;
    state.inMonth = true;
    state.total += total;
    state.bad += bad;
    const hour = Math.floor((minute - this.month.start) / HOUR_MS);
    state.hourlyBad[hour]! += bad;
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
      rows.push(this.tenantRow(tenant, state, pagesByTenant.get(tenant) ?? [], lastHour));
    }
    rows.sort(
      (a, b) =>
        b.budgetConsumedPercent - a.budgetConsumedPercent ||
        (a.attainment ?? 1) - (b.attainment ?? 1) ||
        (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0),
    );
    return { month: this.month, rows, ignoredTenants: replayed.ignoredTenants, rowsAfterMonth: this.afterMonth };
  }

  private admit(tenant: string): TenantMonth {
    const state: TenantMonth = { total: 0, bad: 0, badMinutes: 0, inMonth: false, badRuns: [], hourlyBad: new Float64Array(this.hours) };
    this.tenants.set(tenant, state);
    return state;
  }

  private objectivePercentOf(tenant: string): number {
    return this.slo.overrides[tenant]?.objectivePercent ?? this.slo.objectivePercent;
  }

  private budgetOf(tenant: string): number {
    return errorBudget(this.objectivePercentOf(tenant));
  }

  private tenantRow(tenant: string, state: TenantMonth, pages: readonly BacktestAlert[], lastHour: number): TenantMonthReport {
    const budget = this.budgetOf(tenant);
    const allowedBad = budget * state.total;
    const incidents = incidentsOf(pages, this.month).map((incident) => ({ ...incident, detectMinutes: detectMinutes(incident.firedAt, state.badRuns) }));
    const detected = incidents.flatMap((incident) => (incident.detectMinutes === null ? [] : [incident.detectMinutes]));
    const resolved = incidents.flatMap((incident) => (incident.durationMinutes === null ? [] : [incident.durationMinutes]));
    const budgetRemainingHourly: number[] = [];
    let cumulativeBad = 0;
    for (let hour = 0; hour < lastHour; hour += 1) {
      cumulativeBad += state.hourlyBad[hour]!;
      budgetRemainingHourly.push(allowedBad === 0 ? 1 : round(1 - cumulativeBad / allowedBad, 6));
    }
    return {
      tenant,
      slo: this.slo.name,
      objective: round(this.objectivePercentOf(tenant) / 100, 9),
      attainment: state.total === 0 ? null : round(1 - state.bad / state.total, 9),
      budgetConsumedPercent: allowedBad === 0 ? 0 : round((100 * state.bad) / allowedBad, 6),
      badMinutes: state.badMinutes,
      incidents,
      mttdMinutes: mean(detected),
      mttmMinutes: mean(resolved),
      budgetRemainingHourly,
    };
  }
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : round(values.reduce((sum, value) => sum + value, 0) / values.length, 6);
}

/**
 * Merges a tenant's page alerts into incidents: intervals in which any page rule fired, touching intervals
 * joined. An incident belongs to the month in which it fired.
 */
function incidentsOf(pages: readonly BacktestAlert[], month: ReportMonth): Omit<ReportIncident, 'detectMinutes'>[] {
  const sorted = [...pages].sort((a, b) => a.firedAt - b.firedAt);
  const merged: { firedAt: number; resolvedAt: number | null }[] = [];
  for (const alert of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && (last.resolvedAt === null || alert.firedAt <= last.resolvedAt)) {
      if (last.resolvedAt !== null) last.resolvedAt = alert.resolvedAt === null ? null : Math.max(last.resolvedAt, alert.resolvedAt);
      continue;
    }
    merged.push({ firedAt: alert.firedAt, resolvedAt: alert.resolvedAt });
  }
  return merged
    .filter((incident) => incident.firedAt >= month.start && incident.firedAt < month.end)
    .map((incident) => ({
      ...incident,
      durationMinutes: incident.resolvedAt === null ? null : (incident.resolvedAt - incident.firedAt) / MINUTE_MS,
    }));
}

/**
 * Time to detect: from the first minute of the run of bad minutes the page fired on (the last run that started
 * before it fired) to the firing. A clean minute ends a run, so a burn interrupted by a good minute counts from
 * after the interruption.
 */
function detectMinutes(firedAt: number, runs: readonly BadRun[]): number | null {
  for (let i = runs.length - 1; i >= 0; i -= 1) {
    const run = runs[i]!;
    if (run.start < firedAt) return (firedAt - run.start) / MINUTE_MS;
  }
  return null;
}
