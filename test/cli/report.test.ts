/**
 * `burnwatch report`: monthly attainment and budget consumed (numbers derived by hand from the definitions),
 * bad minutes, incidents from the backtest's replay with their time to detect (SRE Workbook detection time) and
 * to mitigate, a month that starts mid-series, worst-first ordering, the JSON / CSV / HTML outputs through
 * bin/burnwatch.ts's main, and CSV errors naming the line and field.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MonthReportBuilder, parseMonth } from '../../cli/report/monthly';
import type { MonthReport } from '../../cli/report/monthly';
import type { ReportJson } from '../../cli/report/render';
import { MINUTE_MS } from '../../lambda/domain/model';
import { parseSloFile } from '../../lib/config/slo-file';
import { runHeadlessChromium } from '../support/chromium';
import { apiAvailabilityYaml, countSeriesCsv, runBurnwatch, useTempDir, type Traffic } from '../support/cli';

const FEB = Date.UTC(2026, 1, 1);
const at = (minutes: number): number => FEB + minutes * MINUTE_MS;
const iso = (minutes: number): string => new Date(at(minutes)).toISOString();

/** 99.9 % over 30 days, the Workbook's default rules, default traffic guard (100 events, 3 bad) and hysteresis 0.9. */
const SLO_YAML = apiAvailabilityYaml(`    overrides:
      premium: { objective: 99.99 }
      internal: { muted: true }
`);
const slo = parseSloFile(SLO_YAML, 'slo.yaml').slo;

function build(tenants: Readonly<Record<string, Traffic>>, fromMinute: number, toMinute: number, month = '2026-02'): MonthReport {
  const builder = new MonthReportBuilder(slo, parseMonth(month));
  for (let minute = fromMinute; minute < toMinute; minute += 1) {
    for (const [tenant, traffic] of Object.entries(tenants)) {
      const counts = traffic(minute);
      if (counts !== null) builder.add(tenant, at(minute), counts.total, counts.bad);
    }
  }
  return builder.finish();
}

/** Minutes counted from 2026-02-01T00:00Z (negative: January). */
function seriesCsv(tenants: Readonly<Record<string, Traffic>>, fromMinute: number, toMinute: number): string {
  return countSeriesCsv(tenants, FEB, fromMinute, toMinute);
}

const DAY = 24 * 60;
/** Replayed incidents have no incident record, so no id and no actions. */
const REPLAYED = { incidentId: null, actionsTaken: null, actionsWorked: null };
/** 100 requests a minute, 1 of them bad every 20th minute: 72 bad events a day. */
const oneBadIn20: Traffic = (minute) => ({ total: 100, bad: minute % 20 === 0 ? 1 : 0 });
/** 100 requests a minute, all failing in [from, from + minutes). */
const outage = (from: number, minutes: number): Traffic => (minute) => ({ total: 100, bad: minute >= from && minute < from + minutes ? 100 : 0 });

