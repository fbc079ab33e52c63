/**
 * `burnwatch backtest --from-cloudwatch`: the series comes from the real CloudWatchMetricSource, here over the local
 * CloudWatch's client(), and must replay exactly like the same minutes given as a CSV file.
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { parseOptions } from '../../bin/burnwatch';
import { BACKTEST_OPTIONS, backtestCommand } from '../../cli/backtest/main';
import type { BacktestDeps } from '../../cli/backtest/main';
import type { BacktestJson } from '../../cli/backtest/report';
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { DAY_MS, MINUTE_MS } from '../../lambda/domain/model';
import { apiAvailabilityYaml, countSeriesCsv, runWithCapturedIo, useTempDir, type CommandRun } from '../support/cli';

const T0 = Date.UTC(2026, 2, 2);
const MINUTES = 430;
const at = (minutes: number): number => T0 + minutes * MINUTE_MS;
const iso = (minutes: number): string => new Date(at(minutes)).toISOString();

const SLO_YAML = apiAvailabilityYaml('', { dimensions: '{ Service: api }' });

const OPENSLO_PROMETHEUS = `
apiVersion: openslo/v1
kind: SLO
metadata: { name: api-availability }
spec:
  budgetingMethod: Occurrences
  objectives: [{ target: 0.999 }]
  timeWindow: [{ duration: 30d, isRolling: true }]
  indicator:
    metadata: { name: api-errors }
    spec:
      ratioMetric:
        bad: { metricSource: { type: Prometheus, spec: { query: 'sum(rate(errors[1m]))' } } }
        total: { metricSource: { type: Prometheus, spec: { query: 'sum(rate(requests[1m]))' } } }
`;

/** acme: 6 clean hours, then 10 minutes of 100 % errors; globex: 200 requests a minute, no errors. */
const TRAFFIC: Readonly<Record<string, (minute: number) => { total: number; bad: number }>> = {
  acme: (minute) => ({ total: 1000, bad: minute >= 360 && minute < 370 ? 1000 : 0 }),
  globex: () => ({ total: 200, bad: 0 }),
};

describe('burnwatch backtest --from-cloudwatch', () => {
  const { file } = useTempDir('burnwatch-backtest-cw-');
  const slo = file('slo.yaml', SLO_YAML);
  const series = file('series.csv', countSeriesCsv(TRAFFIC, T0, 0, MINUTES));

  function localCloudWatch(): LocalCloudWatch {
    const local = new LocalCloudWatch({ clock: () => at(MINUTES) });
    for (const [tenant, traffic] of Object.entries(TRAFFIC)) {
      const minutes = Array.from({ length: MINUTES }, (_, minute) => traffic(minute));
      const dimensions = { Service: 'api', TenantId: tenant };
      local.putMinutes('MyService', 'Requests', dimensions, T0, minutes.map((counts) => counts.total));
      local.putMinutes('MyService', 'Errors', dimensions, T0, minutes.map((counts) => counts.bad));
    }
    return local;
  }

  function run(args: readonly string[], deps: BacktestDeps): Promise<CommandRun> {
    return runWithCapturedIo((io) => backtestCommand(parseOptions(args, BACKTEST_OPTIONS), io, deps));
  }

  const range = ['--from-cloudwatch', '--start', iso(0), '--end', iso(MINUTES)];
  const now = (): number => at(MINUTES) + MINUTE_MS;

  it('replays the tenants it discovers exactly as the same minutes from a CSV file', async () => {
    // Prepare
    const local = localCloudWatch();
    // Act
    const fromCloudWatch = await run(['--slo', slo, ...range, '--format', 'json', '--quiet'], { cloudWatch: local.client(), now });
    const fromCsv = await run(['--slo', slo, '--series', series, '--format', 'json', '--quiet'], {});
    // Assess
    expect(fromCloudWatch.code).toBe(0);
    const json = JSON.parse(fromCloudWatch.stdout) as BacktestJson;
    expect(json.alerts.map((alert) => `${alert.tenant} ${alert.rule} ${alert.firedAt}`)).toContain(`acme 1h/5m ${iso(361)}`);
    expect(json).toEqual(JSON.parse(fromCsv.stdout));
    expect(local.counters.listMetricsCalls).toBe(1);
  });

  it('reads only the tenants given with --tenants', async () => {
    // Prepare
    const local = localCloudWatch();
    // Act
    const { code, stdout } = await run(['--slo', slo, ...range, '--tenants', 'globex', '--format', 'json', '--quiet'], { cloudWatch: local.client(), now });
    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ alerts: [] });
    expect(local.counters.listMetricsCalls).toBe(0);
  });

  it.each([
    ['a start older than the 15 days of 1-minute data', () => ['--slo', slo, ...range], () => at(0) + 16 * DAY_MS, '--start: CloudWatch keeps 1-minute datapoints for 15 days'],
    ['an end before the start', () => ['--slo', slo, '--from-cloudwatch', '--start', iso(10), '--end', iso(0)], now, '--end: must be later than --start'],
    ['a start between minutes', () => ['--slo', slo, '--from-cloudwatch', '--start', '2026-03-02T00:00:30Z', '--end', iso(10)], now, '--start: must be an ISO-8601 time with a zone on a whole minute'],
    ['both --series and --from-cloudwatch', () => ['--slo', slo, ...range, '--series', series], now, '--series: give either --series or --from-cloudwatch, not both'],
    [
      'an OpenSLO SLI that is not in CloudWatch',
      () => ['--slo', file('prometheus.yaml', OPENSLO_PROMETHEUS), ...range],
      now,
      'spec.indicator.spec.ratioMetric.bad.metricSource.type: must be "CloudWatch" for Burnwatch to read the SLI itself, got "Prometheus"',
    ],
  ])('refuses %s with a usage error', async (_label, args, clock, message) => {
    // Act
    const { code, stderr } = await run(args(), { cloudWatch: localCloudWatch().client(), now: clock });
    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('fails, naming the tenants, when CloudWatch refuses their series', async () => {
    // Prepare
    const client = new CloudWatchClient({ region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
    const denied = Object.assign(new Error('User is not authorized to perform cloudwatch:GetMetricData'), { name: 'AccessDeniedException' });
    mockClient(client).on(GetMetricDataCommand).rejects(denied);
    // Act
    const { code, stdout, stderr } = await run(['--slo', slo, ...range, '--tenants', 'acme,globex'], { cloudWatch: client, now });
    // Assess
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('CloudWatchPullError: reading 2026-03-02T00:00:00.000Z to 2026-03-02T07:10:00.000Z failed for 2 tenant(s): acme: GetMetricData failed');
    expect(stderr).toContain('not authorized');
  });
});
