/**
 * Request-based latency SLOs: a metric's `stat` must be CloudWatch statistic syntax, and the metrics a ratio SLI's
 * good/bad/total expressions use must be counted with a count statistic (Sum, SampleCount, TC with a value bound).
 */
import { join } from 'node:path';
import { formatProblem } from '../../lib/config/errors';
import { loadBurnwatchConfig } from '../../lib/config/load';
import { normalizeBurnwatchProps } from '../../lib/config/normalize';
import { parseStatistic, StatisticSyntaxError, validateBurnwatchProps } from '../../lib/config/validate';
import { mutableProps, ratioSliOf } from './fixtures';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'latency-slo.yaml');

/** A latency SLI: good = fast (TC(:250)), total = all (SampleCount), plus an `extra` metric no expression uses. */
function latencyProps(stats: { fast?: string; all?: string; extra?: string }, sli: Record<string, unknown> = {}): Record<string, any> {
  const props = mutableProps();
  props.slos[0].sli = {
    namespace: 'Shop/Checkout',
    tenantDimension: 'TenantId',
    metrics: {
      fast: { metricName: 'Latency', stat: stats.fast ?? 'TC(:250)' },
      all: { metricName: 'Latency', stat: stats.all ?? 'SampleCount' },
      extra: { metricName: 'Latency', stat: stats.extra ?? 'p99' },
    },
    good: 'fast',
    total: 'all',
    ...sli,
  };
  return props;
}

const problemsOf = (props: unknown): string[] => validateBurnwatchProps(props).map(formatProblem);

describe('latency SLO statistics', () => {
  it('accepts the example latency SLO and keeps its statistics as written', () => {
    // Act
    const { runtime } = normalizeBurnwatchProps(loadBurnwatchConfig(EXAMPLE));

    // Assess
    const slo = runtime.slos[0]!;
    const sli = ratioSliOf(slo);
    expect(slo.objectivePercent).toBe(99);
    expect(sli.metrics.map((metric) => [metric.id, metric.stat])).toEqual([
      ['fast', 'TC(:300)'],
      ['all', 'SampleCount'],
    ]);
    expect([sli.good, sli.total]).toEqual(['fast', 'all']);
  });

  it.each([
    'Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum', 'IQM',
    'p99', 'p99.9', 'p0', 'p100', 'tm90', 'tc99', 'ts95', 'wm90.5',
    'TC(:250)', 'TC(100:)', 'TC(0:250)', 'TM(10%:90%)', 'TM(:95%)', 'TS(10%:)', 'WM(100:2000)', 'PR(:300)', 'PR(100:2000)',
  ])('accepts the CloudWatch statistic %s on a metric no expression counts with', (stat) => {
    // Act
    const problems = problemsOf(latencyProps({ extra: stat }));

    // Assess
    expect(problems).toEqual([]);
  });

  it.each([
    ['TC(:)', 'needs at least one bound'],
    ['TC()', 'not a statistic CloudWatch knows'],
    ['sum', 'not a statistic CloudWatch knows'],
    ['p101', 'the percentage after p must be from 0 to 100'],
    ['p99.9.9', 'not a statistic CloudWatch knows'],
    ['TM(10%:300)', 'bounds must both be percentages or both be values'],
    ['PR(10%:)', 'PR bounds must be values, not percentages'],
    ['TM(10%:120%)', 'percentage bounds must be from 0% to 100%'],
    ['TC(500:250)', 'the lower bound must not be above the upper bound'],
    ['TC(:fast)', 'bound "fast" must be a number or a percentage'],
  ])('refuses the statistic %s, naming the field: %s', (stat, detail) => {
    // Act
    const problems = problemsOf(latencyProps({ extra: stat }));

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^slos\[0\]\.sli\.metrics\.extra\.stat: must be a CloudWatch statistic: Sum, SampleCount, /);
    expect(problems[0]).toContain(detail);
    expect(problems[0]).toMatch(new RegExp(`, got ${JSON.stringify(stat).replace(/[()[\].*+?^$|\\]/g, '\\$&')}$`));
  });

  it.each([
    ['p99', 'fast', 'sli.good', 'a percentile of sample values'],
    ['Average', 'fast', 'sli.good', 'an average of sample values'],
    ['PR(:250)', 'fast', 'sli.good', 'a percentage of samples, not a count (use TC with the same bound for the good events)'],
    ['tc90', 'fast', 'sli.good', 'a count of a fixed share of the samples, whatever their values (use TC with a value bound)'],
    ['TC(10%:90%)', 'fast', 'sli.good', 'a count of a fixed share of the samples, whatever their values (use TC with a value bound)'],
    ['TS(:250)', 'fast', 'sli.good', 'a trimmed sum of sample values'],
    ['Maximum', 'all', 'sli.total', 'a sample value'],
  ])('refuses %s on metric %s used in %s: a ratio SLI needs counts, and %s is not one', (stat, id, field, why) => {
    // Act
    const problems = problemsOf(latencyProps({ [id]: stat }));

    // Assess
    expect(problems).toEqual([
      `slos[0].sli.metrics.${id}.stat: must be a count statistic for a ratio SLI (Sum, SampleCount or TC with a value bound, ` +
        `e.g. "TC(:250)" (requests at or under 250 ms)); it is used in ${field} and ${stat} is ${why}, got ${JSON.stringify(stat)}`,
    ]);
  });

  it('names every expression a non-count metric is used in', () => {
    // Prepare: the slow requests written as bad = all - fast, with fast a percentile
    const props = latencyProps({ fast: 'p99' }, { good: undefined, bad: 'all - fast', total: 'all + fast * 0' });

    // Act
    const problems = problemsOf(props);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('it is used in sli.bad, sli.total and p99 is a percentile');
  });

  it.each(['Sum', 'SampleCount', 'TC(:250)', 'TC(0:250)', 'TC(100:)', 'TC(:0.25e3)'])('counts events with %s in good', (stat) => {
    // Act
    const problems = problemsOf(latencyProps({ fast: stat }));

    // Assess
    expect(problems).toEqual([]);
  });

  it('leaves statistics to parse as CloudWatch writes them: what a TC with a value bound is', () => {
    // Act
    const parsed = parseStatistic('TC(:250)');
    const refused = (() => {
      try {
        parseStatistic('TC(:)');
        return null;
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(parsed).toEqual({ text: 'TC(:250)', countsEvents: true, notCountBecause: '' });
    expect(refused).toBeInstanceOf(StatisticSyntaxError);
  });
});
