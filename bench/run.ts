/**
 * `npm run bench`: Burnwatch's evaluator against the naive baseline at 1,000, 10,000 and 100,000 tenants.
 * `npm run bench -- --help` prints the usage (USAGE below).
 *
 * Every run (tenant count x mode) is its own child process, so peak RSS is that run's alone and one run's heap
 * cannot slow the next. `--worker <mode>` is how the parent starts a child; it prints the raw measurement.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { join, relative } from 'node:path';
import { runBurnMath } from './burn-math';
import { renderScaleChart } from './chart';
import type { ChartSeries } from './chart';
import { DEFAULT_DATAPOINT_QUOTA } from './cloudwatch';
import type { DatapointQuota, LatencyRange } from './cloudwatch';
import { runHarness } from './harness';
import type { HarnessOptions, RunMeasurement, RunMode, StoreKind, TickSample } from './harness';
import { capacityOf, runFanout } from './fanout';
import { PRICES_CHECKED_ON, PRICES_REGION } from './prices';
import { DEFAULT_QUOTAS } from './quotas';
import { ratios, renderFanout, renderTable, renderWarmup, summarise } from './report';
import type { BenchJson, Figures, TableColumn } from './report';
import { LAST_BENCH_MINUTE, STEADY_HOUR_FROM, benchConfig, tickPlan } from './scenario';
import type { TickPlanKind } from './scenario';

/** A command-line value that is not allowed: names the option, what is allowed and what was given. */
export class BenchArgumentError extends Error {
  constructor(option: string, allowed: string, given: string | undefined) {
    super(`${option} must be ${allowed}; got ${given === undefined ? 'nothing' : JSON.stringify(given)}`);
    this.name = 'BenchArgumentError';
  }
}

/**
 * Tenant counts at which the evaluator runs the steady plan by default (two hours from a cold start, the second
 * measured); larger ones run the sampled plan (the first 16 minutes after a cold start).
 */
const STEADY_UP_TO = 10_000;
/** A run's default time limit: this long per planned tick, and never less than MIN_RUN_TIMEOUT_SECONDS. */
const RUN_TIMEOUT_SECONDS_PER_TICK = 15;
const MIN_RUN_TIMEOUT_SECONDS = 240;
/** Tenant counts from which a child gets the largest Lambda's memory as its V8 heap (the evaluator holds every tenant's series at once). */
const LARGE_HEAP_FROM = 50_000;
const LARGEST_LAMBDA_MB = 10_240;

export interface CliOptions {
  readonly tenants: readonly number[];
  readonly json: boolean;
  readonly latency: LatencyRange;
  readonly maxTps: number;
  /** GetMetricData datapoints per second (StartTime within 3 hours, older), or null for no such quota. */
  readonly maxDps: DatapointQuota | null;
  readonly plan: TickPlanKind | null;
  readonly naivePlan: TickPlanKind;
  readonly store: StoreKind;
  readonly profiles: number;
  readonly seed: number;
  readonly heapMb: number | null;
  /**
   * A run (one tenant count, one mode) still going after this long is stopped and reported with the ticks it
   * finished; null: 15 s per planned tick, at least 240 s (sampled 240 s, hour 900 s, steady 1,800 s).
   */
  readonly runTimeoutSeconds: number | null;
  readonly outDir: string;
  readonly worker: RunMode | null;
  /** Redraw the chart from a saved scale.json instead of measuring. */
  readonly chartFrom: string | null;
  /** Run the sharded tick through the fan-out state machine instead of the scale comparison. */
  readonly fanout: boolean;
  /** Shards of a fan-out run; null: ceil(tenants / TENANTS_PER_SHARD). */
  readonly shards: number | null;
  readonly maxConcurrentShards: number;
  /** Minutes (after the bench hour's start) of the fan-out run's ticks. */
  readonly minutes: readonly number[];
  readonly fanoutTimeoutSeconds: number;
  /** Print the usage and do nothing else. */
  readonly help: boolean;
}

const PLAN_KINDS = ['hour', 'sampled', 'steady'] as const satisfies readonly TickPlanKind[];