describe('monthly report', () => {
  it('gives attainment and budget consumed to the exact figure for a known number of bad events', () => {
    // Prepare: one day, 144,000 requests, 72 bad. Budget = (1 - 0.999) x 144,000 = 144 bad events.
    // Act
    const report = build({ acme: oneBadIn20 }, 0, DAY);

    // Assess: attainment = 1 - 72 / 144,000 = 0.9995; consumed = 72 / 144 = 50 %; each bad minute has 1 % > 0.1 % bad.
    expect(report.rows).toHaveLength(1);
    const row = report.rows[0]!;
    expect(row.objective).toBe(0.999);
    expect(row.attainment).toBe(0.9995);
    expect(row.budgetConsumedPercent).toBe(50);
    expect(row.badMinutes).toBe(72);
    expect(row.incidents).toEqual([]);
    expect([row.mttdMinutes, row.mttmMinutes]).toEqual([null, null]);
    expect(row.budgetRemainingHourly).toHaveLength(24);
    expect(row.budgetRemainingHourly[23]).toBeCloseTo(0.5, 9);
  });

  it('uses the tenant override objective: the same 72 bad events are 500 % of a 99.99 % budget', () => {
    // Act
    const report = build({ premium: oneBadIn20 }, 0, DAY);

    // Assess: budget = 0.0001 x 144,000 = 14.4 bad events; 72 / 14.4 = 5.
    expect(report.rows[0]).toMatchObject({ tenant: 'premium', objective: 0.9999, budgetConsumedPercent: 500, badMinutes: 72 });
  });

  it('times an outage incident: fired at the Workbook detection time, resolved when the last page rule resets', () => {
    // Prepare: 7 clean hours (full 1h and 6h windows), then a 10-minute 100 % outage, then an hour clean.
    const start = 420;
    // Act
    const report = build({ acme: outage(start, 10) }, 0, start + 70);

    // Assess: 1h/5m fires after 0.001 x 14.4 x 60 / 1 = 0.864 min -> end of the first outage minute; 6h/30m after
    // 0.001 x 6 x 360 / 1 = 2.16 min. Hysteresis 0.9: 1h/5m holds until its 5m window is clean (5 min after), 6h/30m
    // until its 30m window is: (30 - j) / 30 < 0.0054 -> j = 30 clean minutes. One incident: fired +1, resolved +40.
    const row = report.rows[0]!;
    expect(row.incidents).toEqual([{ firedAt: at(start + 1), resolvedAt: at(start + 40), durationMinutes: 39, detectMinutes: 1, ...REPLAYED }]);
    expect(row.mttdMinutes).toBe(1);
    expect(row.mttmMinutes).toBe(39);
    expect(row.badMinutes).toBe(10);
    // 1,000 bad of 49,000 requests against a budget of 49 bad events.
    expect(row.budgetConsumedPercent).toBeCloseTo((100 * 1000) / 49, 4);
  });

  it('starts mid-series: January is history for the windows, not part of the attainment or the incidents', () => {
    // Prepare: an outage from 23:50 on 31 January to 00:10 on 1 February, after 7 clean January hours.
    const report = build({ acme: outage(-10, 20) }, -7 * 60, 60);

    // Assess: February has 60 minutes x 100 requests with 10 bad minutes of 100 bad; the page fired in January,
    // so February lists no incident, and its windows were full of January's history.
    const row = report.rows[0]!;
    expect(row.attainment).toBeCloseTo(1 - 1000 / 6000, 9);
    expect(row.badMinutes).toBe(10);
    expect(row.budgetConsumedPercent).toBeCloseTo((100 * 1000) / 6, 4);
    expect(row.incidents).toEqual([]);
    expect(row.budgetRemainingHourly).toHaveLength(1);
  });

  it('counts a burn that starts in the month after January history, with time to detect from its first bad minute', () => {
    // Prepare: 7 clean January hours, then a 10-minute outage at 01:00 on 1 February.
    const report = build({ acme: outage(60, 10) }, -7 * 60, 180);

    // Assess
    expect(report.rows[0]!.incidents).toEqual([{ firedAt: at(61), resolvedAt: at(100), durationMinutes: 39, detectMinutes: 1, ...REPLAYED }]);
  });

  it('lists tenants worst first: most budget consumed, ties by tenant id; muted tenants are left out', () => {
    // Prepare
    const bad = (count: number): Traffic => (minute) => ({ total: 100, bad: minute < count ? 1 : 0 });

    // Act
    const report = build({ beta: bad(10), alpha: bad(10), gamma: bad(30), delta: bad(0), internal: bad(100) }, 0, 600);

    // Assess: budget = 0.001 x 60,000 = 60 bad events; 30 -> 50 %, 10 -> 16.67 %, 0 -> 0 %.
    expect(report.rows.map((row) => [row.tenant, row.budgetConsumedPercent])).toEqual([
      ['gamma', 50],
      ['alpha', Number((1000 / 60).toFixed(6))],
      ['beta', Number((1000 / 60).toFixed(6))],
      ['delta', 0],
    ]);
    expect(report.ignoredTenants.get('internal')).toMatch(/muted/);
  });

  it('refuses a series with no row in the month, naming the month', () => {
    // Act / Assess
    expect(() => build({ acme: oneBadIn20 }, -60, 0)).toThrow(/no rows in 2026-02/);
  });

  it.each([['2026-13'], ['2026-2'], ['March']])('refuses --month %s, saying what is allowed', (month) => {
    // Act / Assess
    expect(() => parseMonth(month)).toThrow(`--month: must be a calendar month YYYY-MM (UTC), e.g. 2026-03, got ${JSON.stringify(month)}`);
  });
});

