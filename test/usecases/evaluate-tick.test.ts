/**
 * The evaluator's tick end to end on real local things: the CloudWatch adapter against the in-memory CloudWatch,
 * the DynamoDB state store against dynalite, and a recording workflow starter.
 */
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { DynamoStateStore } from '../../lambda/adapters/dynamo-state-store';
import { sreWorkbookPolicy, DEFAULT_TRAFFIC_GUARD } from '../../lambda/domain/policy';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { RuntimeConfig, SloDefinition } from '../../lambda/domain/model';
import type { CountsRequest, CountsResult, IncidentWorkflowInput, Log, MetricSource, WorkflowStarter } from '../../lambda/ports';
import { evaluateTick, newEvaluatorCache } from '../../lambda/usecases/evaluate-tick';
import type { EvaluatorDeps, TransitionEvent } from '../../lambda/usecases/evaluate-tick';
import { useLocalDynamo } from '../support/dynalite';
import { apiSlo } from '../support/slo-fixture';
import { tickConfig } from '../support/tick-fixture';

const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);
const NS = 'Shop';
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark'];

const slo: SloDefinition = apiSlo({
  name: 'checkout-availability',
  sli: {
    namespace: NS,
    dimensions: { Service: 'checkout' },
    metrics: [
      { id: 'requests', metricName: 'Requests', stat: 'Sum' },
      { id: 'errors', metricName: 'Errors', stat: 'Sum' },
    ],
    bad: 'errors',
    total: 'requests',
  },
  rules: sreWorkbookPolicy(30),
  trafficGuard: DEFAULT_TRAFFIC_GUARD,
  resolveAfterMinutes: 10,
  hysteresisRatio: 0.9,
});

const config: RuntimeConfig = tickConfig(slo);

/** 1,000 requests a minute per tenant; `errorRate(tenant, minute)` decides the bad share of each minute. */
function loadTraffic(cw: LocalCloudWatch, from: number, minutes: number, errorRate: (tenant: string, minuteStart: number) => number): void {
  for (const tenant of TENANTS) {
    const dims = { Service: 'checkout', TenantId: tenant };
    const requests = new Float64Array(minutes).fill(1000);
    const errors = new Float64Array(minutes);
    for (let i = 0; i < minutes; i += 1) errors[i] = Math.round(1000 * errorRate(tenant, from + i * MINUTE_MS));
    cw.putMinutes(NS, 'Requests', dims, from, requests);
    cw.putMinutes(NS, 'Errors', dims, from, errors);
  }
}

class RecordingStarter implements WorkflowStarter {
  readonly started = new Map<string, IncidentWorkflowInput>();
  readonly calls: string[] = [];
  async start(input: IncidentWorkflowInput, executionName: string): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    this.calls.push(executionName);
    const alreadyStarted = this.started.has(executionName);
    if (!alreadyStarted) this.started.set(executionName, input);
    return { executionArn: `arn:aws:states:local:0:execution:wf:${executionName}`, alreadyStarted };
  }
}

