/**
 * `burnwatch backtest` for time-slice SLOs and calendar periods: a threshold SLO replays `timestamp,tenant,value`
 * (the per-minute p99) and pages at the minute the SRE Workbook's detection-time formula gives; a ratio SLO judged
 * per minute against timeSliceTarget replays the usual `timestamp,tenant,total,bad`; a wrong header names the one
 * the SLO's kind needs; a calendar month starting mid-series leaves the burn-rate windows rolling. The output
 * contract (alerts, JSON shape) is the same as for event-counted SLOs.
 */
import { Readable } from 'node:stream';
import { backtestCommand } from '../../cli/backtest/main';
import { CsvInputError, readSloSeriesCsv } from '../../cli/backtest/csv';
import { BacktestReplay, ReplayInputError } from '../../cli/backtest/replay';
import type { BacktestAlert } from '../../cli/backtest/replay';
import type { BacktestJson } from '../../cli/backtest/report';
import { MINUTE_MS } from '../../lambda/domain/model';
import type { BurnRateRule, SloDefinition } from '../../lambda/domain/model';
import { apiAvailabilityYaml, runWithCapturedIo, useTempDir } from '../support/cli';
import { apiSlo } from '../support/slo-fixture';

const T0 = Date.UTC(2026, 2, 2); // an hour boundary
const at = (minute: number): number => T0 + minute * MINUTE_MS;
const iso = (minute: number): string => new Date(at(minute)).toISOString();

/** 99 % of minutes with the p99 of Latency at or under 300 ms; the Workbook's rules for 30 days by default. */
const THRESHOLD_SLO_YAML = `
slos:
  - name: api-latency
    objective: 99
    sli:
      namespace: MyService
      tenantDimension: TenantId
      threshold:
        metric: { metricName: Latency, stat: p99 }
        op: lte
        value: 300
`;

/** 99.9 % of requests without errors, event-counted. */
const RATIO_SLO_YAML = apiAvailabilityYaml();

/** 99 % of minutes in which at least 99 % of requests succeed. */
const RATIO_SLICES_YAML = RATIO_SLO_YAML.replace('objective: 99.9', 'objective: 99\n    budgeting: timeslices\n    timeSliceTarget: 0.99').replace('api-availability', 'api-good-minutes');

// 6 hours of p99 = 120 ms, then p99 = 900 ms for 30 minutes, then 120 ms for an hour.
const BREACH_START = 360;
const BREACH_MINUTES = 30;
const SERIES_MINUTES = BREACH_START + BREACH_MINUTES + 60;
const inBreach = (minute: number): boolean => minute >= BREACH_START && minute < BREACH_START + BREACH_MINUTES;

const { file } = useTempDir('burnwatch-backtest-slices-');

function lines(header: string, minutes: number, row: (minute: number) => string): string {
  return [header, ...Array.from({ length: minutes }, (_, minute) => `${iso(minute)},${row(minute)}`)].join('\n') + '\n';
}

const p99Series = lines('timestamp,tenant,value', SERIES_MINUTES, (minute) => `acme,${inBreach(minute) ? 900 : 120}`);
const countSeries = lines('timestamp,tenant,total,bad', SERIES_MINUTES, (minute) => `acme,1000,${inBreach(minute) ? 20 : 5}`);

async function runBacktest(slo: string, series: string): Promise<{ code: number; json: BacktestJson | null; stderr: string }> {
  const { code, stdout, stderr } = await runWithCapturedIo((io) => backtestCommand(new Map([['slo', slo], ['series', series], ['format', 'json'], ['quiet', '']]), io));
  return { code, json: code === 0 ? (JSON.parse(stdout) as BacktestJson) : null, stderr };
}

