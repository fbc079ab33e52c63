/**
 * Demo scenarios: a YAML file (examples/scenarios/) describing tenants, their traffic and the incidents of a day,
 * turned into minute-level metrics in the local CloudWatch. Validation names the field, what is allowed and
 * what was given; the traffic is seeded, so the same file gives the same day.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { normalizeBurnwatchProps } from '../../lib/config/normalize';
import type { NormalizedBurnwatchConfig } from '../../lib/config/normalize';
import type { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { MetricDefinition, SloDefinition } from '../../lambda/domain/model';

export type ScenarioEventKind = 'deployment' | 'capacity' | 'database-failover' | 'cold-start' | 'slow-burn' | 'dependency';
const EVENT_KINDS: readonly ScenarioEventKind[] = ['deployment', 'capacity', 'database-failover', 'cold-start', 'slow-burn', 'dependency'];

export interface ScenarioEvent {
  readonly kind: ScenarioEventKind;
  readonly description: string;
  /** Epoch ms. */
  readonly start: number;
  readonly end: number;
  /** Tenant names, resolved from "all". */
  readonly tenants: readonly string[];
  readonly errorRate: number;
  readonly trafficMultiplier: number;
  readonly resource: Readonly<Record<string, string>>;
  /** Minutes from a mitigation of this event (a rollback, a scale-out) to its errors stopping. */
  readonly recoveryMinutes: number;
}

export interface ScenarioTenant {
  readonly name: string;
  readonly requestsPerMinute: number;
  /** Epoch ms of single failures (low-traffic tenants). */
  readonly errorsAt: readonly number[];
}

export interface Scenario {
  readonly name: string;
  readonly source: string;
  readonly start: number;
  readonly end: number;
  readonly historyStart: number;
  readonly seed: number;
  readonly config: NormalizedBurnwatchConfig;
  readonly slo: SloDefinition;
  readonly tenants: readonly ScenarioTenant[];
  readonly baselineErrorRate: number;
  readonly dailyLow: number;
  readonly events: readonly ScenarioEvent[];
}

export class ScenarioError extends Error {
  constructor(source: string, problems: readonly string[]) {
    super(`${source}: invalid scenario:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}

/** Fictional company names for generated tenants. */
const TENANT_NAMES = [
  'acme-corp', 'globex', 'initech', 'umbrella', 'hooli', 'stark-industries', 'wayne-enterprises', 'cyberdyne', 'soylent',
  'tyrell', 'wonka', 'aperture', 'black-mesa', 'massive-dynamic', 'oscorp', 'pied-piper', 'vandelay', 'dunder-mifflin',
  'prestige-worldwide', 'gringotts', 'monarch', 'nakatomi', 'virtucon', 'gekko-co', 'bluth-company', 'krusty-krab',
  'los-pollos', 'sterling-cooper', 'strickland', 'wernham-hogg', 'zorg', 'planet-express', 'mom-corp', 'duff', 'buy-n-large',
  'octan', 'spacely', 'cogswell', 'rekall', 'weyland', 'yoyodyne', 'lexcorp', 'daily-planet', 'premium-bank', 'omni-consumer',
  'ollivanders', 'blue-sun', 'encom', 'frobozz', 'contoso',
];

/** Deterministic PRNG (mulberry32): the same seed gives the same traffic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A draw from a Poisson distribution (normal approximation above 30, exact below), for request and error counts. */
function poisson(mean: number, random: () => number): number {
  if (mean <= 0) return 0;
  if (mean > 30) {
    const u = 1 - random();
    const v = random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.max(0, Math.round(mean + z * Math.sqrt(mean)));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k += 1;
    p *= random();
  }
  return k;
}

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function loadScenario(path: string): Scenario {
  return parseScenario(readFileSync(path, 'utf8'), path);
}

export function parseScenario(text: string, source: string): Scenario {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new ScenarioError(source, doc.errors.map((e) => e.message.split('\n')[0] ?? e.message));
  const raw: unknown = doc.toJS();
  const problems: string[] = [];
  if (!isRecord(raw)) throw new ScenarioError(source, [`(root): must be a mapping, got ${typeof raw}`]);

  const str = (obj: Raw, key: string, path: string, fallback?: string): string => {
    const v = obj[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string' || v.length === 0) {
      problems.push(`${path}: must be a non-empty string, got ${JSON.stringify(v)}`);
      return fallback ?? '';
    }
    return v;
  };
  const num = (obj: Raw, key: string, path: string, min: number, max: number, fallback?: number): number => {
    const v = obj[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      problems.push(`${path}: must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
      return fallback ?? min;
    }
    return v;
  };