export const USAGE = `Usage: npm run bench -- [options]

  npm run bench                                   1k, 10k, 100k tenants: table, ratios, bench/out/scale.svg
  npm run --silent bench -- --tenants 10000 --json   one JSON object for one tenant count
  npm run bench -- --chart-from bench/out/scale.json   redraw the chart from the figures a run saved
  npm run bench -- --fanout --tenants 100000 --latency-ms 200   the sharded tick through the local Step Functions Map

Options:
  --tenants N[,N...]       tenant counts (default 1000,10000,100000)
  --json                   one JSON object (one tenant count): the headline figures, warmup, baseline, ratios
  --latency-ms 50-300|200  simulated GetMetricData / ListMetrics latency (default 50-300)
  --max-tps 50             GetMetricData (and ListMetrics) calls per second
  --max-dps 180000,396000  GetMetricData datapoints per second, StartTime within 3 hours and older (AWS defaults), or off
  --plan steady|hour|sampled
                           the evaluator's ticks (default steady up to ${STEADY_UP_TO.toLocaleString('en-US')} tenants, sampled above):
                             steady   minutes 0 to ${LAST_BENCH_MINUTE} from a cold container; the figures are the second hour's
                                      (minutes ${STEADY_HOUR_FROM} to ${LAST_BENCH_MINUTE}, each tenant's hourly refresh at its own minute),
                                      the warm-up (until the first tick that evaluates every tenant) is reported apart
                             hour     minutes 0 to 59 from a cold container, every tick weighted 1
                             sampled  minutes 0 to 15 from a cold container, weighted to stand for the hour
  --naive-plan hour|sampled   the naive baseline's ticks (default sampled)
  --store memory|dynalite  the state store (default memory)
  --profiles 24  --seed 1  traffic profiles and the random seed
  --heap-mb M              V8 heap of each run's process
  --run-timeout-s S        stop a run after S seconds (default 15 s per planned tick, at least 240 s)
  --out bench/out          where the chart and scale.json go
  --chart-from FILE        redraw the chart from a saved scale.json
  --help                   this text

Fan-out (--fanout, one tenant count, default 100000):
  --shards S               default ceil(tenants / 2,500)
  --max-concurrent-shards 10   the Map's MaxConcurrency
  --minutes 0,1            the ticks, in order, as minutes 0 to ${LAST_BENCH_MINUTE} after a cold start
                           (e.g. 0,1,2,3,4,60 for the warm-up ticks and one past the first hour)
  --fanout-timeout-s 300   the execution's timeout, raised from the synthesized 60 s to see how long a tick
                           that does not fit takes
`;

/** A fan-out run's default shard size: a quarter of what one invocation handled in the single-Lambda runs. */
const TENANTS_PER_SHARD = 2_500;

function positiveInteger(option: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value < 1) throw new BenchArgumentError(option, 'a whole number of at least 1', text);
  return value;
}

function oneOf<T extends string>(option: string, allowed: readonly T[], text: string | undefined): T {
  const found = allowed.find((value) => value === text);
  if (found === undefined) throw new BenchArgumentError(option, `one of ${allowed.join(', ')}`, text);
  return found;
}

function latencyRange(text: string | undefined): LatencyRange {
  const match = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(text ?? '');
  const minMs = Number(match?.[1]);
  const maxMs = match?.[2] === undefined ? minMs : Number(match[2]);
  if (match === null || !(maxMs >= minMs)) throw new BenchArgumentError('--latency-ms', 'milliseconds as "200" or a range "50-300"', text);
  return { minMs, maxMs };
}

