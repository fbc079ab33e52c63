import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { RuntimeConfig } from '../../lambda/domain/model';
import type { WorkflowProps } from '../../lib/config/workflow';
import { normalizeWorkflowProps } from '../../lib/config/workflow';
import { AlertChannels } from '../../lib/constructs/alert-channels';
import { IncidentWorkflow, IncidentWorkflowConfigError, LAMBDA_TRANSIENT_ERRORS } from '../../lib/constructs/incident-workflow';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BurnwatchStack } from '../../lib/burnwatch-stack';
import { thrownBy, validProps } from '../config/fixtures';
import { checkoutSlo, runtimeConfig } from '../support/faults';

type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Effect: string };

const MUTATING_ACTIONS = ['autoscaling:UpdateAutoScalingGroup', 'codedeploy:StopDeployment'];

const runtime: RuntimeConfig = runtimeConfig(checkoutSlo({ name: 'checkout', tenants: { mode: 'list', tenants: ['acme'] } }));

/** Mapped: two groups and two deployment groups; allowlisted: one of each. */
const AUTO: WorkflowProps = {
  mitigationMode: 'auto',
  allowlist: ['web', 'shop/prod'],
  scaleOut: { ceilings: { web: 12 } },
  resources: {
    checkout: {
      autoScalingGroups: [{ name: 'web' }, { name: 'batch' }],
      deploymentGroups: [{ application: 'shop', group: 'prod' }, { application: 'shop', group: 'canary' }],
      rdsInstances: [{ identifier: 'orders-db' }],
    },
  },
};

function synth(
  workflow: WorkflowProps,
  options: { connect?: boolean; retentionDays?: number; runtime?: RuntimeConfig } = {},
): { template: Template; resources: Record<string, Resource>; construct: IncidentWorkflow } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const table = new Table(stack, 'State', { partitionKey: { name: 'pk', type: AttributeType.STRING }, sortKey: { name: 'sk', type: AttributeType.STRING } });
  const key = new Key(stack, 'Key');
  const construct = new IncidentWorkflow(stack, 'Workflow', {
    table,
    runtimeConfig: options.runtime ?? runtime,
    workflow: normalizeWorkflowProps(workflow),
    logEncryptionKey: key,
    forensicEncryptionKey: key,
    ...(options.retentionDays === undefined ? {} : { forensicRetentionDays: options.retentionDays }),
  });
  if (options.connect !== false) {
    const alerts = new AlertChannels(stack, 'Alerts', { publishers: construct.alertPublishers });
    construct.connectAlerts(alerts);
  }
  const template = Template.fromStack(stack);
  return { template, resources: template.toJSON().Resources as Record<string, Resource>, construct };
}

function statementsOf(resources: Record<string, Resource>, functionId: RegExp): Statement[] {
  const [fnId] = Object.keys(resources).filter((id) => resources[id]!.Type === 'AWS::Lambda::Function' && functionId.test(id));
  const roleId = resources[fnId!]!.Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statement: Statement): string[] => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);

function allStatements(resources: Record<string, Resource>): Statement[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[]);
}

/** The ARN text of a resource, with references shown as `${Ref}`. */
function arnText(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join === undefined) return JSON.stringify(resource);
  return join[1].map((part) => (typeof part === 'string' ? part : `\${${(part as { Ref?: string }).Ref ?? 'ref'}}`)).join(join[0]);
}