  const name = str(raw, 'name', 'name', 'scenario');
  const startText = str(raw, 'start', 'start');
  const start = Date.parse(startText);
  if (startText !== '' && (!Number.isFinite(start) || start % MINUTE_MS !== 0)) {
    problems.push(`start: must be an ISO-8601 time on a whole minute, got ${JSON.stringify(startText)}`);
  }
  const hours = num(raw, 'hours', 'hours', 1, 24 * 7, 24);
  const historyHours = num(raw, 'historyHours', 'historyHours', 0, 24 * 30, 72);
  const seed = num(raw, 'seed', 'seed', 0, 2 ** 32 - 1, 1);

  let config: NormalizedBurnwatchConfig | undefined;
  try {
    config = normalizeBurnwatchProps(raw.burnwatch as never, `${source} (burnwatch)`);
    if (config.runtime.slos.length !== 1) problems.push(`burnwatch.slos: the demo runs exactly one SLO, got ${config.runtime.slos.length}`);
  } catch (error) {
    problems.push(`burnwatch: ${(error as Error).message}`);
  }

  const traffic = isRecord(raw.traffic) ? raw.traffic : {};
  if (!isRecord(raw.traffic)) problems.push(`traffic: must be a mapping, got ${JSON.stringify(raw.traffic)}`);
  const generated = num(traffic, 'tenants', 'traffic.tenants', 0, TENANT_NAMES.length, 44);
  const range = traffic.requestsPerMinute;
  let low = 100;
  let high = 1000;
  if (Array.isArray(range) && range.length === 2 && range.every((v) => typeof v === 'number' && v > 0) && range[0] <= range[1]) {
    [low, high] = range as [number, number];
  } else {
    problems.push(`traffic.requestsPerMinute: must be [low, high] with 0 < low <= high, got ${JSON.stringify(range)}`);
  }
  const baselineErrorRate = num(traffic, 'baselineErrorRate', 'traffic.baselineErrorRate', 0, 1, 0.0002);
  const dailyLow = num(traffic, 'dailyLow', 'traffic.dailyLow', 0.01, 1, 0.4);

  const random = seededRandom(seed);
  const offset = (text: unknown, path: string): number => {
    const match = typeof text === 'string' ? /^(\d{1,3}):([0-5]\d)$/.exec(text) : null;
    if (!match) {
      problems.push(`${path}: must be an offset from start as HH:MM, got ${JSON.stringify(text)}`);
      return start;
    }
    return start + Number(match[1]) * HOUR_MS + Number(match[2]) * MINUTE_MS;
  };

  const tenants: ScenarioTenant[] = TENANT_NAMES.slice(0, generated).map((tenant) => ({
    name: tenant,
    // Log-uniform: a few big tenants, many small ones, as in real multi-tenant fleets.
    requestsPerMinute: Math.round(low * Math.pow(high / low, random())),
    errorsAt: [],
  }));
  const extras = traffic.extraTenants === undefined ? [] : traffic.extraTenants;
  if (!Array.isArray(extras)) problems.push(`traffic.extraTenants: must be a list, got ${JSON.stringify(extras)}`);
  (Array.isArray(extras) ? extras : []).forEach((extra: unknown, i) => {
    const path = `traffic.extraTenants[${i}]`;
    if (!isRecord(extra)) {
      problems.push(`${path}: must be a mapping, got ${JSON.stringify(extra)}`);
      return;
    }
    const errorsAt = Array.isArray(extra.errorsAt) ? extra.errorsAt.map((t, j) => offset(t, `${path}.errorsAt[${j}]`)) : [];
    tenants.push({ name: str(extra, 'name', `${path}.name`), requestsPerMinute: num(extra, 'requestsPerMinute', `${path}.requestsPerMinute`, 0, 1e7), errorsAt });
  });
  const names = new Set(tenants.map((t) => t.name));
  if (names.size !== tenants.length) problems.push('traffic: tenant names must be unique');

