/**
 * The collect step for traces, logs and load: each runs only for an SLO that configures it, with that SLO's
 * bounds; one that is configured but cannot run reports `unavailable: reason`; one that is not configured is
 * marked so Analyse drops it. Collectors are plain objects passed in, recording what they were asked.
 */
import type { CollectorReport, CollectRequest } from '../../lambda/adapters/collectors/common';
import type { LoadScope } from '../../lambda/adapters/collectors/load';
import { DEFAULT_MITIGATION_POLICY } from '../../lambda/domain/mitigation';
import { MINUTE_MS } from '../../lambda/domain/model';
import type { SloDefinition } from '../../lambda/domain/model';
import type { IncidentWorkflowInput } from '../../lambda/ports';
import { collectContext, withRequestMetric } from '../../lambda/usecases/workflow/collect';
import type { SloResources, WorkflowRuntimeConfig } from '../../lambda/usecases/workflow/config';
import { EMPTY_SLO_RESOURCES } from '../../lambda/usecases/workflow/config';
import type { Collectors, LogQueryLimits, TraceLimits } from '../../lambda/usecases/workflow/ports';
import { apiSlo } from '../support/slo-fixture';

const ONSET = Date.UTC(2026, 10, 20, 12, 0);
const NOW = ONSET + 4 * MINUTE_MS;
const SLO = apiSlo();
const input: IncidentWorkflowInput = { incidentId: 'inc-1', slo: SLO.name, severity: 'page', tenants: ['acme'], onsetAt: ONSET, openedAt: ONSET };

function config(resources: Partial<SloResources>): WorkflowRuntimeConfig {
  return { schemaVersion: 1, policy: DEFAULT_MITIGATION_POLICY, contextWindowMinutes: 30, maxRounds: 3, resources: { [SLO.name]: { ...EMPTY_SLO_RESOURCES, ...resources } } };
}

const ok = (source: 'xray' | 'logs' | 'load'): CollectorReport => ({ source, status: 'ok', items: [], details: { calls: 1, throttledRetries: 0, capsHit: [], missing: [] } });

/** Collectors that record their limits and requests; the four infrastructure ones must not be called. */
function recording() {
  const calls: { source: string; limits?: TraceLimits | LogQueryLimits; request: CollectRequest<unknown> }[] = [];
  const never = { collect: async () => { throw new Error('not expected'); } };
  const collectors = {
    autoscaling: never,
    codedeploy: never,
    rds: never,
    lambda: never,
    xray: (limits: TraceLimits) => ({ collect: async (request: CollectRequest<unknown>) => { calls.push({ source: 'xray', limits, request }); return ok('xray'); } }),
    logs: (limits: LogQueryLimits) => ({ collect: async (request: CollectRequest<unknown>) => { calls.push({ source: 'logs', limits, request }); return ok('logs'); } }),
    load: { collect: async (request: CollectRequest<LoadScope>) => { calls.push({ source: 'load', request }); return ok('load'); } },
  } as unknown as Collectors;
  return { calls, collectors };
}

const TRACES = { scope: { tenantAnnotation: 'tenant' }, maxTraces: 50 };
const LOGS = { scope: { logGroups: [{ name: '/aws/lambda/api' }], tenantField: 'tenant' }, queryTimeoutSeconds: 20, maxResults: 300 };
const LOAD = { trafficJumpFactor: 3, baseline: 'same-hour-last-week' as const, requestMetric: null };