const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('evaluateTick', () => {
  const dynamo = useLocalDynamo('tick');

  async function setup(errorRate: (tenant: string, minuteStart: number) => number, source?: (real: MetricSource) => MetricSource) {
    const cw = new LocalCloudWatch({ clock: () => T0 });
    // Four days of history before T0 and two hours after, so the 3d window and the period have data.
    loadTraffic(cw, T0 - 4 * 24 * HOUR_MS, 4 * 24 * 60 + 120, errorRate);
    const table = await dynamo.freshTable();
    const store = new DynamoStateStore(table.doc, table.name);
    const workflow = new RecordingStarter();
    const transitions: TransitionEvent[] = [];
    const real = new CloudWatchMetricSource(cw.client(), { maxConcurrentRequests: 4, sleep: async () => undefined });
    const deps: EvaluatorDeps = {
      metrics: source ? source(real) : real,
      store,
      workflow,
      log: quiet,
      onTransition: (e) => transitions.push(e),
    };
    return { cw, store, workflow, transitions, deps, cache: newEvaluatorCache() };
  }

  it('keeps healthy tenants at ok and writes only their first state, then nothing but heartbeats', async () => {
    // Prepare: a 0.01% error rate, a tenth of the 0.1% budget
    const { deps, cache, transitions } = await setup(() => 0.0001);
    // Act
    const first = await evaluateTick(config, deps, cache, T0);
    let steadyWrites = 0;
    for (let minute = 1; minute <= 50; minute += 1) {
      const report = await evaluateTick(config, deps, cache, T0 + minute * MINUTE_MS);
      steadyWrites += report.slos[0]?.stateWrites ?? 0;
    }
    // Assess
    expect(first.slos[0]?.evaluated).toBe(TENANTS.length);
    expect(first.slos[0]?.levels).toEqual({ ok: TENANTS.length, ticket: 0, page: 0 });
    expect(first.slos[0]?.stateWrites).toBe(TENANTS.length);
    expect(steadyWrites).toBeLessThanOrEqual((50 * TENANTS.length) / 50);
    expect(transitions).toHaveLength(0);
  });

  it('requests about 2 metrics per tenant per tick when amortised over an hour', async () => {
    const { deps, cache } = await setup(() => 0.0001);
    let metricsRequested = 0;
    for (let minute = 0; minute < 60; minute += 1) {
      const report = await evaluateTick(config, deps, cache, T0 + minute * MINUTE_MS);
      metricsRequested += report.slos[0]?.fetch.metricsRequested ?? 0;
    }
    // 2 metrics (requests, errors) every tick, plus 2 for the hourly series once in the hour.
    expect(metricsRequested / (60 * TENANTS.length)).toBeCloseTo(2 + 2 / 60, 5);
  });

  it('pages a full outage within two ticks, opens one incident, starts its workflow once and resolves after recovery', async () => {
    // Prepare: acme fails every request for 3 minutes, T0+10m to T0+13m: 50x over 1h and 8.3x over 6h (page), but
    // only 0.69x over 3d, so no ticket follows.
    const outage = (tenant: string, at: number): number => (tenant === 'acme' && at >= T0 + 10 * MINUTE_MS && at < T0 + 13 * MINUTE_MS ? 1 : 0.0001);
    const { deps, cache, workflow, transitions, store } = await setup(outage);
    // Act: tick every minute for 80 minutes
    for (let minute = 0; minute <= 80; minute += 1) await evaluateTick(config, deps, cache, T0 + minute * MINUTE_MS);
    // Assess: data of minute 10 is complete at 11 and read after the 1-minute delay, at 12.
    const opened = transitions.find((t) => t.transition === 'opened');
    expect(opened).toMatchObject({ tenant: 'acme', state: { level: 'page' } });
    expect(opened?.state.updatedAt).toBe(T0 + 12 * MINUTE_MS);
    expect(workflow.started.size).toBe(1);
    const [name, input] = [...workflow.started][0] ?? ['', undefined];
    expect(input).toMatchObject({ slo: slo.name, severity: 'page', tenants: ['acme'], incidentId: name });
    // The last outage minute (12) leaves the 6h/30m rule's short window when the window end passes 42, read at 44
    // after the 1-minute delay; the last firing tick is 43, and the page resolves after 10 more minutes.
    const resolved = transitions.find((t) => t.transition === 'resolved');
    expect(resolved?.tenant).toBe('acme');
    expect(resolved?.state.updatedAt).toBeGreaterThanOrEqual(T0 + 53 * MINUTE_MS);
    expect(resolved?.state.updatedAt).toBeLessThanOrEqual(T0 + 54 * MINUTE_MS);
    expect(transitions.filter((t) => t.tenant === 'acme').map((t) => t.transition)).toEqual(['opened', 'resolved']);
    const incident = await store.getIncident(name);
    expect(incident?.status).toBe('resolved');
    expect(incident?.tenants.map((t) => t.tenant)).toEqual(['acme']);
  });

  it('groups tenants that start burning within the grouping interval into one incident', async () => {
    const start: Record<string, number> = { acme: 10, globex: 11, initech: 13 };
    const outage = (tenant: string, at: number): number => {
      const s = start[tenant];
      return s !== undefined && at >= T0 + s * MINUTE_MS && at < T0 + 40 * MINUTE_MS ? 0.5 : 0.0001;
    };
    const { deps, cache, workflow, store } = await setup(outage);
    for (let minute = 0; minute <= 20; minute += 1) await evaluateTick(config, deps, cache, T0 + minute * MINUTE_MS);
    expect(workflow.started.size).toBe(1);
    const [id] = [...workflow.started.keys()];
    const incident = await store.getIncident(id ?? '');
    expect(incident?.tenants.map((t) => t.tenant).sort()).toEqual(['acme', 'globex', 'initech']);
  });

  it('keeps a tenant that escalates from ticket to page in its own incident and pages once for it', async () => {
    // Prepare: acme burns 4x for days (ticket: 3d and 6h above 1x, 6h below 6x), then fails every request from T0+10m.
    const errorRate = (tenant: string, at: number): number => {
      if (tenant !== 'acme') return 0.0001;
      return at >= T0 + 10 * MINUTE_MS && at < T0 + 15 * MINUTE_MS ? 1 : 0.004;
    };
    const { deps, cache, workflow, store } = await setup(errorRate);
    // Act
    for (let minute = 0; minute <= 14; minute += 1) await evaluateTick(config, deps, cache, T0 + minute * MINUTE_MS);
    // Assess: one incident, opened as a ticket at T0, raised to page, with a second execution named for the page
    const names = [...workflow.started.keys()];
    expect(names).toHaveLength(2);
    const [ticketName, pageName] = names;
    expect(pageName).toBe(`${ticketName}-page`);
    const incident = await store.getIncident(ticketName ?? '');
    expect(incident?.severity).toBe('page');
    expect(incident?.tenants.map((t) => t.tenant)).toEqual(['acme']);
    expect((await store.getTenantStates(slo.name, ['acme'])).states.get('acme')?.incidentId).toBe(ticketName);
  });

  it('opens one incident and one workflow execution when two ticks overlap', async () => {
    const outage = (tenant: string, at: number): number => (tenant === 'hooli' && at >= T0 + 5 * MINUTE_MS ? 1 : 0.0001);
    const { deps, workflow, store } = await setup(outage);
    const cacheA = newEvaluatorCache();
    const cacheB = newEvaluatorCache();
    for (let minute = 0; minute < 7; minute += 1) await evaluateTick(config, deps, cacheA, T0 + minute * MINUTE_MS);
    // Act: the same tick delivered twice, concurrently (separate containers, separate caches)
    const [a, b] = await Promise.all([evaluateTick(config, deps, cacheA, T0 + 7 * MINUTE_MS), evaluateTick(config, deps, cacheB, T0 + 7 * MINUTE_MS)]);
    // Assess
    const opened = [...(a.slos[0]?.incidentsOpened ?? []), ...(b.slos[0]?.incidentsOpened ?? [])];
    expect(opened).toHaveLength(1);
    expect(workflow.started.size).toBe(1);
    const { states } = await store.getTenantStates(slo.name, ['hooli']);
    expect(states.get('hooli')?.incidentId).toBe(opened[0]);
  });

  it('evaluates every other tenant when one tenant fails', async () => {
    const failing = (real: MetricSource): MetricSource => ({
      listTenants: (s) => real.listTenants(s),
      fetchCounts: async (request: CountsRequest): Promise<CountsResult> => {
        const result = await real.fetchCounts(request);
        result.series.delete('umbrella');
        result.failures.set('umbrella', 'Forbidden: not authorized for this metric');
        return result;
      },
    });
    const { deps, cache } = await setup(() => 0.0001, failing);
    const report = await evaluateTick(config, deps, cache, T0);
    expect(report.slos[0]?.evaluated).toBe(TENANTS.length - 1);
    expect(report.slos[0]?.failures).toEqual([{ tenant: 'umbrella', reason: 'Forbidden: not authorized for this metric' }]);
  });

  it('reports an SLO whose tenant discovery fails without stopping the tick', async () => {
    const broken = (real: MetricSource): MetricSource => ({
      fetchCounts: (r) => real.fetchCounts(r),
      listTenants: async () => {
        throw Object.assign(new Error('User is not authorized to perform cloudwatch:ListMetrics'), { name: 'AccessDenied' });
      },
    });
    const { deps, cache } = await setup(() => 0.0001, broken);
    const report = await evaluateTick(config, deps, cache, T0);
    expect(report.slos).toHaveLength(0);
    expect(report.skipped).toEqual([{ slo: slo.name, reason: 'AccessDenied: User is not authorized to perform cloudwatch:ListMetrics' }]);
  });
});