describe('IncidentWorkflow in auto mode', () => {
  const { template, resources } = synth(AUTO);

  it('scopes UpdateAutoScalingGroup to the allowlisted group, by name, never to "*"', () => {
    // Act
    const statements = allStatements(resources).filter((s) => actionsOf(s).includes('autoscaling:UpdateAutoScalingGroup'));
    // Assess
    expect(statements).toHaveLength(1);
    expect([statements[0]!.Resource].flat().map(arnText)).toEqual(['arn:${AWS::Partition}:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/web']);
  });

  it('scopes StopDeployment to the allowlisted deployment group ARN only', () => {
    // Act
    const statements = allStatements(resources).filter((s) => actionsOf(s).includes('codedeploy:StopDeployment'));
    // Assess
    expect(statements).toHaveLength(1);
    expect([statements[0]!.Resource].flat().map(arnText)).toEqual(['arn:${AWS::Partition}:codedeploy:eu-west-1:123456789012:deploymentgroup:shop/prod']);
  });

  it('grants mutating actions to no statement with a "*" resource and to no role but the Act function', () => {
    // Act
    const mutating = allStatements(resources).filter((s) => actionsOf(s).some((action) => MUTATING_ACTIONS.includes(action)));
    const actStatements = statementsOf(resources, /ActFunction/);
    // Assess
    for (const statement of mutating) expect([statement.Resource].flat()).not.toContain('*');
    expect(mutating.every((statement) => actStatements.includes(statement))).toBe(true);
    expect(allStatements(resources).flatMap(actionsOf).filter((action) => action.endsWith('*') && action.startsWith('autoscaling:'))).toEqual([]);
  });

  it('gives the collectors read actions only, CodeDeploy reads scoped to the mapped deployment groups', () => {
    // Act
    const statements = statementsOf(resources, /CollectFunction/);
    const actions = statements.flatMap(actionsOf);
    // Assess
    expect(actions).toEqual(expect.arrayContaining(['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeScalingActivities', 'rds:DescribeEvents']));
    expect(actions.filter((action) => !/^(autoscaling:Describe|rds:Describe|codedeploy:(List|BatchGet)|cloudwatch:GetMetricData|logs:|xray:)/.test(action))).toEqual([]);
    const codedeployRead = statements.find((s) => actionsOf(s).includes('codedeploy:ListDeployments'));
    expect([codedeployRead!.Resource].flat().map(arnText).sort()).toEqual([
      'arn:${AWS::Partition}:codedeploy:eu-west-1:123456789012:deploymentgroup:shop/canary',
      'arn:${AWS::Partition}:codedeploy:eu-west-1:123456789012:deploymentgroup:shop/prod',
    ]);
  });

  it('lets the notifying functions publish alerts through the alert channels, and nothing else', () => {
    // Act
    const publishers = [/NotifyFunction/, /RequestApprovalFunction/, /RecordFailureFunction/].map((id) => statementsOf(resources, id).flatMap(actionsOf));
    const others = [/CollectFunction/, /AnalyseFunction/, /ActFunction/, /ValidateFunction/, /RecordFunction[A-F0-9]/].map((id) => statementsOf(resources, id).flatMap(actionsOf));
    // Assess
    for (const actions of publishers) expect(actions).toContain('sns:Publish');
    for (const actions of others) expect(actions).not.toContain('sns:Publish');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.notifyHandler',
      Environment: { Variables: Match.objectLike({ ALERT_TOPIC_ARN: Match.anyValue(), BURNWATCH_CONFIG_FILE: 'burnwatch-config.json' }) },
    });
  });

  it('keeps forensic bundles encrypted, private, versioned, TLS-only, expiring and retained', () => {
    // Assess
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() }, BucketKeyEnabled: true }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: [Match.objectLike({ Status: 'Enabled', ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 30 } })],
        },
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('logs ALL execution events with data to a KMS-encrypted log group, with X-Ray tracing', () => {
    // Act
    const [machine] = Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    const logGroupId = machine!.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] as string;
    // Assess
    expect(machine!.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
    expect(resources[logGroupId]!.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
  });

  it('times out after one hour by default, enough for three rounds of a 5-minute wait plus margin', () => {
    // Act
    const [machine] = Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    const join = machine!.Properties.DefinitionString['Fn::Join'] as [string, unknown[]];
    // References sit inside JSON strings, so a marker in their place keeps the text parseable.
    const definition = JSON.parse(join[1].map((part) => (typeof part === 'string' ? part : 'REF')).join(join[0]));
    // Assess
    expect(definition.TimeoutSeconds).toBe(3600);
    expect(definition.States.Analyse.Retry).toEqual([expect.objectContaining({ ErrorEquals: [...LAMBDA_TRANSIENT_ERRORS] })]);
    expect(definition.States.Act.Retry).toEqual([expect.objectContaining({ ErrorEquals: ['Lambda.TooManyRequestsException'] })]);
  });

  it('creates every function through the factory: arm64, Node.js 22, active tracing', () => {
    // Assess
    const functions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Handler).startsWith('index.'));
    expect(functions.map((fn) => fn.Properties.Handler).sort()).toEqual(
      ['act', 'analyse', 'collect', 'notify', 'record', 'recordFailure', 'requestApproval', 'validate'].map((step) => `index.${step}Handler`).sort(),
    );
    for (const fn of functions) expect(fn.Properties).toMatchObject({ Architectures: ['arm64'], Runtime: 'nodejs22.x', TracingConfig: { Mode: 'Active' } });
  });
});