describe('collectContext for traces, logs and load', () => {
  it('runs traces and logs with the SLO\'s own bounds over [onset - context window, now)', async () => {
    // Prepare
    const { calls, collectors } = recording();
    const cfg = config({ xray: TRACES, logs: LOGS });
    // Act
    await collectContext('xray', input, cfg, collectors, NOW);
    await collectContext('logs', input, cfg, collectors, NOW);
    // Assess
    const window = { from: ONSET - 30 * MINUTE_MS, to: NOW, tenants: ['acme'] };
    expect(calls).toEqual([
      { source: 'xray', limits: { maxTraces: 50 }, request: { ...window, scope: TRACES.scope } },
      { source: 'logs', limits: { queryTimeoutSeconds: 20, maxRows: 300 }, request: { ...window, scope: LOGS.scope } },
    ]);
  });

  it('counts load with the SLO\'s own definition, its factor and baseline', async () => {
    // Prepare
    const { calls, collectors } = recording();
    // Act
    const outcome = await collectContext('load', input, config({ load: LOAD }), collectors, NOW, (name) => (name === SLO.name ? SLO : undefined));
    // Assess
    expect(outcome.result.status).toBe('ok');
    expect(calls[0]?.request.scope).toEqual({ slo: SLO, trafficJumpFactor: 3, baseline: 'same-hour-last-week' });
  });

  it('counts load with the explicit request metric, on the SLI\'s namespace and tenant dimension', async () => {
    // Prepare
    const { calls, collectors } = recording();
    const metric = { id: 'requests', metricName: 'Invocations', stat: 'Sum' };
    // Act
    await collectContext('load', input, config({ load: { ...LOAD, requestMetric: metric } }), collectors, NOW, () => SLO);
    // Assess
    const counted = (calls[0]?.request.scope as LoadScope).slo;
    expect(counted.sli).toEqual({
      kind: 'ratio',
      namespace: SLO.sli.namespace,
      tenantDimension: SLO.sli.tenantDimension,
      dimensions: SLO.sli.dimensions,
      metrics: [metric],
      good: 'requests',
      total: 'requests',
    });
    expect(counted).toEqual(withRequestMetric(SLO, metric));
  });

  it.each([
    ['xray' as const, config({})],
    ['logs' as const, config({})],
    ['load' as const, config({})],
  ])('marks %s as not configured for an SLO without it, calling nothing', async (source, cfg) => {
    // Prepare
    const { calls, collectors } = recording();
    // Act
    const outcome = await collectContext(source, input, cfg, collectors, NOW, () => SLO);
    // Assess
    expect(outcome).toEqual({ source, result: { source, status: 'ok', items: [] }, omittedItems: 0, notes: null, deployments: [], autoScalingGroups: [], notConfigured: true });
    expect(calls).toEqual([]);
  });

  it.each([
    ['no X-Ray collector is wired', 'xray' as const, config({ xray: TRACES }), { xray: undefined }, () => SLO, 'no X-Ray collector is wired into this deployment'],
    ['no Logs Insights collector is wired', 'logs' as const, config({ logs: LOGS }), { logs: undefined }, () => SLO, 'no Logs Insights collector is wired into this deployment'],
    ['the SLO is not in the bundled SLO config', 'load' as const, config({ load: LOAD }), {}, () => undefined, `SLO ${SLO.name} is not in the bundled SLO config, so its requests cannot be counted`],
    [
      'a threshold SLI has no total expression and no request metric is set',
      'load' as const,
      config({ load: LOAD }),
      {},
      () => ({ ...SLO, sli: { kind: 'threshold', namespace: 'Shop/Api', tenantDimension: 'TenantId', dimensions: {}, metric: { id: 'm', metricName: 'Latency', stat: 'p99' }, op: 'lt', threshold: 300 } }) as unknown as SloDefinition,
      `SLO ${SLO.name} has a threshold SLI with no total expression to count requests: set load.requestMetric`,
    ],
  ])('reports unavailable when %s', async (_case, source, cfg, overrides, lookup, reason) => {
    // Prepare
    const { calls, collectors } = recording();
    // Act
    const outcome = await collectContext(source, input, cfg, { ...collectors, ...overrides }, NOW, lookup);
    // Assess
    expect(outcome.result).toEqual({ source, status: 'unavailable', reason });
    expect(outcome.notConfigured).toBeUndefined();
    expect(calls).toEqual([]);
  });
});
