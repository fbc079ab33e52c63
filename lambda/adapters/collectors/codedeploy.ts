/**
 * Deployment evidence from CodeDeploy: every deployment created in the window on the configured deployment
 * groups, whatever its status (a deployment that succeeded a minute before the burn is the prime suspect).
 */
import {
  BatchGetDeploymentsCommand,
  ListDeploymentsCommand,
  type CodeDeployClient,
  type DeploymentInfo,
  type DeploymentStatus,
} from '@aws-sdk/client-codedeploy';
import type { DeploymentResource } from '../../domain/mitigation';
import type { EvidenceItem } from '../../domain/model';
import {
  ApiSession,
  affectedTenants,
  chunks,
  collectSafely,
  epochMs,
  requireString,
  resolveAdapterOptions,
  scopeList,
  validateWindow,
  type AdapterOptions,
  type CollectRequest,
  type CollectorReport,
  type ResolvedAdapterOptions,
  type TenantMapping,
} from './common';

export interface DeploymentGroupScope extends TenantMapping {
  readonly applicationName: string;
  readonly deploymentGroupName: string;
}

export interface CodeDeployScope {
  readonly deploymentGroups: readonly DeploymentGroupScope[];
}

/** What the mitigation planner needs to roll a deployment back (`MitigationResources.deployments`). */
export interface DeploymentFacts extends DeploymentResource {
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  /** `<application>/<deployment group>`, see `deploymentGroupResource`; also the evidence resource. */
  readonly group: string;
  readonly createdAt: number;
  readonly completedAt: number | null;
}

/** The evidence, plus the facts of every deployment read (kept even when a later call made the result unavailable). */
export type CodeDeployCollectorResult = CollectorReport & { readonly deployments: readonly DeploymentFacts[] };

/**
 * The resource string of a deployment group, `<application>/<deployment group>` (group names are unique only
 * within an application): the evidence resource, and the resource and `deploymentGroup` parameter a
 * `codedeploy-rollback` action carries.
 */
export function deploymentGroupResource(applicationName: string, deploymentGroupName: string): string {
  return `${applicationName}/${deploymentGroupName}`;
}

/** Every status, so an in-flight, stopped or failed deployment is seen as well as a finished one. */
export const DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = [
  'Created',
  'Queued',
  'InProgress',
  'Baking',
  'Ready',
  'Succeeded',
  'Failed',
  'Stopped',
];

const SERVICE = 'codedeploy';
// CodeDeploy application and deployment group names: 1..100 characters.
const CODEDEPLOY_NAME = /^.{1,100}$/s;
// BatchGetDeployments accepts at most 25 ids per call.
const IDS_PER_BATCH = 25;

interface ConfiguredGroup {
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly tenants: readonly string[];
}

function toFacts(info: DeploymentInfo, group: ConfiguredGroup): DeploymentFacts | null {
  const createdAt = epochMs(info.createTime);
  if (info.deploymentId === undefined || createdAt === null) return null;
  return {
    id: info.deploymentId,
    applicationName: group.applicationName,
    deploymentGroupName: group.deploymentGroupName,
    group: deploymentGroupResource(group.applicationName, group.deploymentGroupName),
    status: info.status ?? 'unknown',
    createdAt,
    completedAt: epochMs(info.completeTime),
  };
}

function deploymentEvidence(info: DeploymentInfo, facts: DeploymentFacts, tenants: readonly string[]): EvidenceItem {
  const errorCode = info.errorInformation?.code ?? null;
  return {
    source: 'codedeploy',
    failureMode: 'deployment',
    resource: facts.group,
    at: facts.createdAt,
    endedAt: facts.completedAt,
    summary: `deployment ${facts.id} to ${facts.group} (${facts.status}${errorCode === null ? '' : `: ${errorCode}`})`,
    tenants,
    details: {
      deploymentId: facts.id,
      applicationName: facts.applicationName,
      deploymentGroupName: facts.deploymentGroupName,
      status: facts.status,
      creator: info.creator ?? null,
      errorCode,
      errorMessage: info.errorInformation?.message ?? null,
      rollbackDeploymentId: info.rollbackInfo?.rollbackDeploymentId ?? null,
      rollbackOf: info.rollbackInfo?.rollbackTriggeringDeploymentId ?? null,
    },
  };
}

export class CodeDeployCollector {
  private readonly options: ResolvedAdapterOptions;

  constructor(
    private readonly client: CodeDeployClient,
    options: AdapterOptions = {},
  ) {
    this.options = resolveAdapterOptions(options);
  }

  async collect(request: CollectRequest<CodeDeployScope>): Promise<CodeDeployCollectorResult> {
    const session = new ApiSession(SERVICE, this.options);
    const deployments: DeploymentFacts[] = [];
    const report = await collectSafely('codedeploy', session, async () => {
      validateWindow(request);
      const items: EvidenceItem[] = [];
      for (const group of this.configured(request)) {
        for (const info of await this.deploymentsInWindow(session, group, request.from, request.to)) {
          const facts = toFacts(info, group);
          if (facts === null) continue;
          deployments.push(facts);
          items.push(deploymentEvidence(info, facts, group.tenants));
        }
      }
      return items.sort((a, b) => a.at - b.at);
    });
    return { ...report, deployments: deployments.sort((a, b) => a.createdAt - b.createdAt) };
  }

  private configured(request: CollectRequest<CodeDeployScope>): ConfiguredGroup[] {
    return scopeList(request.scope?.deploymentGroups, 'scope.deploymentGroups').flatMap((group, i) => {
      const field = `scope.deploymentGroups[${i}]`;
      const allowed = 'a CodeDeploy name (1..100 characters)';
      const applicationName = requireString(group?.applicationName, `${field}.applicationName`, CODEDEPLOY_NAME, allowed);
      const deploymentGroupName = requireString(group?.deploymentGroupName, `${field}.deploymentGroupName`, CODEDEPLOY_NAME, allowed);
      const tenants = affectedTenants(group, request.tenants, field);
      return tenants === null ? [] : [{ applicationName, deploymentGroupName, tenants }];
    });
  }

  private async deploymentsInWindow(session: ApiSession, group: ConfiguredGroup, from: number, to: number): Promise<DeploymentInfo[]> {
    const resource = deploymentGroupResource(group.applicationName, group.deploymentGroupName);
    const ids = await session.paginate(`ListDeployments ${resource}`, async (nextToken) => {
      const out = await this.client.send(
        new ListDeploymentsCommand({
          applicationName: group.applicationName,
          deploymentGroupName: group.deploymentGroupName,
          createTimeRange: { start: new Date(from), end: new Date(to) },
          includeOnlyStatuses: [...DEPLOYMENT_STATUSES],
          nextToken,
        }),
      );
      return { items: out.deployments ?? [], nextToken: out.nextToken };
    });
    const infos: DeploymentInfo[] = [];
    for (const batch of chunks(ids, IDS_PER_BATCH)) {
      const out = await session.call(() => this.client.send(new BatchGetDeploymentsCommand({ deploymentIds: batch })));
      infos.push(...(out.deploymentsInfo ?? []));
    }
    return infos;
  }
}
