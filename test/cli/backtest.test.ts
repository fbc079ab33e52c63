/**
 * `burnwatch backtest`: the replay through the evaluator's rules (numbers from the SRE Workbook), its equivalence
 * with the tiers an evaluator tick builds, the Workbook's precision / recall / detection / reset measures, the CSV
 * errors, and the command end to end through bin/burnwatch.ts's exported main.
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseOptions, UsageError } from '../../bin/burnwatch';
import { BACKTEST_OPTIONS, backtestCommand } from '../../cli/backtest/main';
import type { BacktestDeps } from '../../cli/backtest/main';
import type { CliIo } from '../../cli/backtest/cli';
import { CsvInputError, readIncidentsCsv, readSeriesCsv } from '../../cli/backtest/csv';
import { BacktestReplay } from '../../cli/backtest/replay';
import type { BacktestAlert, ReplayOptions, ReplayResult } from '../../cli/backtest/replay';
import { scoreRules } from '../../cli/backtest/score';
import type { LabelledIncident } from '../../cli/backtest/score';
import type { BacktestJson } from '../../cli/backtest/report';
import { seededRandom } from '../../cli/demo/scenario';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { BurnRateRule, CountBucket, SloDefinition, WindowCounts } from '../../lambda/domain/model';
import { activeRuleNames, evaluateTenant } from '../../lambda/domain/rules';
import { fineHorizonMinutes } from '../../lambda/usecases/evaluate-tick';
import { parseSloFile } from '../../lib/config/slo-file';
import { apiAvailabilityYaml, countSeriesCsv, runBurnwatch, useTempDir, type Traffic } from '../support/cli';

const T0 = Date.UTC(2026, 2, 2); // an hour boundary
const DAY_MINUTES = 24 * 60;
const at = (minutes: number): number => T0 + minutes * MINUTE_MS;
const iso = (minutes: number): string => new Date(at(minutes)).toISOString();

/** Two SLOs in one file: api-availability and other. */
function twoSloYaml(): string {
  return `${apiAvailabilityYaml()}${apiAvailabilityYaml().split('\n').slice(2).join('\n').replace('api-availability', 'other')}`;
}

/** A 99.9 % SLO over 30 days with the Workbook's default rules (1h/5m 14.4x page, 6h/30m 6x page, 3d/6h 1x ticket). */
function sloOf(alerting = ''): SloDefinition {
  return parseSloFile(apiAvailabilityYaml(alerting), 'slo.yaml').slo;
}

function replay(slo: SloDefinition, tenants: Readonly<Record<string, Traffic>>, minutes: number, options: ReplayOptions = {}): ReplayResult {
  const backtest = new BacktestReplay(slo, options);
  for (let minute = 0; minute < minutes; minute += 1) {
    for (const [tenant, traffic] of Object.entries(tenants)) {
      const counts = traffic(minute);
      if (counts !== null) backtest.add(tenant, at(minute), counts.total, counts.bad);
    }
  }
  return backtest.finish();
}

function alertsOf(result: ReplayResult, rule: string): BacktestAlert[] {
  return result.alerts.filter((alert) => alert.rule === rule);
}

// ---------------------------------------------------------------------------------------------------------
// Replay: Workbook numbers
// ---------------------------------------------------------------------------------------------------------