  const rawEvents = raw.events === undefined ? [] : raw.events;
  if (!Array.isArray(rawEvents)) problems.push(`events: must be a list, got ${JSON.stringify(rawEvents)}`);
  const events: ScenarioEvent[] = [];
  (Array.isArray(rawEvents) ? rawEvents : []).forEach((event: unknown, i) => {
    const path = `events[${i}]`;
    if (!isRecord(event)) {
      problems.push(`${path}: must be a mapping, got ${JSON.stringify(event)}`);
      return;
    }
    const kind = event.kind as ScenarioEventKind;
    if (!EVENT_KINDS.includes(kind)) problems.push(`${path}.kind: must be one of ${EVENT_KINDS.join(', ')}, got ${JSON.stringify(event.kind)}`);
    const at = offset(event.at, `${path}.at`);
    const duration = num(event, 'durationMinutes', `${path}.durationMinutes`, 1, 24 * 60 * 7);
    let affected: string[] = [];
    if (event.tenants === 'all') affected = tenants.map((t) => t.name);
    else if (Array.isArray(event.tenants) && event.tenants.every((t) => typeof t === 'string')) {
      affected = event.tenants as string[];
      for (const t of affected) if (!names.has(t)) problems.push(`${path}.tenants: unknown tenant ${JSON.stringify(t)}; known: ${[...names].slice(0, 8).join(', ')}, ...`);
    } else problems.push(`${path}.tenants: must be "all" or a list of tenant names, got ${JSON.stringify(event.tenants)}`);
    const resource = isRecord(event.resource)
      ? Object.fromEntries(Object.entries(event.resource).map(([k, v]) => [k, String(v)]))
      : {};
    events.push({
      kind,
      description: str(event, 'description', `${path}.description`, kind),
      start: at,
      end: at + duration * MINUTE_MS,
      tenants: affected,
      errorRate: num(event, 'errorRate', `${path}.errorRate`, 0, 1, 0),
      trafficMultiplier: num(event, 'trafficMultiplier', `${path}.trafficMultiplier`, 0, 100, 1),
      resource,
      recoveryMinutes: num(event, 'recoveryMinutes', `${path}.recoveryMinutes`, 0, 24 * 60, 3),
    });
  });

  if (problems.length > 0 || !config) throw new ScenarioError(source, problems);
  const slo = config.runtime.slos[0] as SloDefinition;
  return {
    name,
    source,
    start,
    end: start + hours * HOUR_MS,
    historyStart: start - historyHours * HOUR_MS,
    seed,
    config,
    slo,
    tenants,
    baselineErrorRate,
    dailyLow,
    events,
  };
}

/**
 * Per-minute requests and errors of every tenant, generated as the simulated clock advances so a mitigation can
 * change the minutes after it. Each tenant draws from its own seeded stream, so the same file gives the same day
 * however the generation is split into chunks.
 */
export class ScenarioTraffic {
  /** First minute not generated yet (epoch ms). */
  private next: number;
  private readonly ends: number[];
  private readonly streams: (() => number)[];
  private readonly requestsMetric: MetricDefinition;
  private readonly errorsMetric: MetricDefinition;