/** The state machine definition as JSON, references replaced by a marker. */
function definitionOf(resources: Record<string, Resource>): { States: Record<string, { Branches?: { StartAt: string }[] }> } {
  const [machine] = Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  const join = machine!.Properties.DefinitionString['Fn::Join'] as [string, unknown[]];
  return JSON.parse(join[1].map((part) => (typeof part === 'string' ? part : 'REF')).join(join[0]));
}

const collectActions = (resources: Record<string, Resource>): string[] => statementsOf(resources, /CollectFunction/).flatMap(actionsOf);
/** What the collectors read; the function's own log delivery and trace segments are not among them. */
const EVIDENCE_READS = /^xray:Get|^logs:(StartQuery|GetQueryResults|StopQuery)$|^cloudwatch:GetMetricData$/;
const OWN_TELEMETRY = /^(logs:(CreateLogStream|PutLogEvents)|xray:(PutTraceSegments|PutTelemetryRecords))$/;

describe('IncidentWorkflow evidence beyond infrastructure events', () => {
  const EVIDENCE: WorkflowProps = {
    resources: {
      checkout: {
        traces: { annotationKey: 'tenant_id' },
        logs: { logGroups: ['/aws/lambda/api', 'arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/orders:*'] },
        load: {},
      },
    },
  };
  const { resources, construct } = synth(EVIDENCE);

  it('grants xray:GetTraceSummaries and xray:GetServiceGraph on "*" only, in their own statement', () => {
    // Act
    const statement = statementsOf(resources, /CollectFunction/).find((s) => actionsOf(s).includes('xray:GetTraceSummaries'));
    // Assess
    expect(statement).toMatchObject({ Sid: 'ReadTracesWithoutResourceLevelPermissions', Effect: 'Allow', Resource: '*' });
    expect(actionsOf(statement!).sort()).toEqual(['xray:GetServiceGraph', 'xray:GetTraceSummaries']);
  });

  it('scopes logs:StartQuery to the configured log groups, by name and by ARN, in both ARN forms', () => {
    // Act
    const statement = statementsOf(resources, /CollectFunction/).find((s) => actionsOf(s).includes('logs:StartQuery'));
    // Assess
    expect(actionsOf(statement!)).toEqual(['logs:StartQuery']);
    expect([statement!.Resource].flat().map(arnText).sort()).toEqual([
      'arn:${AWS::Partition}:logs:eu-west-1:123456789012:log-group:/aws/lambda/api',
      'arn:${AWS::Partition}:logs:eu-west-1:123456789012:log-group:/aws/lambda/api:*',
      'arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/orders',
      'arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/orders:*',
    ]);
    expect(construct.queriedLogGroupArns).toHaveLength(2);
  });

  it('grants logs:GetQueryResults and logs:StopQuery on "*" (they name a query id, not a log group)', () => {
    // Act
    const statement = statementsOf(resources, /CollectFunction/).find((s) => actionsOf(s).includes('logs:GetQueryResults'));
    // Assess
    expect(statement).toMatchObject({ Sid: 'ReadAndStopOwnQueries', Resource: '*' });
    expect(actionsOf(statement!).sort()).toEqual(['logs:GetQueryResults', 'logs:StopQuery']);
  });

  it('grants cloudwatch:GetMetricData for load, and still nothing that writes', () => {
    // Act
    const actions = collectActions(resources);
    // Assess
    expect(actions).toContain('cloudwatch:GetMetricData');
    const reads = /^(autoscaling:Describe|rds:Describe|codedeploy:(List|BatchGet))/;
    expect(actions.filter((action) => !reads.test(action) && !EVIDENCE_READS.test(action) && !OWN_TELEMETRY.test(action))).toEqual([]);
  });

  it('adds one collect branch per configured source and gives the collect function the SLO config', () => {
    // Act
    const parallel = definitionOf(resources).States.CollectContext;
    // Assess
    expect(parallel?.Branches?.map((branch) => branch.StartAt)).toEqual([
      'CollectAutoScaling',
      'CollectRds',
      'CollectCodeDeploy',
      'CollectLambdaColdStarts',
      'CollectTraces',
      'CollectLogs',
      'CollectLoad',
    ]);
    Template.fromJSON({ Resources: resources }).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.collectHandler',
      Environment: { Variables: Match.objectLike({ BURNWATCH_CONFIG_FILE: 'burnwatch-config.json', BURNWATCH_WORKFLOW_CONFIG_FILE: 'burnwatch-workflow-config.json' }) },
    });
  });

  it('grants no X-Ray, Logs or metric read and adds no such branch when nothing configures them', () => {
    // Act
    const { resources: plain } = synth({ resources: { checkout: { rdsInstances: [{ identifier: 'orders-db' }] } } });
    // Assess
    expect(collectActions(plain).filter((action) => EVIDENCE_READS.test(action))).toEqual([]);
    expect(definitionOf(plain).States.CollectContext?.Branches).toHaveLength(4);
  });

  it.each([
    ['traces', { traces: { enabled: false } }, /^xray:Get/],
    ['logs', { logs: { enabled: false, logGroups: ['/aws/lambda/api'] } }, /^logs:(StartQuery|GetQueryResults|StopQuery)$/],
    ['load', { load: { enabled: false } }, /^cloudwatch:GetMetricData$/],
  ] as const)('grants nothing for %s switched off with enabled: false', (_source, section, pattern) => {
    // Act
    const { resources: off } = synth({ resources: { checkout: section } });
    // Assess
    expect(collectActions(off).filter((action) => pattern.test(action))).toEqual([]);
    expect(definitionOf(off).States.CollectContext?.Branches).toHaveLength(4);
  });

  it('leaves no unacknowledged cdk-nag finding, each log group\'s ":*" acknowledged by its ARN', () => {
    // Prepare: the whole stack, with traces, logs (by name and by ARN) and load on its SLO
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const props = validProps();
    const stack = new BurnwatchStack(app, 'Burnwatch', {
      burnwatch: { ...props, workflow: { resources: { [props.slos[0]!.name]: EVIDENCE.resources!.checkout! } } },
    });
    // Act
    const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack);
    // Assess: the findings of the workflow's roles only (other constructs are checked in nag.test.ts)
    const findings = report.violations
      .filter((violation) => violation.violatingResources.some((r) => (r.constructPath ?? '').includes('IncidentWorkflow/CollectFunction')))
      .map((violation) => `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });

  it('grants cloudwatch:GetMetricData for cold starts without load', () => {
    // Act
    const { resources: coldStarts } = synth({ resources: { checkout: { lambdaFunctions: [{ functionName: 'api', namespace: 'Shop', service: 'api' }] } } });
    // Assess
    expect(collectActions(coldStarts)).toContain('cloudwatch:GetMetricData');
  });
});

interface DefinitionState {
  readonly Type: string;
  readonly Next?: string;
  readonly Default?: string;
  readonly End?: boolean;
  readonly Choices?: { readonly Next: string }[];
  readonly Catch?: { readonly Next: string }[];
}

/** States reachable from `from` on the normal path (Next, Choices, Default), Catch routes left out. */
function reachableFrom(states: Record<string, DefinitionState>, from: string): Set<string> {
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const state = states[name];
    if (state === undefined) continue;
    queue.push(...[state.Next, state.Default, ...(state.Choices ?? []).map((choice) => choice.Next)].filter((next): next is string => next !== undefined));
  }
  return seen;
}

describe('IncidentWorkflow branch for an incident merged into an earlier one', () => {
  const { resources } = synth(AUTO);
  const states = definitionOf(resources).States as unknown as Record<string, Record<string, unknown> & DefinitionState>;

  it('routes Analyse to a Merged? Choice that takes $.merged to NotifyMerged and anything else to the approval check', () => {
    // Assess
    expect(states.Analyse?.Next).toBe('Merged?');
    expect(states['Merged?']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.merged', IsPresent: true, Next: 'NotifyMerged' }],
      Default: 'ApprovalFirst?',
    });
  });

  it("sends the merge's alert with reason merged, keeps the state, retries transient Lambda errors and records failures", () => {
    // Assess
    expect(states.NotifyMerged).toMatchObject({
      Type: 'Task',
      Parameters: { reason: 'merged', 'state.$': '$' },
      ResultPath: null,
      Next: 'Record',
      Retry: [expect.objectContaining({ ErrorEquals: [...LAMBDA_TRANSIENT_ERRORS] })],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.caught', Next: 'NotifyMergedFailed' }],
    });
    expect(states.NotifyMergedFailed).toMatchObject({ Type: 'Pass', Next: 'RecordFailure' });
  });

  it('never reaches an approval, an action, a wait, a validation or the opening alert from the merge branch', () => {
    // Act
    const reachable = reachableFrom(states, 'NotifyMerged');
    // Assess
    expect(reachable).toEqual(new Set(['NotifyMerged', 'Record', 'FinalAlert?', 'NotifyMitigated', 'NotifyEscalated', 'Done']));
  });
});

describe('IncidentWorkflow outside auto mode', () => {
  it.each([['recommend'], ['off']] as const)('grants no mutating action at all in %s mode', (mode) => {
    // Act
    const { resources } = synth({ ...AUTO, mitigationMode: mode });
    // Assess
    expect(allStatements(resources).flatMap(actionsOf).filter((action) => MUTATING_ACTIONS.includes(action))).toEqual([]);
  });

  it('grants no mutating action when nothing is allowlisted', () => {
    // Act
    const { resources } = synth({ ...AUTO, allowlist: [] });
    // Assess
    expect(allStatements(resources).flatMap(actionsOf).filter((action) => MUTATING_ACTIONS.includes(action))).toEqual([]);
  });

  it('lengthens the timeout to cover an approval in every round', () => {
    // Act
    const { resources } = synth({ requireApprovalFor: ['codedeploy-rollback'], approvalTimeoutSeconds: 3600 });
    // Assess: 3 rounds x (300 s wait + 3600 s approval) = 195 min, plus 15 min margin
    const [machine] = Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    const text = (machine!.Properties.DefinitionString['Fn::Join'][1] as unknown[]).filter((part) => typeof part === 'string').join('');
    expect(text).toContain(`"TimeoutSeconds":${(3 * (300 + 3600) + 15 * 60)}`);
  });
});

describe('IncidentWorkflow synth-time checks', () => {
  it('fails synth when no alert channels were connected', () => {
    // Act
    const error = thrownBy(() => synth({}, { connect: false }));
    // Assess
    expect(error.message).toMatch(/Workflow: connectAlerts\(\.\.\.\) must be called so the workflow can publish alerts/);
  });

  it('fails synth when load is configured for a threshold SLI without a request metric', () => {
    // Prepare: a p99-latency SLI has no total expression to count requests with
    const base = checkoutSlo({ name: 'checkout' });
    const latency = {
      ...base,
      sli: { kind: 'threshold', namespace: 'Shop/Api', tenantDimension: 'TenantId', dimensions: {}, metric: { id: 'm0', metricName: 'Latency', stat: 'p99' }, op: 'lt', threshold: 300 },
    } as unknown as RuntimeConfig['slos'][number];
    // Act
    const error = thrownBy(() => synth({ resources: { checkout: { load: {} } } }, { runtime: runtimeConfig(latency) }));
    // Assess
    expect(error).toBeInstanceOf(IncidentWorkflowConfigError);
    expect(error.message).toBe(
      'workflow.resources.checkout.load.requestMetric: must be given for an SLO whose SLI has no total expression to count requests (a threshold SLI), got nothing',
    );
  });

  it.each([[0], [3651], [1.5]])('rejects forensicRetentionDays %p', (days) => {
    // Act
    const error = thrownBy(() => synth({}, { retentionDays: days }));
    // Assess
    expect(error).toBeInstanceOf(IncidentWorkflowConfigError);
    expect(error.message).toBe(`Test/Workflow.forensicRetentionDays: must be an integer from 1 to 3650, got ${days}`);
  });
});
