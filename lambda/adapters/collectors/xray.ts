/**
 * Dependency evidence from AWS X-Ray: the incident tenants' failing traces (GetTraceSummaries filtered on the
 * tenant annotation) ranked by the edge their faults start on, and the service-graph edges (GetServiceGraph)
 * whose fault rate or latency rose against the window before. Trace summaries can only be asked for 24 hours
 * at a time, so a longer window is clamped to its last 24 hours and the clamp is noted with the caps.
 */
import {
  GetServiceGraphCommand,
  GetTraceSummariesCommand,
  type Service,
  type TraceSummary,
  type ValueWithServiceIds,
  type XRayClient,
} from '@aws-sdk/client-xray';
import {
  DEFAULT_EDGE_THRESHOLDS,
  edgeName,
  risenEdges,
  summariseTraces,
  validateEdgeThresholds,
  type EdgeChange,
  type EdgeStats,
  type EdgeThresholds,
  type FailingEdge,
  type RootCauseService,
  type TraceDigest,
  type TraceFacts,
  type UrlStats,
} from '../../domain/evidence-summary';
import type { EvidenceItem } from '../../domain/model';
import { DAY_MS, MINUTE_MS } from '../../domain/model';
import {
  AdapterInputError,
  integerOption,
  ApiSession,
  collectSafely,
  epochMs,
  requireString,
  resolveAdapterOptions,
  validateWindow,
  type AdapterOptions,
  type CollectionNotes,
  type CollectRequest,
  type CollectorReport,
  type ResolvedAdapterOptions,
} from './common';

export interface XRayScope {
  /** Annotation key the services record the tenant id under, e.g. `tenant` (X-Ray filters only letters, digits and `_` keys). */
  readonly tenantAnnotation: string;
  /**
   * X-Ray group whose service graph is compared with the window before.
   * @default - the account's default group
   */
  readonly groupName?: string;
  /**
   * Only traces through this service (X-Ray's `service("name")` filter), e.g. the SLO's front door.
   * @default - traces of any service
   */
  readonly serviceName?: string;
}

export interface XRayCollectorOptions extends AdapterOptions {
  /**
   * Trace summaries read at most per run (GetTraceSummaries only; the service graph keeps `maxItems`).
   * @default - `maxItems`
   */
  readonly maxTraces?: number;
  /**
   * Edges reported at most, from the traces and from the service graph each.
   * @default 3
   */
  readonly maxEdges?: number;
  /**
   * A trace edge is reported when at least this share (0..1] of the failing traces start their fault there.
   * @default 0.2
   */
  readonly minEdgeShare?: number;
  /**
   * When a service-graph edge counts as worse than in the window before.
   * @default DEFAULT_EDGE_THRESHOLDS (20 requests, +5 points of fault rate, 2x mean latency)
   */
  readonly edgeThresholds?: Partial<EdgeThresholds>;
}

/** GetTraceSummaries answers for at most 24 hours at a time. */
export const MAX_TRACE_WINDOW_MS = DAY_MS;

const SERVICE = 'xray';
const ANNOTATION_KEY = /^[A-Za-z0-9_]{1,500}$/;
const GROUP_NAME = /^[^\p{Cc}]{1,32}$/u;
// Control characters (and the line/paragraph separators) have no place in a tenant id and could end a filter string.
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
const URLS_IN_DETAILS = 3;

/** An ApiSession that can also note a narrowed look (a clamped window, a row limit) among the caps. */
export class NotingSession extends ApiSession {
  private readonly extraCaps: string[] = [];

  noteCap(line: string): void {
    this.extraCaps.push(line);
  }

  override notes(): CollectionNotes {
    const notes = super.notes();
    return { ...notes, capsHit: [...notes.capsHit, ...this.extraCaps] };
  }
}