/** `--max-dps`: "RECENT,OLDER" datapoints per second (AWS: 180000,396000), or "off". */
function datapointQuota(text: string | undefined): DatapointQuota | null {
  if (text === 'off') return null;
  const parts = (text ?? '').split(',').map((part) => Number(part.trim()));
  const [recent, older] = parts;
  if (parts.length !== 2 || recent === undefined || older === undefined || !parts.every((n) => Number.isInteger(n) && n > 0)) {
    throw new BenchArgumentError('--max-dps', 'two positive integers "RECENT,OLDER" (datapoints per second for StartTime within 3 hours, and older), or "off"', text);
  }
  return { recent, older };
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const options: { -readonly [K in keyof CliOptions]: CliOptions[K] } = {
    tenants: [1_000, 10_000, 100_000],
    json: false,
    latency: { minMs: 50, maxMs: 300 },
    maxTps: 50,
    maxDps: DEFAULT_DATAPOINT_QUOTA,
    plan: null,
    naivePlan: 'sampled',
    store: 'memory',
    profiles: 24,
    seed: 1,
    heapMb: null,
    runTimeoutSeconds: null,
    outDir: join(__dirname, 'out'),
    worker: null,
    chartFrom: null,
    fanout: false,
    shards: null,
    maxConcurrentShards: 10,
    minutes: [0, 1],
    fanoutTimeoutSeconds: 300,
    help: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const option = argv[i] as string;
    const value = (): string | undefined => {
      i += 1;
      return argv[i];
    };
    switch (option) {
      case '--tenants':
        options.tenants = (value() ?? '').split(',').map((part) => positiveInteger('--tenants', part.trim() === '' ? undefined : part.trim()));
        break;
      case '--json':
        options.json = true;
        break;
      case '--latency-ms':
        options.latency = latencyRange(value());
        break;
      case '--max-tps':
        options.maxTps = positiveInteger('--max-tps', value());
        break;
      case '--max-dps':
        options.maxDps = datapointQuota(value());
        break;
      case '--plan':
        options.plan = oneOf('--plan', PLAN_KINDS, value());
        break;
      case '--naive-plan':
        options.naivePlan = oneOf('--naive-plan', ['hour', 'sampled'] as const, value());
        break;
      case '--store':
        options.store = oneOf('--store', ['memory', 'dynalite'] as const, value());
        break;
      case '--profiles':
        options.profiles = positiveInteger('--profiles', value());
        break;
      case '--seed':
        options.seed = positiveInteger('--seed', value());
        break;
      case '--heap-mb':
        options.heapMb = positiveInteger('--heap-mb', value());
        break;
      case '--run-timeout-s':
        options.runTimeoutSeconds = positiveInteger('--run-timeout-s', value());
        break;
      case '--out':
        options.outDir = value() ?? '';
        if (options.outDir === '') throw new BenchArgumentError('--out', 'a directory', undefined);
        break;
      case '--chart-from':
        options.chartFrom = value() ?? '';
        if (options.chartFrom === '') throw new BenchArgumentError('--chart-from', 'the path of a scale.json a run wrote', undefined);
        break;
      case '--fanout':
        options.fanout = true;
        break;
      case '--shards':
        options.shards = positiveInteger('--shards', value());
        break;
      case '--max-concurrent-shards':
        options.maxConcurrentShards = positiveInteger('--max-concurrent-shards', value());
        break;
      case '--minutes':
        options.minutes = (value() ?? '').split(',').map((part) => {
          const minute = Number(part.trim());
          if (part.trim() === '' || !Number.isInteger(minute) || minute < 0 || minute > LAST_BENCH_MINUTE) {
            throw new BenchArgumentError('--minutes', `minutes 0 to ${LAST_BENCH_MINUTE}, comma-separated`, part);
          }
          return minute;
        });
        break;
      case '--fanout-timeout-s':
        options.fanoutTimeoutSeconds = positiveInteger('--fanout-timeout-s', value());
        break;
      case '--help':
        options.help = true;
        break;
      case '--worker':
        options.worker = oneOf('--worker', ['burnwatch', 'naive'] as const, value());
        break;
      default:
        throw new BenchArgumentError('option', 'one of --tenants, --json, --latency-ms, --max-tps, --max-dps, --plan, --naive-plan, --store, --profiles, --seed, --heap-mb, --run-timeout-s, --out, --chart-from, --fanout, --shards, --max-concurrent-shards, --minutes, --fanout-timeout-s, --help', option);
    }
  }
  if (options.json && options.tenants.length !== 1) throw new BenchArgumentError('--tenants with --json', 'exactly one tenant count', options.tenants.join(','));
  // A fan-out run is of one tenant count: 100,000 unless --tenants says otherwise.
  if (options.fanout && !argv.includes('--tenants')) options.tenants = [100_000];
  if (options.fanout && options.tenants.length !== 1) throw new BenchArgumentError('--tenants with --fanout', 'exactly one tenant count', options.tenants.join(','));
  if (options.worker !== null && options.tenants.length !== 1) throw new BenchArgumentError('--tenants with --worker', 'exactly one tenant count', options.tenants.join(','));
  return options;
}

export function harnessOptions(cli: CliOptions, mode: RunMode, tenants: number): HarnessOptions {
  const plan = mode === 'naive' ? cli.naivePlan : (cli.plan ?? (tenants <= STEADY_UP_TO ? 'steady' : 'sampled'));
  return { mode, tenants, latency: cli.latency, maxTps: cli.maxTps, maxDps: cli.maxDps, plan, store: cli.store, profiles: cli.profiles, seed: cli.seed };
}

