/**
 * The bench's command line: the default plan per mode and tenant count, `--plan steady`, the run time limit that
 * follows the plan, and the bound on the fan-out's `--minutes`.
 */
import { BenchArgumentError, USAGE, harnessOptions, parseArgs, runTimeoutSeconds } from '../../bench/run';

describe('parseArgs --minutes', () => {
  it.each([
    ['0,1', [0, 1]],
    ['0,1,2', [0, 1, 2]],
    ['0, 59, 60, 119', [0, 59, 60, 119]],
    ['119', [119]],
  ])('accepts %p as the minutes %p', (text, minutes) => {
    // Act
    const cli = parseArgs(['--fanout', '--tenants', '2000', '--minutes', text]);

    // Assess
    expect(cli.minutes).toEqual(minutes);
  });

  it.each([
    ['120', '"120"'],
    ['0,1,180', '"180"'],
    ['-1', '"-1"'],
    ['1.5', '"1.5"'],
    ['0,,1', '""'],
    ['soon', '"soon"'],
  ])('rejects %p, naming the option, the allowed minutes and %s', (text, given) => {
    // Act
    const parse = (): unknown => parseArgs(['--fanout', '--minutes', text]);

    // Assess
    expect(parse).toThrow(BenchArgumentError);
    expect(parse).toThrow(`--minutes must be minutes 0 to 119, comma-separated; got ${given}`);
  });

  it('defaults to minutes 0 and 1', () => {
    // Act / Assess
    expect(parseArgs(['--fanout']).minutes).toEqual([0, 1]);
  });
});

describe('the plan a run gets', () => {
  it.each([
    [[], 'burnwatch', 1_000, 'steady'],
    [[], 'burnwatch', 10_000, 'steady'],
    [[], 'burnwatch', 10_001, 'sampled'],
    [[], 'burnwatch', 100_000, 'sampled'],
    [[], 'naive', 1_000, 'sampled'],
    [[], 'naive', 10_000, 'sampled'],
    [['--plan', 'steady'], 'burnwatch', 100_000, 'steady'],
    [['--plan', 'hour'], 'burnwatch', 10_000, 'hour'],
    [['--plan', 'steady'], 'naive', 1_000, 'sampled'],
    [['--naive-plan', 'hour'], 'naive', 1_000, 'hour'],
  ] as const)('with %p, the %s run at %i tenants runs the %s plan', (argv, mode, tenants, plan) => {
    // Act
    const options = harnessOptions(parseArgs(argv), mode, tenants);

    // Assess
    expect(options.plan).toBe(plan);
  });

  it('rejects an unknown plan, listing the plans', () => {
    // Act / Assess
    expect(() => parseArgs(['--plan', 'weekly'])).toThrow(new BenchArgumentError('--plan', 'one of hour, sampled, steady', 'weekly'));
  });

  it.each([
    // 15 s per planned tick, at least 240 s: sampled 16 ticks -> 240 s, hour 60 -> 900 s, steady 120 -> 1,800 s.
    [[], 'burnwatch', 10_000, 1_800],
    [[], 'burnwatch', 100_000, 240],
    [['--plan', 'hour'], 'burnwatch', 1_000, 900],
    [[], 'naive', 10_000, 240],
    [['--run-timeout-s', '60'], 'burnwatch', 10_000, 60],
  ] as const)('with %p, the %s run at %i tenants is stopped after %i s', (argv, mode, tenants, seconds) => {
    // Prepare
    const cli = parseArgs(argv);

    // Act / Assess
    expect(runTimeoutSeconds(cli, harnessOptions(cli, mode, tenants))).toBe(seconds);
  });

  it('prints a usage that names the steady plan and the minutes a fan-out may run', () => {
    // Act
    const cli = parseArgs(['--help']);

    // Assess
    expect(cli.help).toBe(true);
    expect(USAGE).toContain('--plan steady|hour|sampled');
    expect(USAGE).toContain('minutes 0 to 119');
  });
});

describe('parseArgs --max-dps', () => {
  it.each([
    [[], { recent: 180_000, older: 396_000 }],
    [['--max-dps', '90000,200000'], { recent: 90_000, older: 200_000 }],
    [['--max-dps', 'off'], null],
  ])('with %p gives the datapoint quota %p', (argv, quota) => {
    // Act
    const cli = parseArgs(argv);

    // Assess
    expect(cli.maxDps).toEqual(quota);
    expect(harnessOptions(cli, 'burnwatch', 1_000).maxDps).toEqual(quota);
  });

  it.each([['180000'], ['0,396000'], ['1,2,3'], ['fast,slow']])('rejects %p, naming the option and the allowed form', (text) => {
    // Act
    const parse = (): unknown => parseArgs(['--max-dps', text]);

    // Assess
    expect(parse).toThrow(BenchArgumentError);
    expect(parse).toThrow(`--max-dps must be two positive integers "RECENT,OLDER" (datapoints per second for StartTime within 3 hours, and older), or "off"; got ${JSON.stringify(text)}`);
  });
});