describe('burnwatch report (command)', () => {
  const { dir, file } = useTempDir('burnwatch-report-');
  const sloFile = file('slo.yaml', SLO_YAML);

  it('prints the JSON contract, worst first', async () => {
    // Prepare
    const series = file('series.csv', seriesCsv({ quiet: oneBadIn20, burning: outage(420, 10) }, -60, 480));

    // Act
    const { code, stdout } = await runBurnwatch(['report', '--slo', sloFile, '--series', series, '--month', '2026-02']);

    // Assess
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as ReportJson;
    expect(json.month).toBe('2026-02');
    expect(json.rows.map((row) => Object.keys(row))).toEqual([
      ['tenant', 'slo', 'objective', 'attainment', 'budgetConsumedPercent', 'badMinutes', 'incidents', 'mttdMinutes', 'mttmMinutes'],
      ['tenant', 'slo', 'objective', 'attainment', 'budgetConsumedPercent', 'badMinutes', 'incidents', 'mttdMinutes', 'mttmMinutes'],
    ]);
    expect(json.rows[0]).toEqual({
      tenant: 'burning',
      slo: 'api-availability',
      objective: 0.999,
      attainment: Number((1 - 1000 / 48000).toFixed(9)),
      budgetConsumedPercent: Number(((100 * 1000) / 48).toFixed(6)),
      badMinutes: 10,
      incidents: [{ firedAt: iso(421), resolvedAt: iso(460), durationMinutes: 39, detectMinutes: 1 }],
      mttdMinutes: 1,
      mttmMinutes: 39,
    });
    expect(json.rows[1]).toMatchObject({ tenant: 'quiet', badMinutes: 24, incidents: [], mttdMinutes: null, mttmMinutes: null });
  });

  it('writes CSV with the same columns to --out, incidents as ISO-8601 intervals', async () => {
    // Prepare
    const series = file('series-csv.csv', seriesCsv({ 'acme, inc': outage(420, 10) }, 0, 480));
    const out = join(dir, 'report.csv');

    // Act
    const { code, stdout, stderr } = await runBurnwatch(['report', '--slo', sloFile, '--series', series, '--month', '2026-02', '--format', 'csv', '--out', out]);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain(`written to ${out}`);
    expect(readFileSync(out, 'utf8').split('\n')).toEqual([
      'tenant,slo,objective,attainment,budgetConsumedPercent,badMinutes,incidents,mttdMinutes,mttmMinutes',
      `"acme, inc",api-availability,0.999,${Number((1 - 1000 / 48000).toFixed(9))},${Number(((100 * 1000) / 48).toFixed(6))},10,2026-02-01T07:01Z/2026-02-01T07:40Z,1,39`,
      '',
    ]);
  });

  it.each([
    ['a count that is not a number', 'x', 3, 'bad: must be a number >= 0 and <= total, got "x"'],
    ['a timestamp that is not ISO-8601', 'T', 2, 'timestamp: must be an ISO-8601 time with a zone on a whole minute'],
  ])('stops on %s, naming the line and field', async (_what, broken, line, message) => {
    // Prepare
    const text = seriesCsv({ acme: oneBadIn20 }, 0, 3).split('\n');
    text[line - 1] = broken === 'T' ? `2026-02-01 00:00,acme,100,0` : `${iso(line - 2)},acme,100,${broken}`;
    const series = file(`broken-${line}.csv`, text.join('\n'));

    // Act
    const { code, stderr } = await runBurnwatch(['report', '--slo', sloFile, '--series', series, '--month', '2026-02']);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain(`${series}:${line}: ${message}`);
  });

  it('refuses a bad --format with exit code 2', async () => {
    // Act
    const { code, stderr } = await runBurnwatch(['report', '--slo', sloFile, '--series', 'x.csv', '--month', '2026-02', '--format', 'xml']);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('--format: must be json, csv, html, got "xml"');
  });

  it('renders the HTML report in headless Chromium: a row and a budget sparkline per tenant, worst first', async () => {
    // Prepare
    const series = file('series-html.csv', seriesCsv({ '<b>quiet</b>': oneBadIn20, burning: outage(420, 10) }, 0, 480));
    const out = join(dir, 'report.html');
    const { code } = await runBurnwatch(['report', '--slo', sloFile, '--series', series, '--month', '2026-02', '--format', 'html', '--out', out]);
    expect(code).toBe(0);

    // Act
    const dom = runHeadlessChromium(['--dump-dom', `file://${out}`]);

    // Assess
    expect(dom.status).toBe(0);
    const rows = [...dom.stdout.matchAll(/<tr(?: class="breached")? data-tenant="([^"]*)">([\s\S]*?)<\/tr>/g)];
    expect(rows.map((row) => row[1])).toEqual(['burning', '&lt;b&gt;quiet&lt;/b&gt;']);
    expect(rows[0]![0]).toContain('class="breached"');
    for (const row of rows) expect(row[2]).toMatch(/<svg class="spark"[^>]*>.*<polyline [^>]*points="[\d., ]+"/);
    expect(dom.stdout).not.toContain('<b>quiet</b>');
    expect(dom.stdout).not.toMatch(/<script|https?:\/\//);
  });
});