/** A double-quoted filter-expression string: backslashes and quotes escaped; control characters refused. */
export function quoteFilterString(value: string, field: string): string {
  if (typeof value !== 'string' || value === '' || CONTROL.test(value)) {
    throw new AdapterInputError(field, 'a non-empty string without control characters', value);
  }
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

/**
 * `(annotation.<key> = "a" OR annotation.<key> = "b") AND (fault = true OR error = true)`; without tenants,
 * every failing trace. A service name adds `AND service("name")`.
 */
export function traceFilterExpression(annotationKey: string, tenants: readonly string[], serviceName?: string): string {
  requireString(annotationKey, 'scope.tenantAnnotation', ANNOTATION_KEY, 'an annotation key of letters, digits or _ (1..500 characters)');
  const failing = '(fault = true OR error = true)';
  const service = serviceName === undefined ? '' : ` AND service(${quoteFilterString(serviceName, 'scope.serviceName')})`;
  if (tenants.length === 0) return `${failing}${service}`;
  const clauses = tenants.map((tenant, i) => `annotation.${annotationKey} = ${quoteFilterString(tenant, `request.tenants[${i}]`)}`);
  return `(${[...new Set(clauses)].join(' OR ')}) AND ${failing}${service}`;
}

function annotationText(values: readonly ValueWithServiceIds[] | undefined): string | null {
  const value = values?.[0]?.AnnotationValue;
  if (value === undefined) return null;
  if (value.StringValue !== undefined) return value.StringValue;
  if (value.NumberValue !== undefined) return String(value.NumberValue);
  if (value.BooleanValue !== undefined) return String(value.BooleanValue);
  return null;
}

interface RootCauseShape {
  readonly Services?: readonly {
    readonly Name?: string;
    readonly EntityPath?: readonly { readonly Name?: string; readonly Remote?: boolean }[];
  }[];
}

function rootCauses(causes: readonly RootCauseShape[] | undefined): RootCauseService[][] {
  return (causes ?? []).map((cause) =>
    (cause.Services ?? []).map((service) => ({
      name: service.Name ?? '',
      entities: (service.EntityPath ?? []).map((entity) => ({ name: entity.Name ?? '', remote: entity.Remote === true })),
    })),
  );
}

function traceFacts(summary: TraceSummary, annotationKey: string): TraceFacts {
  return {
    id: summary.Id ?? '',
    startedAt: epochMs(summary.StartTime) ?? epochMs(summary.MatchedEventTime),
    tenant: annotationText(summary.Annotations?.[annotationKey]),
    fault: summary.HasFault === true,
    error: summary.HasError === true,
    responseTimeSeconds: summary.ResponseTime ?? null,
    method: summary.Http?.HttpMethod ?? null,
    url: summary.Http?.HttpURL ?? null,
    faultCauses: rootCauses(summary.FaultRootCauses),
    errorCauses: rootCauses(summary.ErrorRootCauses),
  };
}

/** The graph's edges by caller and callee name; an edge to a service the graph does not list is skipped. */
function graphEdges(services: readonly Service[]): EdgeStats[] {
  const names = new Map<number, string>();
  for (const service of services) {
    if (service.ReferenceId !== undefined && service.Name !== undefined) names.set(service.ReferenceId, service.Name);
  }
  const edges: EdgeStats[] = [];
  for (const service of services) {
    for (const edge of service.Edges ?? []) {
      const to = edge.ReferenceId === undefined ? undefined : names.get(edge.ReferenceId);
      const stats = edge.SummaryStatistics;
      if (service.Name === undefined || to === undefined || stats === undefined) continue;
      edges.push({
        from: service.Name,
        to,
        requests: stats.TotalCount ?? 0,
        faults: stats.FaultStatistics?.TotalCount ?? 0,
        errors: stats.ErrorStatistics?.TotalCount ?? 0,
        throttles: stats.ErrorStatistics?.ThrottleCount ?? 0,
        totalResponseTimeSeconds: stats.TotalResponseTime ?? 0,
      });
    }
  }
  return edges;
}

const percent = (share: number): string => `${Math.round(share * 100)}%`;
const percent1 = (share: number): string => `${(share * 100).toFixed(1)}%`;
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

function seconds(value: number): string {
  return value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(2)} s`;
}

function urlsText(urls: readonly UrlStats[]): string {
  return urls
    .slice(0, URLS_IN_DETAILS)
    .map((url) => `${url.url} x${url.traces}${url.meanResponseTimeSeconds === null ? '' : ` (mean ${seconds(url.meanResponseTimeSeconds)})`}`)
    .join('; ');
}

function graphDetails(change: EdgeChange | undefined): Record<string, number | boolean | null> {
  return {
    graphFaultRate: change === undefined ? null : round3(change.faultRate),
    graphPreviousFaultRate: change?.previousFaultRate === undefined || change.previousFaultRate === null ? null : round3(change.previousFaultRate),
    graphMeanLatencyMs: change === undefined ? null : Math.round(change.meanLatencySeconds * 1000),
    graphPreviousMeanLatencyMs:
      change?.previousMeanLatencySeconds === undefined || change.previousMeanLatencySeconds === null ? null : Math.round(change.previousMeanLatencySeconds * 1000),
    graphFaultRateRose: change?.faultRateRose ?? false,
    graphLatencyRose: change?.latencyRose ?? false,
  };
}

interface Window {
  readonly from: number;
  readonly to: number;
}

export class XRayCollector {
  private readonly options: ResolvedAdapterOptions;
  private readonly maxEdges: number;
  private readonly maxTraces: number;
  private readonly minEdgeShare: number;
  private readonly edgeThresholds: EdgeThresholds;

  constructor(
    private readonly client: XRayClient,
    options: XRayCollectorOptions = {},
  ) {
    this.options = resolveAdapterOptions(options);
    this.maxEdges = integerOption(options.maxEdges, 3, 'options.maxEdges', 20);
    this.maxTraces = integerOption(options.maxTraces, this.options.maxItems, 'options.maxTraces', 100_000);
    this.minEdgeShare = options.minEdgeShare ?? 0.2;
    if (!(this.minEdgeShare > 0 && this.minEdgeShare <= 1)) {
      throw new AdapterInputError('options.minEdgeShare', 'a number in (0, 1]', options.minEdgeShare);
    }
    this.edgeThresholds = { ...DEFAULT_EDGE_THRESHOLDS, ...options.edgeThresholds };
    validateEdgeThresholds(this.edgeThresholds, 'options.edgeThresholds');
  }

  async collect(request: CollectRequest<XRayScope>): Promise<CollectorReport> {
    const session = new NotingSession(SERVICE, this.options);
    return collectSafely('xray', session, async () => {
      validateWindow(request);
      const annotationKey = request.scope?.tenantAnnotation;
      const filter = traceFilterExpression(annotationKey, request.tenants, request.scope.serviceName);
      const groupName = request.scope.groupName;
      if (groupName !== undefined) requireString(groupName, 'scope.groupName', GROUP_NAME, 'an X-Ray group name (1..32 characters)');

      const window = this.clampedWindow(request, session);
      const summaries = await session.paginate('GetTraceSummaries', async (nextToken) => {
        const out = await this.client.send(
          new GetTraceSummariesCommand({
            StartTime: new Date(window.from),
            EndTime: new Date(window.to),
            TimeRangeType: 'Event',
            FilterExpression: filter,
            NextToken: nextToken,
          }),
        );
        return { items: out.TraceSummaries ?? [], nextToken: out.NextToken };
      }, undefined, this.maxTraces);
      const digest = summariseTraces(
        summaries.map((summary) => traceFacts(summary, annotationKey)),
        Math.max(this.maxEdges, URLS_IN_DETAILS),
      );

      const span = window.to - window.from;
      const current = await this.serviceGraph(session, 'current window', window, groupName);
      const previous = await this.serviceGraph(session, 'previous window', { from: window.from - span, to: window.from }, groupName);
      const changes = risenEdges(current, previous, this.edgeThresholds);

      const traceItems = digest.edges
        .filter((edge) => edge.share >= this.minEdgeShare)
        .slice(0, this.maxEdges)
        .map((edge) => this.traceEvidence(edge, digest, summaries.length, window, changes));
      const reported = new Set(traceItems.map((item) => item.resource));
      const graphItems = changes
        .filter((change) => !reported.has(change.name))
        .slice(0, this.maxEdges)
        .map((change) => this.graphEvidence(change, window));
      return [...traceItems, ...graphItems];
    });
  }

  private clampedWindow(request: CollectRequest<XRayScope>, session: NotingSession): Window {
    if (request.to - request.from <= MAX_TRACE_WINDOW_MS) return { from: request.from, to: request.to };
    const from = request.to - MAX_TRACE_WINDOW_MS;
    session.noteCap(
      `GetTraceSummaries: window clamped to its last 24 h (from ${new Date(from).toISOString()} instead of ${new Date(request.from).toISOString()})`,
    );
    return { from, to: request.to };
  }

  private async serviceGraph(session: ApiSession, label: string, window: Window, groupName: string | undefined): Promise<EdgeStats[]> {
    const services = await session.paginate(`GetServiceGraph ${label}`, async (nextToken) => {
      const out = await this.client.send(
        new GetServiceGraphCommand({ StartTime: new Date(window.from), EndTime: new Date(window.to), GroupName: groupName, NextToken: nextToken }),
      );
      return { items: out.Services ?? [], nextToken: out.NextToken };
    });
    return graphEdges(services);
  }

  private traceEvidence(edge: FailingEdge, digest: TraceDigest, scanned: number, window: Window, changes: readonly EdgeChange[]): EvidenceItem {
    const where = edge.to === null ? `in service ${edge.from}` : `on edge ${edge.name}`;
    const meanText = edge.meanResponseTimeSeconds === null ? '' : `, mean response ${seconds(edge.meanResponseTimeSeconds)}`;
    return {
      source: 'xray',
      // A fault inside one service names no dependency; it is still worth showing.
      failureMode: edge.to === null ? 'unknown' : 'dependency',
      resource: edge.name,
      at: edge.firstAt ?? window.from,
      endedAt: null,
      summary: `X-Ray: ${percent(edge.share)} of ${digest.ranked ?? 'faults'} ${where} (${edge.traces} of ${digest.rankedTraces} traces)${meanText}`,
      tenants: edge.tenants,
      details: {
        edge: edge.name,
        from: edge.from,
        to: edge.to,
        kind: digest.ranked,
        traces: edge.traces,
        rankedTraces: digest.rankedTraces,
        share: round3(edge.share),
        faultTraces: digest.faults,
        errorTraces: digest.errors,
        tracesScanned: scanned,
        meanResponseTimeSeconds: edge.meanResponseTimeSeconds === null ? null : round3(edge.meanResponseTimeSeconds),
        topUrls: urlsText(edge.urls),
        failingServices: digest.services.map((service) => `${service.service} x${service.traces}`).join('; '),
        windowStart: window.from,
        windowEnd: window.to,
        ...graphDetails(changes.find((change) => change.name === edge.name)),
      },
    };
  }

  private graphEvidence(change: EdgeChange, window: Window): EvidenceItem {
    const parts: string[] = [];
    if (change.faultRateRose) parts.push(`fault rate ${change.previousFaultRate === null ? 'new' : percent1(change.previousFaultRate)} -> ${percent1(change.faultRate)}`);
    if (change.latencyRose && change.previousMeanLatencySeconds !== null) {
      parts.push(`mean latency ${seconds(change.previousMeanLatencySeconds)} -> ${seconds(change.meanLatencySeconds)}`);
    }
    const minutes = Math.round((window.to - window.from) / MINUTE_MS);
    return {
      source: 'xray',
      failureMode: 'dependency',
      resource: edgeName(change),
      // The graph only says the edge was worse somewhere in the window.
      at: window.from,
      endedAt: null,
      summary: `X-Ray: edge ${change.name} ${parts.join(', ')} vs the ${minutes} min before`,
      // The service graph is not per tenant: shared infrastructure.
      tenants: [],
      details: {
        edge: change.name,
        from: change.from,
        to: change.to,
        requests: change.requests,
        previousRequests: change.previousRequests,
        windowStart: window.from,
        windowEnd: window.to,
        ...graphDetails(change),
      },
    };
  }
}
