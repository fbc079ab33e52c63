/**
 * The `reports` section of the configuration: the monthly per-tenant SLO report the stack writes on the first of
 * each month (previous month, every SLO) to the forensic bucket under `reports/YYYY-MM/` and announces on the
 * alert topic. Validation lists every problem as `<path>: <allowed>, got <given>`; normalisation applies exactly
 * the documented defaults.
 */
import type { ConfigPath } from './errors';
import type { ConfigChecker, NumberRule } from './validate';

export interface ReportsProps {
  /**
   * Whether the stack writes the monthly report.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * When the report runs: an EventBridge cron expression in UTC with six fields. It reports the calendar month
   * before the one it runs in, so keep it early in the month, after the month's last data has arrived.
   * @default 'cron(0 2 1 * ? *)' (02:00 UTC on the 1st)
   */
  readonly schedule?: string;
  /**
   * Timeout of the report function in seconds (60 to 900): one GetMetricData pass per SLO over the month plus one
   * small query per incident.
   * @default 300
   */
  readonly timeoutSeconds?: number;
}

export const REPORTS_DEFAULTS = {
  enabled: true,
  schedule: 'cron(0 2 1 * ? *)',
  timeoutSeconds: 300,
} as const;

/** What the monthly report construct needs, every default applied. */
export interface NormalizedReportsConfig {
  readonly enabled: boolean;
  readonly schedule: string;
  readonly timeoutSeconds: number;
}

const REPORTS_FIELDS = ['enabled', 'schedule', 'timeoutSeconds'] as const;
const TIMEOUT_SECONDS: NumberRule = { integer: true, min: 60, max: 900 };
/** `cron(minutes hours day-of-month month day-of-week year)`: six space-separated fields of cron characters. */
export const EVENTBRIDGE_CRON = /^cron\((?:[0-9A-Za-z*?,/#L-]+ ){5}[0-9A-Za-z*?,/#L-]+\)$/;

/** Every problem of the `reports` section, added to `c`. */
export function checkReports(c: ConfigChecker, path: ConfigPath, value: unknown): void {
  const reports = c.object(path, value, REPORTS_FIELDS, `an object with some of ${REPORTS_FIELDS.join(', ')}`, false);
  if (reports === undefined) return;
  c.boolean([...path, 'enabled'], reports.enabled);
  c.string([...path, 'schedule'], reports.schedule, {
    pattern: EVENTBRIDGE_CRON,
    allowed: 'must be an EventBridge cron expression with six fields, e.g. "cron(0 2 1 * ? *)"',
    literal: true,
  });
  c.number([...path, 'timeoutSeconds'], reports.timeoutSeconds, TIMEOUT_SECONDS);
}

/** Applies exactly the documented defaults (an explicit `undefined` is "not set"). */
export function normalizeReportsProps(props: ReportsProps | undefined): NormalizedReportsConfig {
  return {
    enabled: props?.enabled ?? REPORTS_DEFAULTS.enabled,
    schedule: props?.schedule ?? REPORTS_DEFAULTS.schedule,
    timeoutSeconds: props?.timeoutSeconds ?? REPORTS_DEFAULTS.timeoutSeconds,
  };
}