/** How long a run may take before it is stopped: `--run-timeout-s`, or in proportion to the ticks its plan runs. */
export function runTimeoutSeconds(cli: CliOptions, options: HarnessOptions): number {
  return cli.runTimeoutSeconds ?? Math.max(MIN_RUN_TIMEOUT_SECONDS, RUN_TIMEOUT_SECONDS_PER_TICK * tickPlan(options.plan, options.mode).length);
}

function heapFor(cli: CliOptions, tenants: number): number | null {
  if (cli.heapMb !== null) return cli.heapMb;
  // A large run gets what the largest Lambda could give it (or 70 % of this machine's free memory, if less).
  return tenants >= LARGE_HEAP_FROM ? Math.min(LARGEST_LAMBDA_MB, Math.floor((freemem() / 1024 / 1024) * 0.7)) : null;
}

type ChildOutcome = { readonly ok: true; readonly run: RunMeasurement } | { readonly ok: false; readonly reason: string };

/** A child reports each tick on stderr as it completes, so a run stopped part-way still tells what it measured. */
const TICK_PREFIX = 'TICK ';

function describeTick(sample: TickSample): string {
  return (
    `tick at minute ${sample.minute}: wall ${(sample.wallMs / 1000).toFixed(1)} s, CPU ${(sample.cpuMs / 1000).toFixed(1)} s, ${sample.getMetricDataCalls} calls, ` +
    `${sample.throttled} throttled, ${sample.store.writeRequests} writes, ${sample.tenantsEvaluated} evaluated, ${sample.tenantsWarming} warming`
  );
}

/** The child's peak resident set so far, from Linux's /proc (where there is none, says so). */
function peakRssOf(pid: number | undefined): string {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
    return Number.isFinite(kb) ? `a peak RSS of ${Math.round(kb / 1024).toLocaleString('en-US')} MB` : 'an unknown peak RSS';
  } catch {
    return 'an unknown peak RSS (no /proc)';
  }
}

/** Runs one tenant count in one mode in a fresh process and returns its measurement. */
function runChild(cli: CliOptions, mode: RunMode, tenants: number): Promise<ChildOutcome> {
  const o = harnessOptions(cli, mode, tenants);
  const heap = heapFor(cli, tenants);
  const timeoutSeconds = runTimeoutSeconds(cli, o);
  const args = [
    '--expose-gc',
    ...(heap === null ? [] : [`--max-old-space-size=${heap}`]),
    '-r',
    'ts-node/register/transpile-only',
    __filename,
    '--worker',
    mode,
    '--tenants',
    String(tenants),
    '--latency-ms',
    `${o.latency.minMs}-${o.latency.maxMs}`,
    '--max-tps',
    String(o.maxTps),
    '--max-dps',
    o.maxDps === null ? 'off' : `${o.maxDps.recent},${o.maxDps.older}`,
    '--plan',
    o.plan,
    '--store',
    o.store,
    '--profiles',
    String(o.profiles),
    '--seed',
    String(o.seed),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    const ticks: string[] = [];
    let timedOut: string | null = null;
    const timer = setTimeout(() => {
      timedOut = peakRssOf(child.pid);
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(TICK_PREFIX)) {
          const sample = JSON.parse(line.slice(TICK_PREFIX.length)) as TickSample;
          const described = describeTick(sample);
          ticks.push(described);
          // An hour of ticks would flood the terminal: show the quarter hours and the warm-up ticks.
          if (o.plan === 'sampled' || sample.minute % 15 === 0 || sample.tenantsWarming > 0) progress(`    ${described}`);
        } else {
          stderr = `${stderr}${line}\n`.slice(-4000);
        }
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) {
        resolve({ ok: true, run: JSON.parse(last) as RunMeasurement });
        return;
      }
      const finished = ticks.length === 0 ? 'no tick finished' : `finished ${ticks.join('; ')}`;
      if (timedOut !== null) {
        resolve({ ok: false, reason: `stopped after ${timeoutSeconds} s (--run-timeout-s) with ${timedOut}; ${finished}` });
        return;
      }
      const oom = /heap out of memory|Allocation failed/.test(stderr) ? ` (JavaScript heap out of memory${heap === null ? '' : ` at --max-old-space-size=${heap}`})` : '';
      const tail = stderr.trim().split('\n').filter((line) => line.trim() !== '').slice(-3).join(' | ');
      resolve({ ok: false, reason: `exit ${code ?? signal}${oom}; ${finished}: ${tail}`.slice(0, 1200) });
    });
  });
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface SizeResult {
  readonly tenants: number;
  readonly burnwatch: Figures | null;
  readonly naive: Figures | null;
  readonly failures: readonly string[];
}