describe('burnwatch backtest: a threshold SLO (p99 per minute)', () => {
  // After k bad minutes of 1-minute slices the 1h window burns at (k / 60) / 0.01 and the 5m window at
  // (min(k, 5) / 5) / 0.01 (20 at k = 1). 1h/5m needs 14.4 on both: k >= 0.01 x 14.4 x 60 = 8.64, the Workbook's
  // detection time at 100 % errors, so it fires at the end of the 9th bad minute. The 6h window holds the 360 clean
  // minutes before the breach: 6h/30m needs k / 360 >= 0.06, k >= 21.6, so the 22nd. Once the breach ends, 1h/5m
  // stops when the 5m window is clean, 5 minutes later.
  it('pages on 1h/5m at the end of the 9th minute of p99 above 300 ms, and on 6h/30m at the 22nd', async () => {
    // Prepare
    const slo = file('latency-slo.yaml', THRESHOLD_SLO_YAML);
    const series = file('latency.csv', p99Series);

    // Act
    const { code, json, stderr } = await runBacktest(slo, series);

    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const pages = json?.alerts.filter((alert) => alert.severity === 'page');
    expect(pages?.map(({ rule, firedAt }) => ({ rule, firedAt }))).toEqual([
      { rule: '1h/5m', firedAt: iso(BREACH_START + Math.ceil(0.01 * 14.4 * 60)) },
      { rule: '6h/30m', firedAt: iso(BREACH_START + Math.ceil(0.01 * 6 * 360)) },
    ]);
    expect(pages?.[0]).toEqual({ tenant: 'acme', slo: 'api-latency', severity: 'page', rule: '1h/5m', firedAt: iso(369), resolvedAt: iso(BREACH_START + BREACH_MINUTES + 5) });
  });

  it.each([
    {
      name: 'a threshold SLO given total,bad names the value header',
      yaml: THRESHOLD_SLO_YAML,
      series: countSeries,
      message: /header must be timestamp,tenant,value \(any order\): the SLO "api-latency" has a threshold SLI, whose series is timestamp,tenant,value \(the per-minute p99 of Latency\), got "timestamp,tenant,total,bad"/,
    },
    {
      name: 'a ratio SLO given value names the total,bad header',
      yaml: RATIO_SLO_YAML,
      series: p99Series,
      message: /header must be timestamp,tenant,total,bad \(any order\): the SLO "api-availability" has a ratio SLI, whose series is timestamp,tenant,total,bad \(timestamp,tenant,value is for threshold SLIs\), got "timestamp,tenant,value"/,
    },
  ])('$name, and exits 1', async ({ yaml, series, message }) => {
    // Prepare
    const slo = file('wrong-header-slo.yaml', yaml);
    const seriesFile = file('wrong-header.csv', series);

    // Act
    const { code, stderr } = await runBacktest(slo, seriesFile);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
  });
});

describe('burnwatch backtest: a ratio SLO budgeted by time slices', () => {
  it('judges each minute by its good ratio against timeSliceTarget and pages at the same minute as the p99 breach', async () => {
    // Prepare: 1,000 requests a minute, 5 bad (0.995: a good minute) or 20 bad in the breach (0.98: a bad minute).
    // Counted by events the 1h window would burn at only 20 x 9 / 60,000 / 0.01 = 0.3 at the 9th minute.
    const slo = file('good-minutes-slo.yaml', RATIO_SLICES_YAML);
    const series = file('good-minutes.csv', countSeries);

    // Act
    const { code, json, stderr } = await runBacktest(slo, series);

    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(json?.alerts.find((alert) => alert.rule === '1h/5m')?.firedAt).toBe(iso(BREACH_START + Math.ceil(0.01 * 14.4 * 60)));
  });
});

