/**
 * Step 1, one Parallel branch per source: what changed around the burn, and where and how requests fail. The
 * window runs from `contextWindowMinutes` before the onset until now; the scope is the SLO's mapped resources,
 * narrowed to those serving the incident's tenants. A collector never throws (the adapters turn API errors and
 * the Logs Insights deadline into `unavailable`). An SLO with no infrastructure mapped for a source is reported
 * as not checked rather than as "nothing found"; traces, logs and load the SLO does not configure are absent.
 */
import type { CollectorReport } from '../../adapters/collectors/common';
import type { LoadScope } from '../../adapters/collectors/load';
import type { AutoScalingGroupResource, DeploymentResource } from '../../domain/mitigation';
import type { EvidenceItem, MetricDefinition, SloDefinition } from '../../domain/model';
import { MINUTE_MS } from '../../domain/model';
import type { IncidentWorkflowInput } from '../../ports';
import type { SloResources, WorkflowRuntimeConfig } from './config';
import { resourcesOf } from './config';
import type { Collectors } from './ports';
import type { CollectorOutcome, CollectorSource, InfrastructureSource } from './state';
import { MAX_EVIDENCE_PER_COLLECTOR } from './state';

/** How each source's mapped resources are counted and named in "nothing mapped" reasons. */
const MAPPED: Readonly<Record<InfrastructureSource, { readonly count: (r: SloResources) => number; readonly what: string }>> = {
  autoscaling: { count: (r) => r.autoscaling.groups.length, what: 'Auto Scaling groups' },
  codedeploy: { count: (r) => r.codedeploy.deploymentGroups.length, what: 'CodeDeploy deployment groups' },
  rds: { count: (r) => r.rds.instances.length + r.rds.clusters.length, what: 'RDS instances or clusters' },
  lambda: { count: (r) => r.lambda.functions.length, what: 'Lambda functions' },
};

/** Keeps the items closest to the onset (the likeliest causes), in time order. */
export function capEvidence(items: readonly EvidenceItem[], onsetAt: number, limit = MAX_EVIDENCE_PER_COLLECTOR): { kept: EvidenceItem[]; omitted: number } {
  if (items.length <= limit) return { kept: [...items], omitted: 0 };
  const kept = [...items]
    .sort((a, b) => Math.abs(a.at - onsetAt) - Math.abs(b.at - onsetAt))
    .slice(0, limit)
    .sort((a, b) => a.at - b.at);
  return { kept, omitted: items.length - limit };
}

function outcomeOf(
  source: CollectorSource,
  report: CollectorReport,
  onsetAt: number,
  resources: { deployments?: readonly DeploymentResource[]; autoScalingGroups?: readonly AutoScalingGroupResource[] },
): CollectorOutcome {
  const { details, ...result } = report;
  const deployments = (resources.deployments ?? []).map(({ id, group, status }) => ({ id, group, status }));
  const autoScalingGroups = (resources.autoScalingGroups ?? []).map(({ name, arn, desired, min, max }) => ({ name, arn, desired, min, max }));
  if (result.status === 'unavailable') {
    return { source, result: { source: result.source, status: 'unavailable', reason: result.reason }, omittedItems: 0, notes: details, deployments, autoScalingGroups };
  }
  const { kept, omitted } = capEvidence(result.items, onsetAt);
  return { source, result: { source: result.source, status: 'ok', items: kept }, omittedItems: omitted, notes: details, deployments, autoScalingGroups };
}

function unavailable(source: CollectorSource, reason: string): CollectorOutcome {
  return { source, result: { source, status: 'unavailable', reason }, omittedItems: 0, notes: null, deployments: [], autoScalingGroups: [] };
}

/** The branch exists for another SLO; this one does not configure the source. */
function notConfigured(source: CollectorSource): CollectorOutcome {
  return { source, result: { source, status: 'ok', items: [] }, omittedItems: 0, notes: null, deployments: [], autoScalingGroups: [], notConfigured: true };
}

const NOT_WIRED: Readonly<Record<'xray' | 'logs' | 'load', string>> = {
  xray: 'no X-Ray collector is wired into this deployment',
  logs: 'no Logs Insights collector is wired into this deployment',
  load: 'no load collector is wired into this deployment',
};

