/**
 * Pure summaries behind the collectors that look past infrastructure events: X-Ray traces ranked by where their
 * faults start, service-graph edges that got worse than in the window before, error messages grouped by their
 * shape, and a tenant's request rate against its own baseline. No SDK and no clock: adapters pass plain facts in.
 */
import { DomainInputError } from './burn';
import type { FailureMode } from './model';
import { DAY_MS, MINUTE_MS } from './model';

const WEEK_MS = 7 * DAY_MS;

// ---------------------------------------------------------------------------------------------------------
// Message normalisation
// ---------------------------------------------------------------------------------------------------------

/** Longest pattern kept; longer ones are cut, so one huge stack trace cannot dominate a report. */
export const MAX_PATTERN_LENGTH = 300;

/**
 * Replacements in order. Timestamps and quoted text go first so their digits are not numbered one by one;
 * UUIDs before hex ids, hex ids before plain numbers. A number glued to a letter before it (`ec2`, `http2`,
 * `v1.2`) is part of a name and stays.
 */
const NORMALISERS: readonly (readonly [RegExp, string])[] = [
  [/(?<!\d)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d)/g, '<ts>'],
  [/(?<!\d)\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?!\d)/g, '<ts>'],
  [/"(?:[^"\\]|\\.)*"/g, '<str>'],
  [/`[^`]*`/g, '<str>'],
  // An apostrophe inside a word (can't) opens nothing; a quote starts after a non-word character.
  [/(?<![\p{L}\p{N}_'])'(?:[^'\\]|\\.)*'(?![\p{L}\p{N}_])/gu, '<str>'],
  [/(?<![0-9a-z])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-z])/gi, '<uuid>'],
  [/(?<![0-9a-z])0x[0-9a-f]+(?![0-9a-z])/gi, '<hex>'],
  // Runs of 8+ hex digits with at least one digit and one letter: request ids, commit ids, trace ids.
  [/(?<![0-9a-z])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}(?![0-9a-z])/gi, '<hex>'],
  [/(?<![\p{L}\d.])\d+(?:\.\d+)*/gu, '<n>'],
];

/**
 * The shape of a message: timestamps, quoted strings, UUIDs, hex ids and numbers replaced by `<ts>`, `<str>`,
 * `<uuid>`, `<hex>`, `<n>`, whitespace collapsed, so the same error from different requests groups together.
 */
export function normaliseMessage(message: string): string {
  let pattern = message;
  for (const [expression, placeholder] of NORMALISERS) pattern = pattern.replace(expression, placeholder);
  pattern = pattern.replace(/\s+/g, ' ').trim();
  return pattern.length > MAX_PATTERN_LENGTH ? `${pattern.slice(0, MAX_PATTERN_LENGTH - 1)}…` : pattern;
}

/** `METHOD /path` with scheme, host, query and fragment dropped and ids in the path normalised. */
export function normaliseUrl(method: string | null, url: string): string {
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/)[0] ?? '';
  const normalised = normaliseMessage(path === '' ? '/' : path);
  return method === null || method === '' ? normalised : `${method.toUpperCase()} ${normalised}`;
}

/** One row of a log query: a raw message, how often it was seen, by which tenant, where. */
export interface MessageRow {
  /** Where it was logged (a log group), so the same text from two services stays two groups. */
  readonly origin: string;
  readonly message: string;
  readonly count: number;
  readonly tenant: string | null;
  readonly firstSeenAt: number | null;
  readonly lastSeenAt: number | null;
}

export interface MessageGroup {
  readonly origin: string;
  readonly pattern: string;
  readonly count: number;
  /** The raw message seen most often in the group (the first one on a tie), so a responder reads a real line. */
  readonly sample: string;
  readonly tenants: readonly string[];
  readonly firstSeenAt: number | null;
  readonly lastSeenAt: number | null;
}

export interface GroupedMessages {
  /** The `limit` largest groups, most events first. */
  readonly groups: readonly MessageGroup[];
  /** Groups found before the limit was applied. */
  readonly totalGroups: number;
}

interface GroupAccumulator {
  readonly origin: string;
  readonly pattern: string;
  count: number;
  readonly samples: Map<string, number>;
  readonly tenants: Set<string>;
  firstSeenAt: number | null;
  lastSeenAt: number | null;
}

function earlier(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function later(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/** Groups rows by origin and normalised message; counts add up, tenants join, the first sighting wins. */
export function groupMessages(rows: readonly MessageRow[], limit: number): GroupedMessages {
  requirePositiveInteger('limit', limit);
  const groups = new Map<string, GroupAccumulator>();
  rows.forEach((row, index) => {
    if (!(Number.isFinite(row.count) && row.count >= 0)) {
      throw new DomainInputError(`rows[${index}].count`, 'a finite number >= 0', row.count);
    }
    const pattern = normaliseMessage(row.message);
    const key = JSON.stringify([row.origin, pattern]);
    let group = groups.get(key);
    if (group === undefined) {
      group = { origin: row.origin, pattern, count: 0, samples: new Map(), tenants: new Set(), firstSeenAt: null, lastSeenAt: null };
      groups.set(key, group);
    }
    group.count += row.count;
    group.samples.set(row.message, (group.samples.get(row.message) ?? 0) + row.count);
    if (row.tenant !== null && row.tenant !== '') group.tenants.add(row.tenant);
    group.firstSeenAt = earlier(group.firstSeenAt, row.firstSeenAt);
    group.lastSeenAt = later(group.lastSeenAt, row.lastSeenAt);
  });
  const ranked = [...groups.values()].sort(
    (a, b) =>
      b.count - a.count ||
      (a.firstSeenAt ?? Number.MAX_SAFE_INTEGER) - (b.firstSeenAt ?? Number.MAX_SAFE_INTEGER) ||
      a.origin.localeCompare(b.origin) ||
      a.pattern.localeCompare(b.pattern),
  );
  return {
    totalGroups: ranked.length,
    groups: ranked.slice(0, limit).map((group) => ({
      origin: group.origin,
      pattern: group.pattern,
      count: group.count,
      sample: mostFrequent(group.samples),
      tenants: [...group.tenants].sort(),
      firstSeenAt: group.firstSeenAt,
      lastSeenAt: group.lastSeenAt,
    })),
  };
}

function mostFrequent(counts: ReadonlyMap<string, number>): string {
  let best = '';
  let bestCount = -1;
  // Map keeps insertion order, so a tie keeps the message seen first.
  for (const [message, count] of counts) {
    if (count > bestCount) {
      best = message;
      bestCount = count;
    }
  }
  return best;
}

/** What an error message suggests, first match wins; messages that name no known cause are `unknown`. */
const MESSAGE_FAILURE_MODES: readonly (readonly [RegExp, FailureMode])[] = [
  [/throttl|rate exceeded|too many requests|\b429\b|slow ?down|request limit exceeded/i, 'overload'],
  [/out of memory|\bOOM\b|heap|ENOMEM|EMFILE|pool (is )?exhausted|too many connections|insufficient capacity|no capacity/i, 'capacity'],
  [
    /timed? ?out|timeout|ETIMEDOUT|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|connection (refused|reset|closed)|socket hang up|bad gateway|service unavailable|upstream|\b50[234]\b/i,
    'dependency',
  ],
];

export function failureModeOfMessage(message: string): FailureMode {
  return MESSAGE_FAILURE_MODES.find(([expression]) => expression.test(message))?.[1] ?? 'unknown';
}

// ---------------------------------------------------------------------------------------------------------
// X-Ray trace summaries
// ---------------------------------------------------------------------------------------------------------

/** One service of a root cause as X-Ray reports it, with the entities (segment, subsegments) the cause ran through. */
export interface RootCauseService {
  readonly name: string;
  readonly entities: readonly { readonly name: string; readonly remote: boolean }[];
}

/** Where a fault started: a call from one service to another, or inside one service (`to` null). */
export interface TraceEdge {
  readonly from: string;
  readonly to: string | null;
}

export function edgeName(edge: TraceEdge): string {
  return edge.to === null ? edge.from : `${edge.from} -> ${edge.to}`;
}

/**
 * The edge a root cause points at. X-Ray lists a root cause's services in call order, the one where it started
 * last. When that service's innermost entity is a remote call (a database, an uninstrumented API), the fault
 * came back from that callee; otherwise the edge is the call from the service before it. A single service
 * with no remote callee is a fault inside that service.
 */
export function rootCauseEdge(services: readonly RootCauseService[]): TraceEdge | null {
  const named = services.filter((service) => service.name !== '');
  const last = named[named.length - 1];
  if (last === undefined) return null;
  const innermost = last.entities[last.entities.length - 1];
  if (innermost !== undefined && innermost.remote && innermost.name !== '' && innermost.name !== last.name) {
    return { from: last.name, to: innermost.name };
  }
  const caller = named[named.length - 2];
  return caller === undefined ? { from: last.name, to: null } : { from: caller.name, to: last.name };
}

/** The facts of one trace summary the ranking needs. */
export interface TraceFacts {
  readonly id: string;
  /** When the traced request started, epoch ms; null when X-Ray did not say. */
  readonly startedAt: number | null;
  readonly tenant: string | null;
  readonly fault: boolean;
  readonly error: boolean;
  readonly responseTimeSeconds: number | null;
  readonly method: string | null;
  readonly url: string | null;
  /** One entry per fault root cause. */
  readonly faultCauses: readonly (readonly RootCauseService[])[];
  /** One entry per error root cause. */
  readonly errorCauses: readonly (readonly RootCauseService[])[];
}

export interface UrlStats {
  /** `METHOD /path` with ids normalised. */
  readonly url: string;
  readonly traces: number;
  readonly meanResponseTimeSeconds: number | null;
  readonly maxResponseTimeSeconds: number | null;
}

export interface FailingEdge extends TraceEdge {
  readonly name: string;
  /** Ranked traces whose root cause is on this edge (each trace counted once per edge). */
  readonly traces: number;
  /** traces / all ranked traces, 0..1. */
  readonly share: number;
  readonly tenants: readonly string[];
  readonly firstAt: number | null;
  readonly meanResponseTimeSeconds: number | null;
  readonly urls: readonly UrlStats[];
}

export interface ServiceCount {
  readonly service: string;
  readonly traces: number;
}

export interface TraceDigest {
  readonly faults: number;
  readonly errors: number;
  /** What the edges rank: faults (5xx, what burns an SLO) when there are any, else errors (4xx). */
  readonly ranked: 'faults' | 'errors' | null;
  /** Traces of the ranked kind: the denominator of every share. */
  readonly rankedTraces: number;
  readonly edges: readonly FailingEdge[];
  /** Services where ranked root causes started, most traces first. */
  readonly services: readonly ServiceCount[];
  /** Ranked traces by URL, most first. */
  readonly urls: readonly UrlStats[];
}

/** URLs kept per edge. */
const URLS_PER_EDGE = 3;

interface EdgeAccumulator {
  readonly edge: TraceEdge;
  readonly traces: TraceFacts[];
}

/** Ranks where the failing traces' root causes are: edges and services by trace count, then URLs. */
export function summariseTraces(traces: readonly TraceFacts[], limit: number): TraceDigest {
  requirePositiveInteger('limit', limit);
  const faults = traces.filter((trace) => trace.fault);
  const errors = traces.filter((trace) => trace.error);
  const ranked = faults.length > 0 ? 'faults' : errors.length > 0 ? 'errors' : null;
  const rankedTraces = ranked === 'faults' ? faults : errors;
  const causesOf = (trace: TraceFacts): readonly (readonly RootCauseService[])[] => (ranked === 'faults' ? trace.faultCauses : trace.errorCauses);

  const edges = new Map<string, EdgeAccumulator>();
  const services = new Map<string, number>();
  for (const trace of rankedTraces) {
    const seen = new Set<string>();
    for (const cause of causesOf(trace)) {
      const edge = rootCauseEdge(cause);
      if (edge === null) continue;
      const name = edgeName(edge);
      // A trace with two causes on one edge still counts once there.
      if (seen.has(name)) continue;
      seen.add(name);
      const entry = edges.get(name) ?? { edge, traces: [] };
      entry.traces.push(trace);
      edges.set(name, entry);
      const service = edge.to ?? edge.from;
      services.set(service, (services.get(service) ?? 0) + 1);
    }
  }
  const failingEdges = [...edges.entries()]
    .map(([name, { edge, traces: onEdge }]): FailingEdge => ({
      ...edge,
      name,
      traces: onEdge.length,
      share: onEdge.length / rankedTraces.length,
      tenants: [...new Set(onEdge.map((trace) => trace.tenant).filter((tenant): tenant is string => tenant !== null && tenant !== ''))].sort(),
      firstAt: onEdge.reduce<number | null>((first, trace) => earlier(first, trace.startedAt), null),
      meanResponseTimeSeconds: mean(responseTimes(onEdge)),
      urls: urlStats(onEdge).slice(0, URLS_PER_EDGE),
    }))
    .sort((a, b) => b.traces - a.traces || a.name.localeCompare(b.name))
    .slice(0, limit);
  return {
    faults: faults.length,
    errors: errors.length,
    ranked,
    rankedTraces: rankedTraces.length,
    edges: failingEdges,
    services: [...services.entries()]
      .map(([service, count]) => ({ service, traces: count }))
      .sort((a, b) => b.traces - a.traces || a.service.localeCompare(b.service))
      .slice(0, limit),
    urls: urlStats(rankedTraces).slice(0, limit),
  };
}

function responseTimes(traces: readonly TraceFacts[]): number[] {
  return traces.map((trace) => trace.responseTimeSeconds).filter((seconds): seconds is number => seconds !== null && Number.isFinite(seconds));
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

function urlStats(traces: readonly TraceFacts[]): UrlStats[] {
  const byUrl = new Map<string, TraceFacts[]>();
  for (const trace of traces) {
    if (trace.url === null || trace.url === '') continue;
    const url = normaliseUrl(trace.method, trace.url);
    byUrl.set(url, [...(byUrl.get(url) ?? []), trace]);
  }
  return [...byUrl.entries()]
    .map(([url, onUrl]) => {
      const times = responseTimes(onUrl);
      return { url, traces: onUrl.length, meanResponseTimeSeconds: mean(times), maxResponseTimeSeconds: times.length === 0 ? null : Math.max(...times) };
    })
    .sort((a, b) => b.traces - a.traces || a.url.localeCompare(b.url));
}

// ---------------------------------------------------------------------------------------------------------
// X-Ray service graph edges
// ---------------------------------------------------------------------------------------------------------

/** One edge of a service graph over one window. */
export interface EdgeStats {
  readonly from: string;
  readonly to: string;
  readonly requests: number;
  /** 5xx responses. */
  readonly faults: number;
  /** 4xx responses, throttles included. */
  readonly errors: number;
  readonly throttles: number;
  /** Sum of the requests' response times, seconds. */
  readonly totalResponseTimeSeconds: number;
}

export interface EdgeThresholds {
  /** An edge with fewer requests in a window says nothing about that window. */
  readonly minRequests: number;
  /** The fault rate must rise by at least this much (0..1, absolute: 0.05 is 5 percentage points). */
  readonly faultRateIncrease: number;
  /** The mean latency must reach this multiple of the previous window's. */
  readonly latencyFactor: number;
}

export const DEFAULT_EDGE_THRESHOLDS: EdgeThresholds = { minRequests: 20, faultRateIncrease: 0.05, latencyFactor: 2 };

export interface EdgeChange extends TraceEdge {
  readonly to: string;
  readonly name: string;
  readonly requests: number;
  readonly previousRequests: number;
  readonly faultRate: number;
  /** null when the previous window had fewer than `minRequests` on the edge. */
  readonly previousFaultRate: number | null;
  readonly meanLatencySeconds: number;
  readonly previousMeanLatencySeconds: number | null;
  readonly faultRateRose: boolean;
  readonly latencyRose: boolean;
}

export function validateEdgeThresholds(thresholds: EdgeThresholds, field: string): void {
  if (!(Number.isInteger(thresholds.minRequests) && thresholds.minRequests >= 1)) {
    throw new DomainInputError(`${field}.minRequests`, 'an integer >= 1', thresholds.minRequests);
  }
  if (!(thresholds.faultRateIncrease > 0 && thresholds.faultRateIncrease <= 1)) {
    throw new DomainInputError(`${field}.faultRateIncrease`, 'a number in (0, 1]', thresholds.faultRateIncrease);
  }
  if (!(Number.isFinite(thresholds.latencyFactor) && thresholds.latencyFactor > 1)) {
    throw new DomainInputError(`${field}.latencyFactor`, 'a finite number > 1', thresholds.latencyFactor);
  }
}

/** Sums edges with the same caller and callee (a service graph may list a service once per type). */
function byEdge(edges: readonly EdgeStats[]): Map<string, EdgeStats> {
  const merged = new Map<string, EdgeStats>();
  for (const edge of edges) {
    const name = edgeName(edge);
    const known = merged.get(name);
    merged.set(
      name,
      known === undefined
        ? edge
        : {
            from: edge.from,
            to: edge.to,
            requests: known.requests + edge.requests,
            faults: known.faults + edge.faults,
            errors: known.errors + edge.errors,
            throttles: known.throttles + edge.throttles,
            totalResponseTimeSeconds: known.totalResponseTimeSeconds + edge.totalResponseTimeSeconds,
          },
    );
  }
  return merged;
}

/**
 * Edges whose fault rate rose by `faultRateIncrease` or whose mean latency reached `latencyFactor` times the
 * previous window's. An edge new in this window (or too quiet before) is compared with a fault rate of 0 and
 * has no latency to compare. Worst fault-rate rise first, then the largest latency ratio.
 */
export function risenEdges(current: readonly EdgeStats[], previous: readonly EdgeStats[], thresholds: EdgeThresholds): EdgeChange[] {
  validateEdgeThresholds(thresholds, 'thresholds');
  const before = byEdge(previous);
  const changes: EdgeChange[] = [];
  for (const [name, edge] of byEdge(current)) {
    if (edge.requests < thresholds.minRequests) continue;
    const prior = before.get(name);
    const priorKnown = prior !== undefined && prior.requests >= thresholds.minRequests;
    const faultRate = edge.faults / edge.requests;
    const meanLatencySeconds = edge.totalResponseTimeSeconds / edge.requests;
    const previousFaultRate = priorKnown ? prior.faults / prior.requests : null;
    const previousMeanLatencySeconds = priorKnown ? prior.totalResponseTimeSeconds / prior.requests : null;
    const faultRateRose = faultRate - (previousFaultRate ?? 0) >= thresholds.faultRateIncrease;
    const latencyRose =
      previousMeanLatencySeconds !== null && previousMeanLatencySeconds > 0 && meanLatencySeconds >= thresholds.latencyFactor * previousMeanLatencySeconds;
    if (!faultRateRose && !latencyRose) continue;
    changes.push({
      from: edge.from,
      to: edge.to,
      name,
      requests: edge.requests,
      previousRequests: prior?.requests ?? 0,
      faultRate,
      previousFaultRate,
      meanLatencySeconds,
      previousMeanLatencySeconds,
      faultRateRose,
      latencyRose,
    });
  }
  const latencyRatio = (change: EdgeChange): number =>
    change.previousMeanLatencySeconds === null || change.previousMeanLatencySeconds === 0 ? 0 : change.meanLatencySeconds / change.previousMeanLatencySeconds;
  return changes.sort(
    (a, b) =>
      b.faultRate - (b.previousFaultRate ?? 0) - (a.faultRate - (a.previousFaultRate ?? 0)) ||
      latencyRatio(b) - latencyRatio(a) ||
      a.name.localeCompare(b.name),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Load against the tenant's own baseline
// ---------------------------------------------------------------------------------------------------------

/** Requests in the minute starting at `start` (epoch ms, minute-aligned). */
export interface MinuteCount {
  readonly start: number;
  readonly total: number;
}

/** The median; the mean of the two middle values for an even count; null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

/** Requests per minute over [from, to), one value per minute; a minute without a datapoint had no traffic. */
export function perMinuteTotals(points: readonly MinuteCount[], from: number, to: number): number[] {
  requireMinuteAligned('from', from);
  requireMinuteAligned('to', to);
  if (to < from) throw new DomainInputError('to', `a time at or after from (${from})`, to);
  const totals = new Array<number>((to - from) / MINUTE_MS).fill(0);
  points.forEach((point, index) => {
    if (!(Number.isFinite(point.total) && point.total >= 0)) {
      throw new DomainInputError(`points[${index}].total`, 'a finite number >= 0', point.total);
    }
    if (point.start < from || point.start >= to) return;
    const minute = Math.floor((point.start - from) / MINUTE_MS);
    totals[minute] = (totals[minute] ?? 0) + point.total;
  });
  return totals;
}

export interface TrafficJumpInput {
  /** The burn window, minute-aligned: [windowStart, windowEnd). */
  readonly windowStart: number;
  readonly windowEnd: number;
  /** Per-minute requests over the window and the 24 hours before it. */
  readonly recent: readonly MinuteCount[];
  /** Per-minute requests over the same window one week earlier. */
  readonly weekAgo: readonly MinuteCount[];
  /** The window's rate must reach this multiple of the baseline to count as a jump. */
  readonly factor: number;
  /** The rate must hold for this many consecutive minutes; shorter bursts do not count. */
  readonly sustainMinutes: number;
  /** A rate below this (requests per minute) is too quiet to overload anything. */
  readonly minRequestsPerMinute: number;
}

export interface TrafficJump {
  /** Highest mean rate over `sustainMinutes` consecutive minutes of the window (the whole window if shorter). */
  readonly peakRate: number;
  readonly meanRate: number;
  /** Median per-minute rate over the 24 hours before the window; null without a single datapoint there. */
  readonly dayMedianRate: number | null;
  /** Median per-minute rate over the same window a week earlier; null without a single datapoint there. */
  readonly weekAgoMedianRate: number | null;
  /** The larger of the two medians, so a usual daily or weekly peak is not a jump; null when neither is known. */
  readonly baselineRate: number | null;
  /** peakRate / baselineRate; null when the baseline is unknown or 0. */
  readonly jumpFactor: number | null;
  /** Start of the first sustained run at or above the threshold; null when there is no jump. */
  readonly jumpAt: number | null;
  readonly isJump: boolean;
}

/**
 * Compares the window's request rate with the tenant's own baseline: the median per-minute rate of the
 * previous 24 hours and of the same window a week earlier (medians, so an earlier spike does not raise the
 * bar). A jump is a sustained rate of at least `factor` x baseline and `minRequestsPerMinute`; from a
 * baseline of 0 or an unknown one, any rate of at least `minRequestsPerMinute` is a jump.
 */
export function assessTrafficJump(input: TrafficJumpInput): TrafficJump {
  if (!(Number.isFinite(input.factor) && input.factor >= 1)) throw new DomainInputError('factor', 'a finite number >= 1', input.factor);
  requirePositiveInteger('sustainMinutes', input.sustainMinutes);
  if (!(Number.isFinite(input.minRequestsPerMinute) && input.minRequestsPerMinute >= 0)) {
    throw new DomainInputError('minRequestsPerMinute', 'a finite number >= 0', input.minRequestsPerMinute);
  }
  const { windowStart, windowEnd } = input;
  if (windowEnd <= windowStart) throw new DomainInputError('windowEnd', `a time after windowStart (${windowStart})`, windowEnd);
  const window = perMinuteTotals(input.recent, windowStart, windowEnd);
  const dayStart = windowStart - DAY_MS;
  const dayMedianRate = hasData(input.recent, dayStart, windowStart) ? median(perMinuteTotals(input.recent, dayStart, windowStart)) : null;
  const weekStart = windowStart - WEEK_MS;
  const weekEnd = windowEnd - WEEK_MS;
  const weekAgoMedianRate = hasData(input.weekAgo, weekStart, weekEnd) ? median(perMinuteTotals(input.weekAgo, weekStart, weekEnd)) : null;
  const known = [dayMedianRate, weekAgoMedianRate].filter((rate): rate is number => rate !== null);
  const baselineRate = known.length === 0 ? null : Math.max(...known);

  const runs = sustainedRates(window, input.sustainMinutes);
  const peakRate = Math.max(...runs);
  const meanRate = mean(window) ?? 0;
  const threshold = Math.max(input.minRequestsPerMinute, input.factor * (baselineRate ?? 0));
  const firstRun = runs.findIndex((rate) => rate >= threshold);
  const isJump = firstRun >= 0;
  // The jump starts at the first minute of that run at the threshold (a run's mean reaching it means one does).
  const jumpMinute = isJump ? window.findIndex((rate, minute) => minute >= firstRun && rate >= threshold) : -1;
  return {
    peakRate,
    meanRate,
    dayMedianRate,
    weekAgoMedianRate,
    baselineRate,
    jumpFactor: baselineRate === null || baselineRate === 0 ? null : peakRate / baselineRate,
    jumpAt: isJump ? windowStart + jumpMinute * MINUTE_MS : null,
    isJump,
  };
}

function hasData(points: readonly MinuteCount[], from: number, to: number): boolean {
  return points.some((point) => point.start >= from && point.start < to);
}

/** Mean rate of every run of `length` consecutive minutes, by start minute; one run when the window is shorter. */
function sustainedRates(perMinute: readonly number[], length: number): number[] {
  const run = Math.min(length, perMinute.length);
  const rates: number[] = [];
  let sum = perMinute.slice(0, run).reduce((total, value) => total + value, 0);
  rates.push(sum / run);
  for (let start = 1; start + run <= perMinute.length; start += 1) {
    sum += (perMinute[start + run - 1] as number) - (perMinute[start - 1] as number);
    rates.push(sum / run);
  }
  return rates;
}

// ---------------------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------------------

function requirePositiveInteger(field: string, value: number): void {
  if (!(Number.isInteger(value) && value >= 1)) throw new DomainInputError(field, 'an integer >= 1', value);
}

function requireMinuteAligned(field: string, value: number): void {
  if (!(Number.isFinite(value) && value % MINUTE_MS === 0)) throw new DomainInputError(field, 'a minute-aligned epoch-ms time', value);
}