describe('readSloSeriesCsv', () => {
  const p99Slo: SloDefinition = {
    ...apiSlo({ objectivePercent: 99 }),
    sli: {
      kind: 'threshold',
      namespace: 'MyService',
      tenantDimension: 'TenantId',
      dimensions: {},
      metric: { id: 'latency', metricName: 'Latency', stat: 'p99' },
      op: 'lte',
      threshold: 300,
    },
    timeSlices: { sliceMinutes: 1, timeSliceTarget: null },
  };

  async function rows(slo: SloDefinition, text: string): Promise<[string, number, number, number][]> {
    const received: [string, number, number, number][] = [];
    await readSloSeriesCsv(Readable.from([text]), 'series.csv', slo, (tenant, minute, total, bad) => received.push([tenant, minute, total, bad]));
    return received;
  }

  it('passes a threshold SLO\'s minutes on as 1-minute slices, bad above the threshold, in any column order', async () => {
    // Act
    const received = await rows(p99Slo, `value,timestamp,tenant\n300,${iso(0)},acme\n301,${iso(0)},globex\n`);

    // Assess
    expect(received).toEqual([
      ['acme', at(0), 1, 0],
      ['globex', at(0), 1, 1],
    ]);
  });

  it('passes a minute without requests of a time-slice ratio SLO on as 0 of 0: a row, but no slice', async () => {
    // Prepare
    const slo = apiSlo({ timeSlices: { sliceMinutes: 1, timeSliceTarget: 0.99 } });

    // Act
    const received = await rows(slo, `timestamp,tenant,total,bad\n${iso(0)},acme,0,0\n${iso(1)},acme,100,1\n${iso(2)},acme,100,2\n`);

    // Assess
    expect(received).toEqual([
      ['acme', at(0), 0, 0],
      ['acme', at(1), 1, 0],
      ['acme', at(2), 1, 1],
    ]);
  });

  it.each([
    { name: 'a blank value', row: `${iso(0)},acme,`, message: /series\.csv:2: value: must be a finite number \(the minute's statistic, e\.g\. its p99\), got ""/ },
    { name: 'a value that is not a number', row: `${iso(0)},acme,fast`, message: /series\.csv:2: value: must be a finite number .*, got "fast"/ },
    { name: 'a timestamp off the minute', row: '2026-03-02T00:00:30Z,acme,120', message: /series\.csv:2: timestamp: must be an ISO-8601 time with a zone on a whole minute/ },
  ])('refuses $name, naming the line and the field', async ({ row, message }) => {
    // Act
    const act = rows(p99Slo, `timestamp,tenant,value\n${row}\n`);

    // Assess
    await expect(act).rejects.toThrow(CsvInputError);
    await expect(rows(p99Slo, `timestamp,tenant,value\n${row}\n`)).rejects.toThrow(message);
  });
});

describe('BacktestReplay: calendar periods and slice lengths', () => {
  const WORKBOOK_RULES: BurnRateRule[] = [
    { name: '1h/5m', severity: 'page', longWindowMinutes: 60, shortWindowMinutes: 5, burnRate: 14.4 },
    { name: '6h/30m', severity: 'page', longWindowMinutes: 360, shortWindowMinutes: 30, burnRate: 6 },
    { name: '3d/6h', severity: 'ticket', longWindowMinutes: 4320, shortWindowMinutes: 360, burnRate: 1 },
  ];

  function replayAlerts(slo: SloDefinition, from: number, minutes: number, badOf: (start: number) => number): BacktestAlert[] {
    const replay = new BacktestReplay(slo);
    for (let minute = 0; minute < minutes; minute += 1) {
      const start = from + minute * MINUTE_MS;
      replay.add('acme', start, 1000, badOf(start));
    }
    return [...replay.finish().alerts];
  }

  it('keeps the burn-rate windows rolling across a calendar month that starts mid-series: the same alerts as a rolling period', () => {
    // Prepare: from 28 February 18:00 UTC for 12 hours, a 100 % outage from 23:50 to 00:10 across the month start
    const march = Date.UTC(2026, 2, 1);
    const from = march - 6 * 60 * MINUTE_MS;
    const outage = (start: number): number => (start >= march - 10 * MINUTE_MS && start < march + 10 * MINUTE_MS ? 1000 : 0);
    const rolling = apiSlo({ rules: WORKBOOK_RULES });
    const monthly = apiSlo({ rules: WORKBOOK_RULES, calendar: { unit: 'month', timeZone: 'UTC' } });

    // Act
    const rollingAlerts = replayAlerts(rolling, from, 12 * 60, outage);
    const monthlyAlerts = replayAlerts(monthly, from, 12 * 60, outage);

    // Assess: at 100 % errors 1h/5m needs 0.001 x 14.4 x 60 = 0.864 minutes: it fires after the outage's first minute,
    // in February, and keeps firing into March, where the budget has reset
    expect(monthlyAlerts).toEqual(rollingAlerts);
    expect(monthlyAlerts.find((alert) => alert.rule === '1h/5m')).toMatchObject({ firedAt: march - 9 * MINUTE_MS, resolvedAt: march + 15 * MINUTE_MS });
  });

  it('refuses slices longer than a minute, naming the field', () => {
    // Prepare
    const slo = apiSlo({ timeSlices: { sliceMinutes: 5, timeSliceTarget: 0.99 } });

    // Act
    const act = (): BacktestReplay => new BacktestReplay(slo);

    // Assess
    expect(act).toThrow(ReplayInputError);
    expect(act).toThrow('timeSlices.sliceMinutes: must be 1 to replay minute rows; got 5');
  });
});