  constructor(
    private readonly scenario: Scenario,
    private readonly cloudwatch: LocalCloudWatch,
  ) {
    const { sli } = scenario.slo;
    // The demo generates request and error counts: a threshold SLI's statistic is not something it simulates.
    if (sli.kind !== 'ratio') {
      throw new ScenarioError(scenario.source, [`burnwatch.slos[0].sli: the demo needs a ratio SLI (total and bad), got kind ${JSON.stringify(sli.kind)}`]);
    }
    const requestsMetric = sli.metrics.find((m) => sli.total.includes(m.id));
    const errorsMetric = sli.metrics.find((m) => (sli.bad ?? '').includes(m.id));
    if (!requestsMetric || !errorsMetric) {
      throw new ScenarioError(scenario.source, ['burnwatch.slos[0].sli: the demo needs `total` and `bad` each naming one metric']);
    }
    this.requestsMetric = requestsMetric;
    this.errorsMetric = errorsMetric;
    this.next = scenario.historyStart;
    this.ends = scenario.events.map((e) => e.end);
    // Golden-ratio spacing keeps the tenants' seeds apart.
    this.streams = scenario.tenants.map((_t, i) => seededRandom((scenario.seed ^ 0x5eed) + Math.imul(i + 1, 0x9e3779b9)));
  }

  /** When event `index` stops failing requests: its scheduled end, or earlier once mitigated. */
  eventEnd(index: number): number {
    return this.ends[index] ?? Number.NaN;
  }

  /** A mitigation took effect: the event stops at `at` (minutes already generated stay as they were). */
  endEvent(index: number, at: number): void {
    const end = this.ends[index];
    if (end === undefined) throw new RangeError(`no event ${index}; the scenario has ${this.ends.length}`);
    this.ends[index] = Math.max(Math.min(end, at), this.scenario.events[index]?.start ?? at);
  }

  /** Generates every minute before `until` not generated yet; returns how many minutes per tenant it added. */
  generateUntil(until: number): number {
    const minutes = Math.max(0, Math.ceil((until - this.next) / MINUTE_MS));
    if (minutes === 0) return 0;
    const { sli } = this.scenario.slo;
    const from = this.next;
    this.scenario.tenants.forEach((tenant, t) => {
      const random = this.streams[t] as () => number;
      const dims = { ...sli.dimensions, [sli.tenantDimension]: tenant.name };
      const requests = new Float64Array(minutes).fill(Number.NaN);
      const errors = new Float64Array(minutes).fill(Number.NaN);
      const events = this.scenario.events.map((event, index) => ({ event, index })).filter(({ event }) => event.tenants.includes(tenant.name));
      for (let i = 0; i < minutes; i += 1) {
        const at = from + i * MINUTE_MS;
        // Daily cycle: busiest mid-afternoon UTC, quietest at night.
        const hourOfDay = ((at % (24 * HOUR_MS)) / HOUR_MS + 24) % 24;
        const cycle = this.scenario.dailyLow + (1 - this.scenario.dailyLow) * (0.5 + 0.5 * Math.sin(((hourOfDay - 9) / 24) * 2 * Math.PI));
        let multiplier = 1;
        let errorRate = this.scenario.baselineErrorRate;
        for (const { event, index } of events) {
          if (at >= event.start && at < this.eventEnd(index)) {
            multiplier *= event.trafficMultiplier;
            errorRate = Math.max(errorRate, event.errorRate);
          }
        }
        const count = poisson(tenant.requestsPerMinute * cycle * multiplier, random);
        let bad = Math.min(count, poisson(count * errorRate, random));
        if (tenant.errorsAt.includes(at)) bad = Math.max(bad, 1);
        const total = Math.max(count, bad);
        if (total === 0) continue; // no request in this minute: no datapoint, as CloudWatch would have it
        requests[i] = total;
        errors[i] = bad;
      }
      const { namespace } = sli;
      this.cloudwatch.putMinutes(namespace, this.requestsMetric.metricName, { ...dims, ...this.requestsMetric.dimensions }, from, requests);
      this.cloudwatch.putMinutes(namespace, this.errorsMetric.metricName, { ...dims, ...this.errorsMetric.dimensions }, from, errors);
    });
    this.next = from + minutes * MINUTE_MS;
    return minutes;
  }
}