/**
 * The SLO with its requests counted by `metric` alone, on the SLI's namespace, tenant dimension and dimensions:
 * load reads only the total side of the plan, so the good side (the same metric) is never requested.
 */
export function withRequestMetric(slo: SloDefinition, metric: MetricDefinition): SloDefinition {
  const { namespace, tenantDimension, dimensions } = slo.sli;
  return { ...slo, sli: { kind: 'ratio', namespace, tenantDimension, dimensions, metrics: [metric], good: metric.id, total: metric.id } };
}

/** The SLO whose total side counts the tenant's requests, or why there is none. */
function requestCountingSlo(slo: SloDefinition, metric: MetricDefinition | null): SloDefinition | string {
  if (metric !== null) return withRequestMetric(slo, metric);
  if (slo.sli.kind === 'ratio') return slo;
  return `SLO ${slo.name} has a ${slo.sli.kind} SLI with no total expression to count requests: set load.requestMetric`;
}

/** Finds an SLO definition by name (the bundled SLO config); only the load source needs it. */
export type SloLookup = (name: string) => SloDefinition | undefined;

export async function collectContext(
  source: CollectorSource,
  input: IncidentWorkflowInput,
  config: WorkflowRuntimeConfig,
  collectors: Collectors,
  now: number,
  sloNamed: SloLookup = () => undefined,
): Promise<CollectorOutcome> {
  const resources = resourcesOf(config, input.slo);
  const window = { from: input.onsetAt - config.contextWindowMinutes * MINUTE_MS, to: now, tenants: input.tenants };
  switch (source) {
    case 'xray': {
      const traces = resources.xray;
      if (traces === undefined) return notConfigured(source);
      if (collectors.xray === undefined) return unavailable(source, NOT_WIRED.xray);
      const report = await collectors.xray({ maxTraces: traces.maxTraces }).collect({ ...window, scope: traces.scope });
      return outcomeOf(source, report, input.onsetAt, {});
    }
    case 'logs': {
      const logs = resources.logs;
      if (logs === undefined) return notConfigured(source);
      if (collectors.logs === undefined) return unavailable(source, NOT_WIRED.logs);
      const limits = { queryTimeoutSeconds: logs.queryTimeoutSeconds, maxRows: logs.maxResults };
      return outcomeOf(source, await collectors.logs(limits).collect({ ...window, scope: logs.scope }), input.onsetAt, {});
    }
    case 'load': {
      const load = resources.load;
      if (load === undefined) return notConfigured(source);
      if (collectors.load === undefined) return unavailable(source, NOT_WIRED.load);
      const slo = sloNamed(input.slo);
      if (slo === undefined) return unavailable(source, `SLO ${input.slo} is not in the bundled SLO config, so its requests cannot be counted`);
      const counting = requestCountingSlo(slo, load.requestMetric);
      if (typeof counting === 'string') return unavailable(source, counting);
      const scope: LoadScope = { slo: counting, trafficJumpFactor: load.trafficJumpFactor, baseline: load.baseline };
      return outcomeOf(source, await collectors.load.collect({ ...window, scope }), input.onsetAt, {});
    }
    default:
      break;
  }
  const mapped = MAPPED[source];
  if (mapped.count(resources) === 0) return unavailable(source, `no ${mapped.what} are mapped to SLO ${input.slo} in workflow.resources`);
  switch (source) {
    case 'autoscaling': {
      const report = await collectors.autoscaling.collect({ ...window, scope: resources.autoscaling });
      return outcomeOf(source, report, input.onsetAt, { autoScalingGroups: report.groups });
    }
    case 'codedeploy': {
      const report = await collectors.codedeploy.collect({ ...window, scope: resources.codedeploy });
      return outcomeOf(source, report, input.onsetAt, { deployments: report.deployments });
    }
    case 'rds':
      return outcomeOf(source, await collectors.rds.collect({ ...window, scope: resources.rds }), input.onsetAt, {});
    case 'lambda':
      return outcomeOf(source, await collectors.lambda.collect({ ...window, scope: resources.lambda }), input.onsetAt, {});
  }
}