async function runSize(cli: CliOptions, tenants: number): Promise<SizeResult> {
  const figures: Partial<Record<RunMode, Figures>> = {};
  const failures: string[] = [];
  for (const mode of ['burnwatch', 'naive'] as const) {
    const started = performance.now();
    progress(`  ${mode} at ${tenants.toLocaleString('en-US')} tenants (${harnessOptions(cli, mode, tenants).plan} plan) ...`);
    const outcome = await runChild(cli, mode, tenants);
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    if (outcome.ok) {
      figures[mode] = summarise(outcome.run);
      progress(`    done in ${seconds} s`);
    } else {
      failures.push(`${mode} at ${tenants} tenants: ${outcome.reason}`);
      progress(`    FAILED after ${seconds} s: ${outcome.reason}`);
    }
  }
  return { tenants, burnwatch: figures.burnwatch ?? null, naive: figures.naive ?? null, failures };
}

/** Writes bench/out/scale.svg and the figures behind it (scale.json), from which `--chart-from` can redraw it. */
function writeChart(outDir: string, describe: string, burnMath: number, results: readonly SizeResult[]): void {
  const series: ChartSeries[] = [
    { name: 'Burnwatch', color: '#1f6feb', dashed: false, mode: 'burnwatch' as const },
    { name: 'naive baseline', color: '#d1242f', dashed: true, mode: 'naive' as const },
  ].map(({ mode, ...style }) => ({
    ...style,
    points: results.flatMap((r) => {
      const f = r[mode];
      return f === null ? [] : [{ tenants: r.tenants, wallSeconds: f.wallMsPerTick / 1000, costPerTenantMonthUsd: f.costPerTenantMonthUsd }];
    }),
  }));
  if (!series.some((s) => s.points.length > 0)) return;
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'scale.svg');
  // A missing point says why, on the chart itself.
  const notes = results.flatMap((r) => r.failures.map((failure) => `No point: ${failure}`.slice(0, 140)));
  writeFileSync(file, renderScaleChart(series, describe, notes));
  const figuresFile = join(outDir, 'scale.json');
  const saved: SavedFigures = { settings: describe, burnMathMicrosPerTenantTick: burnMath, results };
  writeFileSync(figuresFile, `${JSON.stringify(saved, null, 2)}\n`);
  process.stdout.write(`\nChart: ${relative(process.cwd(), file)}; figures: ${relative(process.cwd(), figuresFile)}\n`);
}

/** What scale.json holds. */
interface SavedFigures {
  readonly settings: string;
  readonly burnMathMicrosPerTenantTick: number;
  readonly results: readonly SizeResult[];
}

function burnMathMicros(): number {
  const { slo, runtime } = benchConfig();
  return Math.round(runBurnMath(slo, 2_000, runtime.evaluator.heartbeatMinutes).cpuMicrosPerTenantTick * 100) / 100;
}