describe('backtest replay', () => {
  // 6 hours of clean history (the 1h and 6h windows are full), a 10-minute 100 % outage, an hour after it.
  const OUTAGE_START = 360;
  const OUTAGE_END = 370;
  const outage: Traffic = (minute) => ({ total: 1000, bad: minute >= OUTAGE_START && minute < OUTAGE_END ? 1000 : 0 });

  it('pages a 100 % outage on 1h/5m after 1 minute of data and resets 5 minutes after it ends', () => {
    // Prepare: Workbook detection time (1 - 0.999) x 14.4 x 60 min / 100 % = 0.864 min, so the first whole minute
    // fires; the 5m short window holds outage minutes until 5 minutes after the end.
    // Act
    const result = replay(sloOf(), { acme: outage }, OUTAGE_END + 60);
    // Assess
    expect(alertsOf(result, '1h/5m')).toEqual([
      { tenant: 'acme', slo: 'api-availability', severity: 'page', rule: '1h/5m', firedAt: at(OUTAGE_START + 1), resolvedAt: at(OUTAGE_END + 5) },
    ]);
  });

  it('pages the same outage on 6h/30m after the Workbook detection time and resets when the 30m window is clean', () => {
    // Prepare: (1 - 0.999) x 6 x 360 min / 100 % = 2.16 min, so the third minute fires.
    // Act
    const result = replay(sloOf(), { acme: outage }, OUTAGE_END + 60);
    // Assess
    expect(alertsOf(result, '6h/30m')).toEqual([
      expect.objectContaining({ severity: 'page', firedAt: at(OUTAGE_START + 3), resolvedAt: at(OUTAGE_END + 30) }),
    ]);
  });

  it('reports an interval still firing at the end of the data with resolvedAt null', () => {
    // Prepare: the ticket's 6h short window holds the outage until 6 hours after it, beyond the data.
    // Act
    const result = replay(sloOf(), { acme: outage }, OUTAGE_END + 60);
    // Assess
    expect(alertsOf(result, '3d/6h')).toEqual([expect.objectContaining({ severity: 'ticket', resolvedAt: null })]);
    expect(result.to).toBe(at(OUTAGE_END + 60));
  });

  it('opens only the ticket (3d/6h) on a steady 2x burn, after the Workbook detection time, and never a page', () => {
    // Prepare: 3 clean days, then 0.2 % errors (2x at 99.9 %) for 2 days. Detection time of 3d/6h at 1x:
    // 0.001 x 1 x 4320 min / 0.002 = 2160 min = 36 h. The page rules need 14.4x and 6x: 2x never reaches them.
    const burnStart = 3 * DAY_MINUTES;
    const steady: Traffic = (minute) => ({ total: 1000, bad: minute >= burnStart ? 2 : 0 });
    // Act
    const result = replay(sloOf(), { acme: steady }, burnStart + 2 * DAY_MINUTES);
    // Assess
    expect(result.alerts).toEqual([
      { tenant: 'acme', slo: 'api-availability', severity: 'ticket', rule: '3d/6h', firedAt: at(burnStart + 2160), resolvedAt: null },
    ]);
  });

  it.each([
    ['does not page with the default traffic guard', '', []],
    [
      'pages with the traffic guard turned off',
      '    alerting: { trafficGuard: { minEventsInLongWindow: 0, minBadEventsInShortWindow: 0 } }',
      [{ firedAt: at(91), resolvedAt: at(96) }],
    ],
  ])('a low-traffic tenant with one failure %s', (_label, alerting, expected) => {
    // Prepare: 1 request a minute and one failure at minute 90. The 1h window burns (1/60) / 0.001 = 16.7x and the
    // 5m window 200x, both above 14.4x; but 60 events < 100 in the long window and 1 bad < 3 in the short one.
    const quiet: Traffic = (minute) => ({ total: 1, bad: minute === 90 ? 1 : 0 });
    // Act
    const result = replay(sloOf(alerting), { 'tiny-startup': quiet }, 120);
    // Assess
    expect(alertsOf(result, '1h/5m').map(({ firedAt, resolvedAt }) => ({ firedAt, resolvedAt }))).toEqual(expected);
  });

  it.each([
    // A firing rule holds down to 0.9 x 10 = 9x: the 5m window falls below 9x at minute 103, (3 x 8.5 + 2 x 9.5) / 5 = 8.9.
    [0.9, 103],
    // Without hysteresis it stops once the 5m window holds only 9.5x minutes: minute 65.
    [1, 65],
  ])('with hysteresisRatio %p, stops firing at minute %p', (hysteresisRatio, resolvedMinute) => {
    // Prepare: rule 1h/5m at 10x, guard off. 2 % errors (20x) from the start fire it at once; 0.95 % (9.5x) from
    // minute 60 and 0.85 % (8.5x) from minute 100. The 1h window stays above 9x throughout (12.4x at minute 103).
    const alerting = `    alerting:
      rules: [{ severity: page, longWindow: 1h, shortWindow: 5m, burnRate: 10 }]
      trafficGuard: { minEventsInLongWindow: 0, minBadEventsInShortWindow: 0 }
      hysteresisRatio: ${hysteresisRatio}`;
    const badPer10k = (minute: number): number => (minute < 60 ? 200 : minute < 100 ? 95 : 85);
    const traffic: Traffic = (minute) => ({ total: 10_000, bad: badPer10k(minute) });
    // Act
    const result = replay(sloOf(alerting), { acme: traffic }, 130);
    // Assess
    expect(result.alerts.map(({ firedAt, resolvedAt }) => ({ firedAt, resolvedAt }))).toEqual([{ firedAt: at(1), resolvedAt: at(resolvedMinute) }]);
  });

  it('refuses a second row for the same tenant and minute', () => {
    // Prepare
    const backtest = new BacktestReplay(sloOf());
    backtest.add('acme', at(0), 10, 0);
    // Act / Assess
    expect(() => backtest.add('acme', at(0), 10, 0)).toThrow('tenant: must have one row per minute; "acme" already has a row at 2026-03-02T00:00:00.000Z');
  });

  it('replays only the tenants the SLO selects, and says which it left out', () => {
    // Prepare
    const alerting = `    tenants: { discover: { exclude: [canary] } }
    overrides: { internal: { muted: true } }`;
    const busy: Traffic = () => ({ total: 100, bad: 0 });
    // Act
    const result = replay(sloOf(alerting), { acme: busy, canary: busy, internal: busy }, 3);
    // Assess
    expect(result.tenants).toBe(1);
    expect(result.ignoredRows).toBe(6);
    expect([...result.ignoredTenants.keys()]).toEqual(['canary', 'internal']);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Replay: the same evaluations an evaluator tick would make
// ---------------------------------------------------------------------------------------------------------

/** Seeded, varied traffic: baseline noise, gaps, an outage, a slow burn reaching into the hourly tier, a quiet tenant. */
function noisyTenants(days: number): Record<string, Traffic> {
  const make = (seed: number, perMinute: number, errorRatio: (minute: number) => number, gapEvery: number): Traffic => {
    const random = seededRandom(seed);
    const cache = new Map<number, WindowCounts | null>();
    return (minute) => {
      if (!cache.has(minute)) {
        const total = minute % gapEvery === 7 ? 0 : Math.round(perMinute * (0.5 + random()));
        const bad = Math.min(total, Math.round(total * errorRatio(minute) + random() * 2 - 0.8));
        cache.set(minute, total === 0 ? null : { total, bad: Math.max(0, bad) });
      }
      return cache.get(minute) ?? null;
    };
  };
  const lastDay = (days - 1) * DAY_MINUTES;
  return {
    acme: make(1, 800, (m) => (m > lastDay + 100 && m < lastDay + 130 ? 0.3 : 0.0002), 997),
    globex: make(2, 300, (m) => (m > 360 && m < lastDay + 600 ? 0.0035 : 0.0001), 131),
    tiny: make(3, 0.6, () => 0.02, 17),
  };
}

/** What evaluate-tick does at `end`, built from scratch: fine buckets from the hour boundary, hourly buckets before. */
function referenceAlerts(slo: SloDefinition, tenants: Readonly<Record<string, Traffic>>, minutes: number): BacktestAlert[] {
  const alerts: BacktestAlert[] = [];
  for (const [tenant, traffic] of Object.entries(tenants)) {
    const hourly = new Map<number, CountBucket>();
    for (let minute = 0; minute < minutes; minute += 1) {
      const counts = traffic(minute);
      if (counts === null || counts.total === 0) continue;
      const hour = Math.floor(at(minute) / HOUR_MS) * HOUR_MS;
      const sum = hourly.get(hour) ?? { start: hour, total: 0, bad: 0 };
      hourly.set(hour, { start: hour, total: sum.total + counts.total, bad: sum.bad + counts.bad });
    }
    let active: readonly string[] = [];
    const since = new Map<string, number>();
    for (let minute = 0; minute < minutes; minute += 1) {
      const end = at(minute + 1);
      const fineFrom = Math.floor((end - fineHorizonMinutes(slo) * MINUTE_MS) / HOUR_MS) * HOUR_MS;
      const fine: CountBucket[] = [];
      for (let start = Math.max(fineFrom, T0); start < end; start += MINUTE_MS) {
        const counts = traffic((start - T0) / MINUTE_MS);
        if (counts !== null && counts.total > 0) fine.push({ start, ...counts });
      }
      const coarseFrom = Math.floor((end - slo.periodDays * 24 * HOUR_MS) / HOUR_MS) * HOUR_MS;
      const coarse = [...hourly.values()].filter((bucket) => bucket.start >= coarseFrom && bucket.start < Math.floor(end / HOUR_MS) * HOUR_MS);
      const evaluation = evaluateTenant({
        slo,
        tenant,
        counts: { fine: { periodSeconds: 60, buckets: fine }, fineFrom, coarse: { periodSeconds: 3600, buckets: coarse } },
        evaluatedAt: end,
        previouslyActiveRules: active,
      });
      const firing = activeRuleNames(evaluation);
      for (const rule of slo.rules) {
        if (firing.includes(rule.name) && !active.includes(rule.name)) since.set(rule.name, end);
        if (!firing.includes(rule.name) && active.includes(rule.name)) {
          alerts.push({ tenant, slo: slo.name, severity: rule.severity, rule: rule.name, firedAt: since.get(rule.name) ?? -1, resolvedAt: end });
        }
      }
      active = firing;
    }
    for (const rule of slo.rules) {
      if (active.includes(rule.name)) alerts.push({ tenant, slo: slo.name, severity: rule.severity, rule: rule.name, firedAt: since.get(rule.name) ?? -1, resolvedAt: null });
    }
  }
  return alerts;
}

const byTime = (a: BacktestAlert, b: BacktestAlert): number => a.firedAt - b.firedAt || a.tenant.localeCompare(b.tenant) || a.rule.localeCompare(b.rule);

describe('backtest replay against an evaluator tick built from scratch', () => {
  const days = 3;
  const tenants = noisyTenants(days);
  const slo = sloOf();

  it('fires the same rules at the same minutes as evaluateTenant over freshly built tiers, every minute', () => {
    // Prepare
    const expected = referenceAlerts(slo, tenants, days * DAY_MINUTES).sort(byTime);
    // Act
    const result = replay(slo, tenants, days * DAY_MINUTES);
    // Assess
    expect(expected.length).toBeGreaterThan(3);
    expect(new Set(expected.map((alert) => alert.rule)).size).toBe(3);
    expect([...result.alerts].sort(byTime)).toEqual(expected);
  });

  it('gives the same alerts whether or not it skips the minutes that cannot fire', () => {
    // Act
    const skipping = replay(slo, tenants, days * DAY_MINUTES);
    const everyMinute = replay(slo, tenants, days * DAY_MINUTES, { prefilter: false });
    // Assess
    expect(skipping.alerts).toEqual(everyMinute.alerts);
    expect(skipping.evaluations).toBeLessThan(everyMinute.evaluations);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Scoring (Workbook definitions), by hand
// ---------------------------------------------------------------------------------------------------------

describe('backtest scoring', () => {
  const RULES: BurnRateRule[] = [
    { name: '1h/5m', severity: 'page', longWindowMinutes: 60, shortWindowMinutes: 5, burnRate: 14.4 },
    { name: '6h/30m', severity: 'page', longWindowMinutes: 360, shortWindowMinutes: 30, burnRate: 6 },
    { name: '3d/6h', severity: 'ticket', longWindowMinutes: 4320, shortWindowMinutes: 360, burnRate: 1 },
  ];
  const incident = (tenant: string, start: number, end: number): LabelledIncident => ({ tenant, start: at(start), end: at(end) });
  const alert = (tenant: string, rule: string, firedAt: number, resolvedAt: number | null): BacktestAlert => ({
    tenant,
    slo: 'api-availability',
    severity: rule === '3d/6h' ? 'ticket' : 'page',
    rule,
    firedAt: at(firedAt),
    resolvedAt: resolvedAt === null ? null : at(resolvedAt),
  });
  // acme 10:00-10:10, globex 12:00-12:30, initech 14:00-14:20 (minutes from T0).
  const INCIDENTS = [incident('acme', 600, 610), incident('globex', 720, 750), incident('initech', 840, 860)];
  const ALERTS = [
    alert('acme', '1h/5m', 601, 615), // detects acme after 1 min, resets 5 min after its end
    alert('globex', '1h/5m', 960, 965), // no incident of globex then: a false alert
    alert('initech', '1h/5m', 843, null), // detects initech after 3 min, still firing: no reset time
    alert('acme', '3d/6h', 590, 970), // fired 10 min before the labelled start, reset 6 h after the end
  ];

  it.each([
    // rule, precision, recall, mean detection, mean reset
    ['1h/5m', 2 / 3, 2 / 3, (1 + 3) / 2, 5],
    ['6h/30m', null, 0, null, null],
    ['3d/6h', 1, 1 / 3, -10, 360],
  ])('scores %s: precision %p, recall %p, detection %p min, reset %p min', (rule, precision, recall, detection, reset) => {
    // Act
    const score = scoreRules(RULES, ALERTS, INCIDENTS).find((candidate) => candidate.rule === rule);
    // Assess
    expect(score).toEqual({ rule, severity: rule === '3d/6h' ? 'ticket' : 'page', precision, recall, meanDetectionMinutes: detection, meanResetMinutes: reset });
  });

  it('has no recall without labelled incidents', () => {
    // Act
    const [score] = scoreRules(RULES, ALERTS, []);
    // Assess
    expect(score).toMatchObject({ rule: '1h/5m', precision: 0, recall: null, meanDetectionMinutes: null });
  });
});

// ---------------------------------------------------------------------------------------------------------
// CSV inputs
// ---------------------------------------------------------------------------------------------------------

const HEADER = 'timestamp,tenant,total,bad';

async function readSeriesText(text: string): Promise<{ rows: number; sink: [string, number, number, number][] }> {
  const sink: [string, number, number, number][] = [];
  const rows = await readSeriesCsv(Readable.from([text]), 'series.csv', (tenant, minute, total, bad) => void sink.push([tenant, minute, total, bad]));
  return { rows, sink };
}

describe('backtest CSV', () => {
  it('streams rows in any column order, with CRLF, quoted tenants and blank lines', async () => {
    // Prepare
    const text = `tenant,bad,total,timestamp\r\n"acme, inc",1,10,2026-03-02T00:00:00Z\r\n\r\nglobex,0,5,2026-03-02T01:00:00+01:00\r\n`;
    // Act
    const { rows, sink } = await readSeriesText(text);
    // Assess
    expect(rows).toBe(2);
    expect(sink).toEqual([
      ['acme, inc', at(0), 10, 1],
      ['globex', at(0), 5, 0],
    ]);
  });

  it.each([
    ['a bad count that is not a number', `${HEADER}\n2026-03-02T00:00:00Z,acme,10,0\n2026-03-02T00:00:00Z,globex,10,x\n`, 'series.csv:3: bad: must be a number >= 0 and <= total, got "x"'],
    ['more bad than total events', `${HEADER}\n2026-03-02T00:00:00Z,acme,10,11\n`, 'series.csv:2: bad: must be a number >= 0 and <= total, got "11"'],
    ['a negative total', `${HEADER}\n2026-03-02T00:00:00Z,acme,-1,0\n`, 'series.csv:2: total: must be a number >= 0, got "-1"'],
    ['an empty total', `${HEADER}\n2026-03-02T00:00:00Z,acme,,0\n`, 'series.csv:2: total: must be a number >= 0, got ""'],
    ['a time without a zone', `${HEADER}\n2026-03-02T00:00:00,acme,1,0\n`, 'series.csv:2: timestamp: must be an ISO-8601 time with a zone on a whole minute'],
    ['a time between minutes', `${HEADER}\n2026-03-02T00:00:30Z,acme,1,0\n`, 'series.csv:2: timestamp: must be an ISO-8601 time with a zone on a whole minute, e.g. 2026-01-05T10:07:00Z, got "2026-03-02T00:00:30Z"'],
    [
      'rows out of time order',
      `${HEADER}\n2026-03-02T00:01:00Z,acme,1,0\n2026-03-02T00:00:00Z,acme,1,0\n`,
      'series.csv:3: timestamp: must not be earlier than the previous row\'s (2026-03-02T00:01:00.000Z): rows sorted by time, got "2026-03-02T00:00:00Z"',
    ],
    ['a missing field', `${HEADER}\n2026-03-02T00:00:00Z,acme,1\n`, 'series.csv:2: must have 4 fields (timestamp,tenant,total,bad), got 3'],
    ['an empty tenant', `${HEADER}\n2026-03-02T00:00:00Z,,1,0\n`, 'series.csv:2: tenant: must be a non-empty tenant id'],
    ['a wrong header', `time,tenant,total,bad\n`, 'series.csv:1: header must be timestamp,tenant,total,bad (any order), got "time,tenant,total,bad"'],
    ['an empty file', '', 'series.csv:1: header must be timestamp,tenant,total,bad, got an empty file'],
    ['an unterminated quote', `${HEADER}\n2026-03-02T00:00:00Z,"acme,1,0\n`, 'series.csv:2: unterminated quoted field'],
  ])('rejects %s, naming the line and the field', async (_label, text, message) => {
    // Act / Assess
    await expect(readSeriesText(text)).rejects.toThrow(CsvInputError);
    await expect(readSeriesText(text)).rejects.toThrow(message);
  });

  it('names the line of a second row for the same tenant and minute', async () => {
    // Prepare
    const text = `${HEADER}\n2026-03-02T00:00:00Z,acme,1,0\n2026-03-02T00:00:00Z,acme,2,0\n`;
    const backtest = new BacktestReplay(sloOf());
    // Act / Assess
    await expect(readSeriesCsv(Readable.from([text]), 'series.csv', (...row) => backtest.add(...row))).rejects.toThrow(
      'series.csv:3: tenant: must have one row per minute; "acme" already has a row at 2026-03-02T00:00:00.000Z',
    );
  });

  it.each([
    ['an end before the start', 'acme,2026-03-02T10:10:00Z,2026-03-02T10:00:00Z', 'incidents.csv:2: end: must be an ISO-8601 time with a zone, e.g. 2026-01-05T10:07:00Z, later than start'],
    ['a start that is not a time', 'acme,yesterday,2026-03-02T10:00:00Z', 'incidents.csv:2: start: must be an ISO-8601 time with a zone, e.g. 2026-01-05T10:07:00Z, got "yesterday"'],
  ])('rejects an incident with %s', async (_label, line, message) => {
    // Act / Assess
    await expect(readIncidentsCsv(Readable.from([`tenant,start,end\n${line}\n`]), 'incidents.csv')).rejects.toThrow(message);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The command end to end
// ---------------------------------------------------------------------------------------------------------

describe('burnwatch backtest command', () => {
  const { dir, file } = useTempDir('burnwatch-backtest-');
  // acme: 6 clean hours, then a 10-minute outage; globex: clean, with a labelled incident no rule sees.
  const tenants: Record<string, Traffic> = {
    acme: (minute) => ({ total: 1000, bad: minute >= 360 && minute < 370 ? 1000 : 0 }),
    globex: () => ({ total: 200, bad: 0 }),
  };
  const slo = file('slo.yaml', apiAvailabilityYaml());
  const series = file('series.csv', countSeriesCsv(tenants, T0, 0, 430));
  const incidents = file('incidents.csv', `tenant,start,end\nacme,${iso(360)},${iso(370)}\nglobex,${iso(100)},${iso(110)}\n`);

  it('prints one JSON document with the alerts and, given incidents, the rules scored', async () => {
    // Act
    const { code, stdout } = await runBurnwatch(['backtest', '--slo', slo, '--series', series, '--incidents', incidents, '--format', 'json', '--quiet']);
    // Assess
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as BacktestJson;
    expect(json.alerts[0]).toEqual({
      tenant: 'acme',
      slo: 'api-availability',
      severity: 'page',
      rule: '1h/5m',
      firedAt: iso(361),
      resolvedAt: iso(375),
    });
    // Two incidents, the rule catches acme's only: recall 1/2; its one alert is real: precision 1.
    expect(json.rules?.find((rule) => rule.rule === '1h/5m')).toEqual({
      rule: '1h/5m',
      severity: 'page',
      precision: 1,
      recall: 0.5,
      meanDetectionMinutes: 1,
      meanResetMinutes: 5,
    });
  });

  it('prints tables by default and leaves rules out without incidents', async () => {
    // Act
    const { code, stdout, stderr } = await runBurnwatch(['backtest', '--slo', slo, '--series', series]);
    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('Alerts (3)');
    expect(stdout).toMatch(/2026-03-02T06:01Z\s+2026-03-02T06:15Z\s+14m\s+acme\s+page\s+1h\/5m/);
    expect(stdout).not.toContain('labelled incident');
    expect(stderr).toMatch(/backtest: 860 rows, 2 tenants, 430 minutes in [\d.]+ s \([\d,]+ rows\/s/);
  });

  it('notes on stderr the tenants the SLO does not select, and the incidents it therefore misses', async () => {
    // Prepare
    const listed = file('listed.yaml', apiAvailabilityYaml('    tenants: { list: [acme] }'));
    // Act
    const { code, stderr } = await runBurnwatch(['backtest', '--slo', listed, '--series', series, '--incidents', incidents, '--quiet']);
    // Assess
    expect(code).toBe(0);
    expect(stderr).toContain("note: 1 tenant(s) not replayed, not in the SLO's tenants.list: globex\n");
    expect(stderr).toContain('note: incidents of tenants without replayed rows count as missed: globex\n');
  });

  it('omits rules from the JSON without incidents', async () => {
    // Act
    const { stdout } = await runBurnwatch(['backtest', '--slo', slo, '--series', series, '--format', 'json', '--quiet']);
    // Assess
    expect(Object.keys(JSON.parse(stdout) as object)).toEqual(['alerts']);
  });

  it.each([
    ['a bad series line', () => ['--slo', slo, '--series', file('bad.csv', `${HEADER}\n${iso(0)},acme,10,x\n`)], 1, 'bad.csv:2: bad: must be a number >= 0 and <= total, got "x"'],
    ['a missing series file', () => ['--slo', slo, '--series', join(dir, 'none.csv')], 1, 'none.csv: file not found'],
    ['no --series', () => ['--slo', slo], 2, '--series: required'],
    ['no --slo', () => ['--series', series], 2, '--slo: required'],
    ['an unknown format', () => ['--slo', slo, '--series', series, '--format', 'xml'], 2, '--format: must be json or table, got "xml"'],
    ['--start without --from-cloudwatch', () => ['--slo', slo, '--series', series, '--start', iso(0)], 2, '--start: only with --from-cloudwatch'],
    [
      'several SLOs and no --slo-name',
      () => ['--slo', file('two.yaml', twoSloYaml()), '--series', series],
      1,
      'defines 2 SLOs (api-availability, other): pick one with --slo-name',
    ],
  ])('exits with an error for %s', async (_label, args, expectedCode, message) => {
    // Act
    const { code, stdout, stderr } = await runBurnwatch(['backtest', ...args()]);
    // Assess
    expect(code).toBe(expectedCode);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
  });

  it('picks one of several SLOs with --slo-name', async () => {
    // Prepare
    const two = file('two-named.yaml', twoSloYaml());
    // Act
    const { code, stdout } = await runBurnwatch(['backtest', '--slo', two, '--slo-name', 'other', '--series', series, '--format', 'json', '--quiet']);
    // Assess
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as BacktestJson).alerts.every((alert) => alert.slo === 'other')).toBe(true);
  });

  it('refuses an unknown option before running anything', async () => {
    // Act / Assess
    await expect(runBurnwatch(['backtest', '--slo', slo, '--sereis', series])).rejects.toThrow(UsageError);
  });

  it.each([
    ['without --quiet', [], true],
    ['with --quiet', ['--quiet'], false],
  ])('reports progress on stderr %s', async (_label, extra, expectProgress) => {
    // Prepare: a clock that moves 10 s per look, and a look every 100 rows.
    let now = 0;
    const deps: BacktestDeps = { clock: () => (now += 10_000), progressEveryMs: 5000, rowsPerClockCheck: 100 };
    const lines: string[] = [];
    const io: CliIo = { stdout: () => undefined, stderr: (text) => void lines.push(text) };
    // Act
    const code = await backtestCommand(parseOptions(['--slo', slo, '--series', series, ...extra], BACKTEST_OPTIONS), io, deps);
    // Assess
    expect(code).toBe(0);
    const progress = lines.filter((line) => /^backtest: [\d,]+ rows, 2 tenants, at 2026-03-02T\d\d:\d\dZ, [\d,]+ rows\/s\n$/.test(line));
    expect(progress.length > 0).toBe(expectProgress);
  });
});
