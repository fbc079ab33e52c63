/**
 * The request-based latency SLO of examples/latency-slo.yaml (99 % of checkout requests in 300 ms or less):
 * the GetMetricData queries it makes (TC(:300) good, SampleCount total, bad derived as total - good) and when
 * a burn of 50 % slow requests pages through the backtest, from the SRE Workbook's detection-time formula.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { GetMetricDataCommandInput, MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../bin/burnwatch';
import type { BacktestJson } from '../../cli/backtest/report';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { MINUTE_MS } from '../../lambda/domain/model';
import { loadSloFile } from '../../lib/config/slo-file';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'latency-slo.yaml');
const T0 = Date.UTC(2026, 2, 2); // an hour boundary
const at = (minute: number): number => T0 + minute * MINUTE_MS;

const cloudwatch = mockClient(CloudWatchClient);

describe('request-based latency SLO', () => {
  beforeEach(() => cloudwatch.reset());

  it('queries TC(:300) for the fast requests and SampleCount for all, and counts the rest as bad', async () => {
    // Prepare: per minute 200 requests, 190 of them at or under 300 ms
    const { slo } = loadSloFile(EXAMPLE);
    const inputs: GetMetricDataCommandInput[] = [];
    cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      inputs.push(input);
      const results: MetricDataResult[] = (input.MetricDataQueries ?? [])
        .filter((query) => query.ReturnData !== false)
        .map((query) => ({
          Id: query.Id,
          Timestamps: [new Date(at(0)), new Date(at(1))],
          Values: query.Id?.startsWith('b') ? [10, 10] : [200, 200],
          StatusCode: 'Complete',
        }));
      return { MetricDataResults: results, $metadata: {} };
    });
    const source = new CloudWatchMetricSource(new CloudWatchClient({}), { sleep: async () => undefined, random: () => 0.5 });

    // Act
    const result = await source.fetchCounts({ slo, tenants: ['acme'], from: at(0), to: at(2), periodSeconds: 60 });

    // Assess
    expect(inputs).toHaveLength(1);
    const queries = inputs[0]!.MetricDataQueries ?? [];
    const metricStats = queries.filter((query) => query.MetricStat !== undefined);
    expect(metricStats.map((query) => [query.Id, query.MetricStat?.Stat, query.MetricStat?.Metric?.MetricName, query.ReturnData])).toEqual([
      ['q0_fast', 'TC(:300)', 'Latency', false],
      ['q0_all', 'SampleCount', 'Latency', false],
    ]);
    expect(metricStats[0]?.MetricStat?.Metric?.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'TenantId', Value: 'acme' },
        { Name: 'Service', Value: 'checkout' },
      ]),
    );
    const expressions = Object.fromEntries(queries.filter((query) => query.Expression !== undefined).map((query) => [query.Id, query.Expression]));
    expect(expressions).toEqual({ b0: '(FILL(q0_all, 0)) - (FILL(q0_fast, 0))', t0: 'FILL(q0_all, 0)' });
    expect(result.failures.size).toBe(0);
    expect(result.series.get('acme')?.buckets).toEqual([
      { start: at(0), total: 200, bad: 10 },
      { start: at(1), total: 200, bad: 10 },
    ]);
  });

  describe('through the backtest', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'burnwatch-latency-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('pages 1h/5m when 50 % of requests are slow for 30 minutes, at the Workbook detection time', async () => {
      // Prepare: 100 requests a minute; 7 clean hours (so the 6h window is full: 6h/30m would need
      // 0.06 x 360 / 0.5 = 43.2 minutes of the burn, and does not page), 30 minutes with 50 slow, a clean hour.
      const burnStart = 420;
      const burnMinutes = 30;
      const lines = ['timestamp,tenant,total,bad'];
      for (let minute = 0; minute < burnStart + burnMinutes + 60; minute += 1) {
        const slow = minute >= burnStart && minute < burnStart + burnMinutes ? 50 : 0;
        lines.push(`${new Date(at(minute)).toISOString()},acme,100,${slow}`);
      }
      const series = join(dir, 'series.csv');
      writeFileSync(series, `${lines.join('\n')}\n`);
      // Workbook: detection time = (1 - objective) x burnRate x longWindow / errorRatio = 0.01 x 14.4 x 60 / 0.5 min,
      // evaluated at the end of whole minutes, so the first end at or after it.
      const detectionMinutes = (0.01 * 14.4 * 60) / 0.5;
      // With the default hysteresis (0.9), 1h/5m holds until its 5m window falls below 0.01 x 14.4 x 0.9:
      // (5 - j) x 50 / 500 < 0.1296 -> j = 4 clean minutes after the burn.
      const resetMinutes = Math.ceil(5 - (0.01 * 14.4 * 0.9 * 500) / 50 + 1e-9);
      let stdout = '';
      const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));

      // Act
      let code: number;
      try {
        code = await main(['backtest', '--slo', EXAMPLE, '--series', series, '--format', 'json', '--quiet']);
      } finally {
        out.mockRestore();
      }

      // Assess
      expect(code).toBe(0);
      expect(detectionMinutes).toBeCloseTo(17.28, 10);
      const pages = (JSON.parse(stdout) as BacktestJson).alerts.filter((alert) => alert.severity === 'page');
      expect(pages).toEqual([
        {
          tenant: 'acme',
          slo: 'checkout-latency',
          severity: 'page',
          rule: '1h/5m',
          firedAt: new Date(at(burnStart + Math.ceil(detectionMinutes))).toISOString(),
          resolvedAt: new Date(at(burnStart + burnMinutes + resetMinutes)).toISOString(),
        },
      ]);
    });
  });
});