async function main(argv: readonly string[]): Promise<void> {
  const cli = parseArgs(argv);
  if (cli.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (cli.chartFrom !== null) {
    const saved = JSON.parse(readFileSync(cli.chartFrom, 'utf8')) as SavedFigures;
    writeChart(cli.outDir, saved.settings, saved.burnMathMicrosPerTenantTick, saved.results);
    return;
  }
  if (cli.fanout) {
    await fanoutMode(cli);
    return;
  }
  if (cli.worker !== null) {
    const run = await runHarness(harnessOptions(cli, cli.worker, cli.tenants[0] as number), (sample) =>
      process.stderr.write(`${TICK_PREFIX}${JSON.stringify(sample)}\n`),
    );
    process.stdout.write(`${JSON.stringify(run)}\n`);
    return;
  }

  const describe = `latency ${cli.latency.minMs}-${cli.latency.maxMs} ms, GetMetricData ${cli.maxTps} TPS, ${cli.store} state store, ${cli.profiles} traffic profiles`;
  progress(`Burnwatch scale benchmark: ${describe}`);
  const results: SizeResult[] = [];
  for (const tenants of cli.tenants) results.push(await runSize(cli, tenants));
  const burnMath = burnMathMicros();

  if (cli.json) {
    const result = results[0] as SizeResult;
    if (result.burnwatch === null || result.naive === null) {
      // Still one JSON object, with what was measured and why the rest is missing; the exit code says it failed.
      process.stdout.write(`${JSON.stringify({ tenants: result.tenants, failures: result.failures, burnwatch: result.burnwatch, baseline: result.naive }, null, 2)}\n`);
      process.exitCode = 1;
      return;
    }
    const json: BenchJson = { ...result.burnwatch, baseline: result.naive, ratios: ratios(result.burnwatch, result.naive), burnMathMicrosPerTenantTick: burnMath };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }

  const columns: TableColumn[] = results.flatMap((r) => [
    { title: `${r.tenants.toLocaleString('en-US')} Burnwatch`, figures: r.burnwatch },
    { title: `naive`, figures: r.naive },
  ]);
  const lines = [
    '',
    `Burnwatch vs the naive baseline (${describe}; prices ${PRICES_REGION}, checked ${PRICES_CHECKED_ON})`,
    'Per-tick figures are means over the ticks in the figures (the steady plan: its second hour, a warm container); the warm-up is its own row and line.',
    '',
    renderTable(columns),
    '',
    ...results.flatMap((r) => (r.burnwatch ? [renderWarmup(`${r.tenants.toLocaleString('en-US')} Burnwatch`, r.burnwatch)] : [])),
    '',
    'Ratios (naive / Burnwatch):',
    ...results.map((r) =>
      r.burnwatch && r.naive
        ? `  ${r.tenants.toLocaleString('en-US').padStart(7)}: ` +
          Object.entries(ratios(r.burnwatch, r.naive))
            .map(([field, value]) => `${field} ${value}x`)
            .join(', ')
        : `  ${r.tenants.toLocaleString('en-US').padStart(7)}: not available`,
    ),
    '',
    `Burn math (evaluateTenant + nextAlertState over prebuilt counts): ${burnMath} us CPU per tenant per tick (target < 20 us)`,
    ...results.flatMap((r) => r.failures.map((failure) => `FAILED ${failure}`)),
    ...results.flatMap((r) => [r.burnwatch, r.naive].flatMap((f) => (f?.problems ?? []).map((p) => `logged at ${r.tenants}: ${p}`))),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  writeChart(cli.outDir, describe, burnMath, results);
}

/** `--fanout`: one tenant count through the synthesized fan-out state machine, in this process. */
async function fanoutMode(cli: CliOptions): Promise<void> {
  const tenants = cli.tenants[0] as number;
  const shards = cli.shards ?? Math.min(1000, Math.max(2, Math.ceil(tenants / TENANTS_PER_SHARD)));
  progress(
    `Fan-out: ${tenants.toLocaleString('en-US')} tenants in ${shards} shards, ${cli.maxConcurrentShards} at a time; latency ${cli.latency.minMs}-${cli.latency.maxMs} ms, ` +
      `GetMetricData ${cli.maxTps} TPS shared; ticks at minutes ${cli.minutes.join(', ')} ...`,
  );
  const run = await runFanout({
    tenants,
    shards,
    maxConcurrentShards: cli.maxConcurrentShards,
    latency: cli.latency,
    maxTps: cli.maxTps,
    maxDps: cli.maxDps,
    profiles: cli.profiles,
    seed: cli.seed,
    minutes: cli.minutes,
    timeoutSeconds: cli.fanoutTimeoutSeconds,
    hooks: {
      afterTick: (tick) =>
        progress(
          `    tick at minute ${tick.minute}: ${tick.succeeded ? 'succeeded' : `FAILED (${tick.error ?? ''})`}, wall ${(tick.wallMs / 1000).toFixed(1)} s, ` +
            `CPU ${(tick.cpuMs / 1000).toFixed(1)} s, ${tick.getMetricDataCalls} calls, ${tick.throttled} throttled, ` +
            `${tick.tenantsEvaluated} evaluated, ${tick.tenantsWarming} warming`,
        ),
    },
  });
  const simulated = { ...DEFAULT_QUOTAS, getMetricDataTps: cli.maxTps, listMetricsTps: cli.maxTps };
  if (cli.json) {
    const capacity = run.ticks.map((tick) => ({ minute: tick.minute, defaultQuotas: capacityOf(run, tick, DEFAULT_QUOTAS), simulatedQuotas: capacityOf(run, tick, simulated) }));
    process.stdout.write(`${JSON.stringify({ ...run, capacity }, null, 2)}\n`);
  } else {
    process.stdout.write(`\n${renderFanout(run, simulated)}\n`);
  }
  if (run.ticks.some((tick) => !tick.succeeded)) process.exitCode = 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    process.exitCode = 1;
  });
}
