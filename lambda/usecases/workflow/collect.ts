/**
 * Step 1, one Parallel branch per source: what changed around the burn. The window runs from
 * `contextWindowMinutes` before the onset until now; the scope is the SLO's mapped resources, narrowed to those
 * serving the incident's tenants. A collector never throws (the adapters turn API errors into `unavailable`),
 * and an SLO with nothing mapped for a source is reported as not checked rather than as "nothing found".
 */
import type { CollectorReport } from '../../adapters/collectors/common';
import type { AutoScalingGroupResource, DeploymentResource } from '../../domain/mitigation';
import type { EvidenceItem } from '../../domain/model';
import { MINUTE_MS } from '../../domain/model';
import type { IncidentWorkflowInput } from '../../ports';
import type { SloResources, WorkflowRuntimeConfig } from './config';
import { resourcesOf } from './config';
import type { Collectors } from './ports';
import type { CollectorOutcome, CollectorSource } from './state';
import { MAX_EVIDENCE_PER_COLLECTOR } from './state';

/** How each source's mapped resources are counted and named in "nothing mapped" reasons. */
const MAPPED: Readonly<Record<CollectorSource, { readonly count: (r: SloResources) => number; readonly what: string }>> = {
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

export async function collectContext(
  source: CollectorSource,
  input: IncidentWorkflowInput,
  config: WorkflowRuntimeConfig,
  collectors: Collectors,
  now: number,
): Promise<CollectorOutcome> {
  const resources = resourcesOf(config, input.slo);
  const mapped = MAPPED[source];
  if (mapped.count(resources) === 0) {
    const reason = `no ${mapped.what} are mapped to SLO ${input.slo} in workflow.resources`;
    return { source, result: { source, status: 'unavailable', reason }, omittedItems: 0, notes: null, deployments: [], autoScalingGroups: [] };
  }
  const window = { from: input.onsetAt - config.contextWindowMinutes * MINUTE_MS, to: now, tenants: input.tenants };
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
