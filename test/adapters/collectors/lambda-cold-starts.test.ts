import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { LambdaColdStartCollector, type ColdStartScope } from '../../../lambda/adapters/collectors/lambda-cold-starts';
import { MIN, NO_WAIT, T0 } from './aws-errors';

const cloudwatch = mockClient(CloudWatchClient);
const FROM = T0;
const TO = T0 + 30 * MIN;
const SCOPE: ColdStartScope = { functions: [{ functionName: 'api-handler', namespace: 'Shop', service: 'api' }] };

/** One query's result from [minute offset from T0, value] pairs. */
function series(id: string, points: readonly (readonly [number, number])[]): MetricDataResult {
  return { Id: id, Timestamps: points.map(([minute]) => new Date(T0 + minute * MIN)), Values: points.map(([, value]) => value), StatusCode: 'Complete' };
}

/** `total` cold starts spread evenly over the given minutes (offsets from T0). */
function spread(total: number, minutes: readonly number[]): [number, number][] {
  return minutes.map((minute) => [minute, total / minutes.length]);
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

function collector(options: ConstructorParameters<typeof LambdaColdStartCollector>[1] = {}): LambdaColdStartCollector {
  return new LambdaColdStartCollector(new CloudWatchClient({}), { retry: NO_WAIT, ...options });
}

async function collectOk(scope: ColdStartScope = SCOPE, options: ConstructorParameters<typeof LambdaColdStartCollector>[1] = {}) {
  const result = await collector(options).collect({ from: FROM, to: TO, tenants: ['acme'], scope });
  if (result.status !== 'ok') throw new Error(`expected ok, got ${result.reason}`);
  return result;
}

describe('LambdaColdStartCollector', () => {
  beforeEach(() => cloudwatch.reset());

  // Defaults: 30-minute baseline, spike factor 3, at least 5 cold starts. The window is 30 minutes.
  // rate = cold starts / minutes; a spike needs window rate >= 3 x baseline rate.
  it.each([
    ['30 in the window (1/min) against 3 before (0.1/min) is a spike of 10x', 3, 30, 10],
    ['90 in the window (3/min) against 30 before (1/min) is exactly 3x, a spike', 30, 90, 3],
    ['6 in the window against none before is a spike without a ratio', 0, 6, null],
    ['150 in the window (5/min) against 60 before (2/min) is only 2.5x', 60, 150, undefined],
    ['4 in the window against none before is below the 5 cold starts minimum', 0, 4, undefined],
  ])('%s', async (_sentence, baseline, inWindow, spikeRatio) => {
    // Prepare
    const points = [...spread(baseline, range(-30, 3)), ...spread(inWindow, range(10, 2))];
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [series('cold0', points)] });
    // Act
    const { items } = await collectOk();
    // Assess
    if (spikeRatio === undefined) {
      expect(items).toEqual([]);
    } else {
      expect(items).toHaveLength(1);
      expect(items[0]?.details).toMatchObject({
        coldStarts: inWindow,
        baselineColdStarts: baseline,
        coldStartsPerMinute: inWindow / 30,
        baselineColdStartsPerMinute: baseline / 30,
        spikeRatio,
      });
    }
  });

  it('maps a spike to cold-start evidence starting at the first minute above the baseline rate', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        series('cold0', [[-20, 1], [-5, 2], [3, 0], [8, 12], [9, 8]]),
        series('conc0', [[-10, 20], [8, 85], [9, 60]]),
        series('p990', [[-10, 210], [8, 1_850], [9, 1_400]]),
      ],
    });
    // Act
    const { items } = await collectOk({ functions: [{ ...SCOPE.functions[0]!, tenants: ['acme'] }] });
    // Assess: 20 cold starts in 30 min (0.67/min) against 3 in 30 min (0.1/min).
    expect(items).toEqual([
      {
        source: 'lambda',
        failureMode: 'cold-start',
        resource: 'api-handler',
        at: T0 + 8 * MIN,
        endedAt: null,
        summary: 'function api-handler: 20 cold starts in 30 min (0.67/min) vs 0.1/min in the 30 min before',
        tenants: ['acme'],
        details: {
          coldStarts: 20,
          baselineColdStarts: 3,
          windowMinutes: 30,
          baselineMinutes: 30,
          coldStartsPerMinute: 0.67,
          baselineColdStartsPerMinute: 0.1,
          spikeRatio: 6.67,
          durationP99MaxMs: 1_850,
          baselineDurationP99MaxMs: 210,
          maxConcurrentExecutions: 85,
          baselineMaxConcurrentExecutions: 20,
        },
      },
    ]);
  });

  it('asks for ColdStart, Duration p99 and ConcurrentExecutions per minute over the baseline and the window', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const scope: ColdStartScope = { functions: [{ ...SCOPE.functions[0]!, extraDimensions: { environment: 'prod' } }] };
    // Act
    await collectOk(scope);
    // Assess
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ StartTime: new Date(T0 - 30 * MIN), EndTime: new Date(TO), ScanBy: 'TimestampAscending' });
    expect(input?.MetricDataQueries).toEqual([
      {
        Id: 'cold0',
        MetricStat: {
          Metric: {
            Namespace: 'Shop',
            MetricName: 'ColdStart',
            Dimensions: [
              { Name: 'service', Value: 'api' },
              { Name: 'function_name', Value: 'api-handler' },
              { Name: 'environment', Value: 'prod' },
            ],
          },
          Period: 60,
          Stat: 'Sum',
        },
      },
      {
        Id: 'p990',
        MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Duration', Dimensions: [{ Name: 'FunctionName', Value: 'api-handler' }] }, Period: 60, Stat: 'p99' },
      },
      {
        Id: 'conc0',
        MetricStat: {
          Metric: { Namespace: 'AWS/Lambda', MetricName: 'ConcurrentExecutions', Dimensions: [{ Name: 'FunctionName', Value: 'api-handler' }] },
          Period: 60,
          Stat: 'Maximum',
        },
      },
    ]);
  });

  it('leaves out the function_name dimension when the function does not emit it', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    // Act
    await collectOk({ functions: [{ ...SCOPE.functions[0]!, functionNameDimension: false }] });
    // Assess
    const query = cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries?.[0];
    expect(query?.MetricStat?.Metric?.Dimensions).toEqual([{ Name: 'service', Value: 'api' }]);
  });

  it('merges the datapoints of one query across pages', async () => {
    // Prepare: the baseline on page 1, the spike on page 2; only both together show the spike.
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [series('cold0', [[-10, 3]])], NextToken: 'page-2' })
      .resolvesOnce({ MetricDataResults: [series('cold0', [[5, 25]])] });
    // Act
    const { items } = await collectOk();
    // Assess
    expect(cloudwatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input.NextToken)).toEqual([undefined, 'page-2']);
    expect(items[0]?.details).toMatchObject({ coldStarts: 25, baselineColdStarts: 3 });
  });

  it('stops at maxPages and notes the cap in the result details', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [series('cold0', [[5, 1]])], NextToken: 'more' });
    // Act
    const { details } = await collectOk(SCOPE, { maxPages: 1 });
    // Assess
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(1);
    expect(details.capsHit).toEqual(['GetMetricData batch 0: stopped at maxPages (1) with 1 items']);
  });

  it.each([
    ['a spike factor below 1', { spikeFactor: 0.5 }, 'options.spikeFactor must be a finite number >= 1; got 0.5'],
    ['a baseline of 0 minutes', { baselineMinutes: 0 }, 'options.baselineMinutes must be an integer from 1 to 1440; got 0'],
    ['a minimum of 0 cold starts', { minColdStarts: 0 }, 'options.minColdStarts must be a finite number >= 1; got 0'],
  ])('refuses %s at construction', (_sentence, options, message) => {
    expect(() => collector(options)).toThrow(message);
  });
});
