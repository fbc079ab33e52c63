import { mockClient } from 'aws-sdk-client-mock';
import { BatchGetDeploymentsCommand, CodeDeployClient, ListDeploymentsCommand, type DeploymentInfo } from '@aws-sdk/client-codedeploy';
import { CodeDeployCollector, DEPLOYMENT_STATUSES, type CodeDeployScope } from '../../../lambda/adapters/collectors/codedeploy';
import { MIN, NO_WAIT, T0 } from './aws-errors';

const codedeploy = mockClient(CodeDeployClient);
const FROM = T0;
const TO = T0 + 30 * MIN;
const SCOPE: CodeDeployScope = { deploymentGroups: [{ applicationName: 'shop', deploymentGroupName: 'api' }] };

function deployment(id: string, createMinute: number, overrides: Partial<DeploymentInfo> = {}): DeploymentInfo {
  return {
    deploymentId: id,
    applicationName: 'shop',
    deploymentGroupName: 'api',
    status: 'InProgress',
    createTime: new Date(T0 + createMinute * MIN),
    creator: 'user',
    ...overrides,
  };
}

/** Answers BatchGetDeployments with one DeploymentInfo per asked id, created at minute 1. */
function answerBatchGet(): void {
  codedeploy.on(BatchGetDeploymentsCommand).callsFake((input: { deploymentIds: string[] }) => ({
    deploymentsInfo: input.deploymentIds.map((id) => deployment(id, 1)),
  }));
}

function collector(options: ConstructorParameters<typeof CodeDeployCollector>[1] = {}): CodeDeployCollector {
  return new CodeDeployCollector(new CodeDeployClient({}), { retry: NO_WAIT, ...options });
}

describe('CodeDeployCollector', () => {
  beforeEach(() => codedeploy.reset());

  it('maps deployments to deployment evidence and exports the deployment facts', async () => {
    // Prepare
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-AAAAAAAA1', 'd-AAAAAAAA2'] });
    codedeploy.on(BatchGetDeploymentsCommand).resolves({
      deploymentsInfo: [
        deployment('d-AAAAAAAA2', 12, {
          status: 'Failed',
          completeTime: new Date(T0 + 19 * MIN),
          errorInformation: { code: 'HEALTH_CONSTRAINTS', message: 'too many unhealthy instances' },
        }),
        deployment('d-AAAAAAAA1', 4),
      ],
    });
    // Act
    const result = await collector().collect({ from: FROM, to: TO, tenants: ['acme'], scope: SCOPE });
    // Assess
    expect(result.status === 'ok' ? result.items : result.reason).toEqual([
      {
        source: 'codedeploy',
        failureMode: 'deployment',
        resource: 'shop/api',
        at: T0 + 4 * MIN,
        endedAt: null,
        summary: 'deployment d-AAAAAAAA1 to shop/api (InProgress)',
        tenants: [],
        details: {
          deploymentId: 'd-AAAAAAAA1',
          applicationName: 'shop',
          deploymentGroupName: 'api',
          status: 'InProgress',
          creator: 'user',
          errorCode: null,
          errorMessage: null,
          rollbackDeploymentId: null,
          rollbackOf: null,
        },
      },
      expect.objectContaining({
        resource: 'shop/api',
        at: T0 + 12 * MIN,
        endedAt: T0 + 19 * MIN,
        summary: 'deployment d-AAAAAAAA2 to shop/api (Failed: HEALTH_CONSTRAINTS)',
        details: expect.objectContaining({ status: 'Failed', errorMessage: 'too many unhealthy instances' }),
      }),
    ]);
    expect(result.deployments).toEqual([
      { id: 'd-AAAAAAAA1', applicationName: 'shop', deploymentGroupName: 'api', group: 'shop/api', status: 'InProgress', createdAt: T0 + 4 * MIN, completedAt: null },
      { id: 'd-AAAAAAAA2', applicationName: 'shop', deploymentGroupName: 'api', group: 'shop/api', status: 'Failed', createdAt: T0 + 12 * MIN, completedAt: T0 + 19 * MIN },
    ]);
  });

  it('lists the deployment group created in the window with every status', async () => {
    // Prepare
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    // Act
    await collector().collect({ from: FROM, to: TO, tenants: [], scope: SCOPE });
    // Assess
    expect(codedeploy.commandCalls(ListDeploymentsCommand)[0]?.args[0].input).toEqual({
      applicationName: 'shop',
      deploymentGroupName: 'api',
      createTimeRange: { start: new Date(FROM), end: new Date(TO) },
      includeOnlyStatuses: ['Created', 'Queued', 'InProgress', 'Baking', 'Ready', 'Succeeded', 'Failed', 'Stopped'],
      nextToken: undefined,
    });
    expect(DEPLOYMENT_STATUSES).toHaveLength(8);
    expect(codedeploy.commandCalls(BatchGetDeploymentsCommand)).toHaveLength(0);
  });

  it('follows nextToken and fetches 30 deployments in batches of 25 and 5', async () => {
    // Prepare
    const ids = Array.from({ length: 30 }, (_, i) => `d-${String(i).padStart(9, '0')}`);
    codedeploy
      .on(ListDeploymentsCommand)
      .resolvesOnce({ deployments: ids.slice(0, 20), nextToken: 'next' })
      .resolvesOnce({ deployments: ids.slice(20) });
    answerBatchGet();
    // Act
    const result = await collector().collect({ from: FROM, to: TO, tenants: [], scope: SCOPE });
    // Assess
    expect(codedeploy.commandCalls(ListDeploymentsCommand).map((call) => call.args[0].input.nextToken)).toEqual([undefined, 'next']);
    expect(codedeploy.commandCalls(BatchGetDeploymentsCommand).map((call) => call.args[0].input.deploymentIds)).toEqual([ids.slice(0, 25), ids.slice(25)]);
    expect(result.deployments.map((d) => d.id)).toEqual(ids);
  });

  it('stops at maxItems and notes the cap in the result details', async () => {
    // Prepare
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-000000001', 'd-000000002', 'd-000000003'] });
    answerBatchGet();
    // Act
    const result = await collector({ maxItems: 2 }).collect({ from: FROM, to: TO, tenants: [], scope: SCOPE });
    // Assess
    expect(result.deployments).toHaveLength(2);
    expect(result.details.capsHit).toEqual(['ListDeployments shop/api: stopped at maxItems (2)']);
  });

  it('stops at maxPages and notes the cap in the result details', async () => {
    // Prepare
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-000000001'], nextToken: 'forever' });
    answerBatchGet();
    // Act
    const result = await collector({ maxPages: 4 }).collect({ from: FROM, to: TO, tenants: [], scope: SCOPE });
    // Assess
    expect(codedeploy.commandCalls(ListDeploymentsCommand)).toHaveLength(4);
    expect(result.details.capsHit).toEqual(['ListDeployments shop/api: stopped at maxPages (4) with 4 items']);
  });

  it('reports a scope entry without a deployment group name as unavailable, naming the field', async () => {
    // Prepare
    const scope = { deploymentGroups: [{ applicationName: 'shop' }] } as unknown as CodeDeployScope;
    // Act
    const result = await collector().collect({ from: FROM, to: TO, tenants: [], scope });
    // Assess
    expect(result).toMatchObject({
      status: 'unavailable',
      reason: 'codedeploy: AdapterInputError: scope.deploymentGroups[0].deploymentGroupName must be a CodeDeploy name (1..100 characters); got undefined',
      deployments: [],
    });
  });
});
