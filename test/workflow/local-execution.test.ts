/**
 * The incident workflow end to end: the state machine definition synthesized by the construct, executed with
 * aws-local-stepfunctions, every Task bound to the real handlers (lambda/handlers/workflow.ts) over the real
 * adapters. AWS APIs are mocked with aws-sdk-client-mock (CodeDeploy, Auto Scaling, RDS, SNS, S3, and the
 * CloudWatch client of the cold-start collector), the SLI metrics are served by the in-memory LocalCloudWatch behind
 * the real CloudWatchMetricSource, and the state table is dynalite. Waits are overridden to 0; the handlers' clock
 * jumps by the configured wait instead, so the re-sample sees the minutes after the action.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  UpdateAutoScalingGroupCommand,
  type Activity,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetServiceGraphCommand, GetTraceSummariesCommand, XRayClient, type TraceSummary } from '@aws-sdk/client-xray';
import { BatchGetDeploymentsCommand, CodeDeployClient, ListDeploymentsCommand, StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { DescribeEventsCommand, RDSClient, RDSServiceException } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { LogsInsightsCollector } from '../../lambda/adapters/collectors/logs-insights';
import { XRayCollector } from '../../lambda/adapters/collectors/xray';
import { DynamoGuardStore } from '../../lambda/adapters/dynamo-guard-store';
import { DynamoStateStore } from '../../lambda/adapters/dynamo-state-store';
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import type { AlertDocument } from '../../lambda/domain/alert-message';
import { parseAlertDocument } from '../../lambda/domain/alert-message';
import { openIncident } from '../../lambda/domain/incident';
import { MINUTE_MS } from '../../lambda/domain/model';
import type { Incident, RuntimeConfig, Severity, SloDefinition } from '../../lambda/domain/model';
import { workflowHandlers } from '../../lambda/handlers/workflow';
import type { WorkflowWiring } from '../../lambda/handlers/workflow';
import type { IncidentWorkflowInput, Log } from '../../lambda/ports';
import type { Collectors } from '../../lambda/usecases/workflow/ports';
import type { ForensicBundle } from '../../lambda/usecases/workflow/record';
import type { WorkflowState } from '../../lambda/usecases/workflow/state';
import type { WorkflowProps } from '../../lib/config/workflow';
import { normalizeWorkflowProps } from '../../lib/config/workflow';
import {
  LOCAL_ACCOUNT as ACCOUNT,
  LOCAL_REGION as REGION,
  localAwsClients,
  localWorkflowWiring,
  LocalWorkflowRunner,
  synthesizeWorkflow,
} from '../../cli/local/workflow-runner';
import type { Json, SynthesizedWorkflow } from '../../cli/local/workflow-runner';
import { useLocalDynamo } from '../support/dynalite';
import type { TestTable } from '../support/dynalite';
import { checkoutSlo, loadTraffic, REQUESTS_PER_MINUTE, runtimeConfig } from '../support/faults';
import { NO_WAIT, serviceError } from '../adapters/collectors/aws-errors';

// asl-validator ships no type declarations.
const validateAsl = require('asl-validator') as (definition: unknown, options?: { checkArn?: boolean; checkPaths?: boolean }) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};


/** The execution starts at T0; the burn started six minutes earlier and the evaluator opened the incident at T0 - 2 min. */
const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
const ONSET = T0 - 6 * MINUTE_MS;
const OPENED_AT = T0 - 2 * MINUTE_MS;
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAWorkflowTestToken';
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark'];
/** 2 % errors: burn rate 0.02 / (1 - 0.999) = 20, above the 1h/5m page factor 14.4. */
const BURNING_ERROR_RATE = 0.02;
const DEPLOYMENT_ID = 'd-4F2A1B3C9';
const WAIT_SECONDS = 300;

const slo: SloDefinition = checkoutSlo({ tenants: { mode: 'list', tenants: TENANTS } });
const runtime: RuntimeConfig = runtimeConfig(slo);

/** The Workbook's burn rate: the error ratio over the error budget (1 - objective). */
function workbookBurnRate(bad: number, total: number, objectivePercent = 99.9): number {
  return bad / total / (1 - objectivePercent / 100);
}

const BURN_AT_OPEN = workbookBurnRate(BURNING_ERROR_RATE * REQUESTS_PER_MINUTE, REQUESTS_PER_MINUTE);

// ---------------------------------------------------------------------------------------------------------
// Scenario: what AWS holds, what the metrics say, how humans answer
// ---------------------------------------------------------------------------------------------------------

const codedeploy = mockClient(CodeDeployClient);
const autoscaling = mockClient(AutoScalingClient);
const rds = mockClient(RDSClient);
const sns = mockClient(SNSClient);
const s3 = mockClient(S3Client);
// The cold-start collector's own client; the SLI metrics come from LocalCloudWatch's (a different instance).
const coldStartCloudWatch = new CloudWatchClient({ region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const cloudwatch = mockClient(coldStartCloudWatch);

const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface GroupSpec {
  readonly name: string;
  readonly desired: number;
  readonly max: number;
  /** A launch still pending, started this many minutes before the onset. */
  readonly pendingLaunchMinutesBeforeOnset: number;
}

const groupArn = (name: string): string => `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:0b1c2d3e-1111-2222-3333-444455556666:autoScalingGroupName/${name}`;

function mockDeploymentInFlight(): void {
  codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [DEPLOYMENT_ID] });
  codedeploy.on(BatchGetDeploymentsCommand).resolves({
    deploymentsInfo: [{ deploymentId: DEPLOYMENT_ID, status: 'InProgress', createTime: new Date(ONSET - 2 * MINUTE_MS), creator: 'user' }],
  });
  codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending', statusMessage: 'Stop request accepted' });
}

function mockGroups(groups: readonly GroupSpec[]): void {
  autoscaling.on(DescribeAutoScalingGroupsCommand).callsFake((input: { AutoScalingGroupNames?: string[] }) => ({
    AutoScalingGroups: groups
      .filter((group) => (input.AutoScalingGroupNames ?? []).includes(group.name))
      .map((group) => ({ AutoScalingGroupName: group.name, AutoScalingGroupARN: groupArn(group.name), DesiredCapacity: group.desired, MinSize: 1, MaxSize: group.max }) as AutoScalingGroup),
  }));
  autoscaling.on(DescribeScalingActivitiesCommand).callsFake((input: { AutoScalingGroupName?: string }) => {
    const group = groups.find((candidate) => candidate.name === input.AutoScalingGroupName);
    if (group === undefined) return { Activities: [] };
    const activity: Activity = {
      ActivityId: `launch-${group.name}`,
      AutoScalingGroupName: group.name,
      Description: 'Launching a new EC2 instance: i-0abc',
      Cause: `an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${group.desired - 1} to ${group.desired}`,
      StartTime: new Date(ONSET - group.pendingLaunchMinutesBeforeOnset * MINUTE_MS),
      StatusCode: 'InProgress',
      Progress: 30,
    };
    return { Activities: [activity] };
  });
  autoscaling.on(UpdateAutoScalingGroupCommand).resolves({});
}

interface Scenario {
  readonly workflow: WorkflowProps;
  readonly tenants: readonly string[];
  readonly severity?: Severity;
  /** Whether the burn stops at T0 (when the action runs). */
  readonly recovers: boolean;
  /** How a human answers the approval request. */
  readonly approval?: () => Json;
  /** Replaces the binding of one Task state. */
  readonly failState?: { readonly state: string; readonly error: Error };
  /** Collectors beyond the local wiring's four (traces, logs, load over mocked clients). */
  readonly collectors?: Partial<Collectors>;
}

class Clock {
  constructor(public current: number) {}
  now(): number {
    return this.current;
  }
}

/** Healthy until the onset, then burning at 2 %; the burn stops when the action runs at T0 if it `recovers`. */
function loadScenarioTraffic(cw: LocalCloudWatch, recovers: boolean): void {
  const from = T0 - 7 * 60 * MINUTE_MS;
  loadTraffic(cw, slo, TENANTS, from, 8 * 60, (_tenant, minute) => (minute >= ONSET && (minute < T0 || !recovers) ? BURNING_ERROR_RATE : 0));
}

/** The incident the evaluator opened, with each tenant's state as the evaluator last wrote it. */
async function seedIncident(store: DynamoStateStore, tenants: readonly string[], severity: Severity): Promise<Incident> {
  const burnRates = { '5': BURN_AT_OPEN, '30': BURN_AT_OPEN, '60': BURN_AT_OPEN * 0.5 };
  const incident = openIncident({
    slo: slo.name,
    severity,
    tenants: tenants.map((tenant) => ({ tenant, level: severity, burnRates, budgetRemaining: 0.9 })),
    now: OPENED_AT,
  });
  expect(await store.createIncident(incident)).toBe('written');
  for (const tenant of tenants) {
    const written = await store.putTenantState(
      {
        schemaVersion: 1,
        slo: slo.name,
        tenant,
        level: severity,
        levelSince: ONSET,
        lastFiringAt: T0 - MINUTE_MS,
        activeRules: ['1h/5m'],
        incidentId: incident.id,
        burnRates,
        budgetRemaining: 0.9,
        timeToExhaustionMinutes: 600,
        updatedAt: T0 - MINUTE_MS,
        version: 1,
      },
      0,
    );
    expect(written).toBe('written');
  }
  return incident;
}

interface Run {
  readonly incidentBefore: Incident;
  readonly output: WorkflowState | null;
  readonly error: Error | null;
  readonly store: DynamoStateStore;
  readonly guards: DynamoGuardStore;
  readonly stateNames: readonly string[];
}

/** Every alert published, in order, as subscribers see it. */
function alerts(): { readonly subject: string; readonly severity: string; readonly document: AlertDocument }[] {
  return sns.commandCalls(PublishCommand).map((call) => {
    const input = call.args[0].input;
    const body = JSON.parse(input.Message ?? '{}') as { sqs: string };
    return { subject: input.Subject ?? '', severity: input.MessageAttributes?.severity?.StringValue ?? '', document: parseAlertDocument(JSON.parse(body.sqs)) };
  });
}

function bundles(): ForensicBundle[] {
  return s3.commandCalls(PutObjectCommand).map((call) => JSON.parse(String(call.args[0].input.Body)) as ForensicBundle);
}

function timelineSteps(incident: Incident | null): string[] {
  return (incident?.timeline ?? []).map((entry) => entry.step);
}

async function executeScenario(dynamo: { freshTable(): Promise<TestTable> }, synthesized: SynthesizedWorkflow, scenario: Scenario): Promise<Run> {
  const table = await dynamo.freshTable();
  const store = new DynamoStateStore(table.doc, table.name);
  const guards = new DynamoGuardStore(table.doc, table.name);
  const incidentBefore = await seedIncident(store, scenario.tenants, scenario.severity ?? 'page');
  const clock = new Clock(T0);
  const cw = new LocalCloudWatch({ clock: () => clock.now() });
  loadScenarioTraffic(cw, scenario.recovers);
  const local = localWorkflowWiring({
    clock,
    log: quiet,
    runtime,
    workflow: normalizeWorkflowProps(scenario.workflow).runtime,
    store,
    guards,
    cloudwatch: cw,
    clients: { ...localAwsClients(), coldStartCloudWatch },
  });
  const base = local.collectors();
  const wiring: WorkflowWiring = { ...local, collectors: () => ({ ...base, ...scenario.collectors }) };
  const runner = new LocalWorkflowRunner(synthesized, workflowHandlers(wiring), {
    before: ({ state, handler, payload }) => {
      if (scenario.failState?.state === state) throw scenario.failState.error;
      // The Wait state is overridden to 0 s: the handlers' clock moves by the configured wait instead.
      if (handler === 'validate') clock.current += (payload as unknown as WorkflowState).settings.waitAfterActionSeconds * 1000;
    },
    // A human answers: send-task-success with their output, or send-task-failure / no answer (an error).
    ...(scenario.approval === undefined ? {} : { approval: scenario.approval }),
  });
  const input: IncidentWorkflowInput = {
    incidentId: incidentBefore.id,
    slo: slo.name,
    severity: incidentBefore.severity,
    tenants: [...scenario.tenants],
    onsetAt: ONSET,
    openedAt: OPENED_AT,
  };
  const { output, error, stateNames } = await runner.runExecution(input, { taskToken: TOKEN });
  return { incidentBefore, output, error, store, guards, stateNames };
}

describe('incident workflow, executed locally from the synthesized definition', () => {
  const dynamo = useLocalDynamo('workflow');
  let synthesized: SynthesizedWorkflow;

  beforeAll(() => {
    synthesized = synthesizeWorkflow(runtime, normalizeWorkflowProps({ waitAfterActionSeconds: WAIT_SECONDS, approvalTimeoutSeconds: 900 }));
  });

  beforeEach(() => {
    for (const mock of [codedeploy, autoscaling, rds, sns, s3, cloudwatch]) mock.reset();
    sns.on(PublishCommand).callsFake(() => ({ MessageId: `msg-${sns.commandCalls(PublishCommand).length}` }));
    s3.on(PutObjectCommand).resolves({});
    rds.on(DescribeEventsCommand).resolves({ Events: [] });
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  });

  const execute = (scenario: Scenario): Promise<Run> => executeScenario(dynamo, synthesized, scenario);

  const deploymentWorkflow = (overrides: Partial<WorkflowProps> = {}): WorkflowProps => ({
    mitigationMode: 'auto',
    allowlist: ['shop/prod'],
    resources: { [slo.name]: { deploymentGroups: [{ application: 'shop', group: 'prod' }] } },
    ...overrides,
  });

  it('validates as Amazon States Language, function ARNs included', () => {
    // Assess
    expect(validateAsl(synthesized.definition, { checkArn: true, checkPaths: true }).errorsText()).toBe('');
  });

  it('rolls back a deployment-caused burn in auto mode, validates the recovery and sends mitigated', async () => {
    // Prepare
    mockDeploymentInFlight();
    // Act
    const run = await execute({ workflow: deploymentWorkflow(), tenants: ['acme'], recovers: true });
    // Assess: one StopDeployment with rollback, then recovery
    expect(run.error).toBeNull();
    expect(codedeploy.commandCalls(StopDeploymentCommand).map((call) => call.args[0].input)).toEqual([{ deploymentId: DEPLOYMENT_ID, autoRollbackEnabled: true }]);
    expect(run.output?.analysis?.correlation.failureMode).toBe('deployment');
    expect(run.output?.progress.decision).toBe('recovered');
    // The re-sampled 5m window [T0 - 1 min, T0 + 4 min) holds one burning minute: 20 bad of 5,000.
    const [sample] = run.output?.progress.validations[0]?.samples ?? [];
    expect(sample?.burnRate).toBeCloseTo(workbookBurnRate(BURNING_ERROR_RATE * REQUESTS_PER_MINUTE, 5 * REQUESTS_PER_MINUTE), 6);
    expect(alerts().map((alert) => alert.document.type)).toEqual(['opened', 'mitigated']);
    expect(alerts()[0]?.document.correlation?.suspectedCause).toContain(DEPLOYMENT_ID);
    expect(alerts()[1]?.document.links.forensicBundle).toMatch(/^s3:\/\/burnwatch-forensics\/incidents\/2026\/11\/.+\.json$/);
    // Learning: one rollback, one recovery, five minutes after the action
    expect(await run.guards.getActionStats('deployment')).toEqual([
      { failureMode: 'deployment', kind: 'codedeploy-rollback', attempts: 1, recoveries: 1, totalRecoveryMinutes: WAIT_SECONDS / 60 },
    ]);
    const incident = await run.store.getIncident(run.incidentBefore.id);
    expect(incident?.status).toBe('open');
    expect(incident?.forensicUri).toBe(alerts()[1]?.document.links.forensicBundle);
    expect(timelineSteps(incident)).toEqual(
      expect.arrayContaining(['workflow-started', 'context-collected', 'correlated', 'planned', 'action-started', 'action-succeeded', 'validated', 'forensics-recorded', 'notified']),
    );
    const [bundle] = bundles();
    expect(bundle?.actions.map((result) => result.outcome)).toEqual(['succeeded']);
    expect(bundle?.validations[0]?.recovered).toBe(true);
    expect(bundle?.correlation?.ranked[0]?.evidence.details['deploymentId']).toBe(DEPLOYMENT_ID);
  });

  it('scales out the Auto Scaling group behind a capacity burn by the planned step', async () => {
    // Prepare: 4 of at most 4 instances, a launch pending since 3 minutes before the onset
    mockGroups([{ name: 'web', desired: 4, max: 4, pendingLaunchMinutesBeforeOnset: 3 }]);
    const workflow: WorkflowProps = {
      mitigationMode: 'auto',
      allowlist: ['web'],
      scaleOut: { ceilings: { web: 10 } },
      resources: { [slo.name]: { autoScalingGroups: [{ name: 'web' }] } },
    };
    // Act
    const run = await execute({ workflow, tenants: ['acme'], recovers: true });
    // Assess: the default step is 25 % of the desired 4, rounded up: 1 instance
    expect(run.error).toBeNull();
    expect(run.output?.analysis?.correlation.failureMode).toBe('capacity');
    expect(autoscaling.commandCalls(UpdateAutoScalingGroupCommand).map((call) => call.args[0].input)).toEqual([
      { AutoScalingGroupName: 'web', MaxSize: 5, DesiredCapacity: 5 },
    ]);
    expect(run.output?.progress.decision).toBe('recovered');
    expect(alerts().map((alert) => alert.document.type)).toEqual(['opened', 'mitigated']);
  });

  it('escalates at page severity after maxRounds actions that do not recover the burn, leaving the rest untouched', async () => {
    // Prepare: three groups at their max, the burn goes on whatever is done
    mockGroups([
      { name: 'web-a', desired: 4, max: 4, pendingLaunchMinutesBeforeOnset: 2 },
      { name: 'web-b', desired: 4, max: 4, pendingLaunchMinutesBeforeOnset: 6 },
      { name: 'web-c', desired: 4, max: 4, pendingLaunchMinutesBeforeOnset: 12 },
    ]);
    const workflow: WorkflowProps = {
      mitigationMode: 'auto',
      allowlist: ['web-*'],
      maxRounds: 2,
      scaleOut: { ceilings: { 'web-a': 10, 'web-b': 10, 'web-c': 10 } },
      resources: { [slo.name]: { autoScalingGroups: [{ name: 'web-a' }, { name: 'web-b' }, { name: 'web-c' }] } },
    };
    // Act
    const run = await execute({ workflow, tenants: ['acme'], severity: 'ticket', recovers: false });
    // Assess
    expect(run.error).toBeNull();
    expect(autoscaling.commandCalls(UpdateAutoScalingGroupCommand).map((call) => call.args[0].input.AutoScalingGroupName)).toEqual(['web-a', 'web-b']);
    expect(run.output?.progress.validations.map((record) => record.recovered)).toEqual([false, false]);
    expect(run.output?.progress.validations[1]?.samples[0]?.burnRate).toBeCloseTo(BURN_AT_OPEN, 6);
    expect(run.output?.progress.decision).toBe('escalate');
    expect(alerts().map((alert) => [alert.document.type, alert.severity])).toEqual([
      ['opened', 'ticket'],
      ['escalated', 'page'],
    ]);
    expect((await run.store.getIncident(run.incidentBefore.id))?.severity).toBe('page');
    expect(await run.guards.getActionStats('capacity')).toEqual([
      { failureMode: 'capacity', kind: 'asg-scale-out', attempts: 2, recoveries: 0, totalRecoveryMinutes: 0 },
    ]);
  });

  it('calls no mutating API in recommend mode: it plans, alerts and records only', async () => {
    // Prepare
    mockDeploymentInFlight();
    mockGroups([{ name: 'web', desired: 4, max: 4, pendingLaunchMinutesBeforeOnset: 3 }]);
    const workflow = deploymentWorkflow({ mitigationMode: 'recommend' });
    // Act
    const run = await execute({ workflow, tenants: ['acme'], recovers: true });
    // Assess
    expect(run.error).toBeNull();
    expect(codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    expect(autoscaling.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(0);
    expect(run.stateNames).not.toContain('Act');
    expect(alerts().map((alert) => alert.document.type)).toEqual(['opened']);
    expect(alerts()[0]?.document.recommendedActions).toEqual([
      expect.objectContaining({ kind: 'codedeploy-rollback', allowed: false, blockedBy: ['mode: recommend'] }),
    ]);
    expect(timelineSteps(await run.store.getIncident(run.incidentBefore.id))).toContain('no-action');
    expect(bundles()).toHaveLength(1);
  });

  it('handles a grouped incident of three tenants with one alert, one rollback and a recovery check per tenant', async () => {
    // Prepare
    mockDeploymentInFlight();
    const tenants = ['acme', 'globex', 'initech'];
    // Act
    const run = await execute({ workflow: deploymentWorkflow(), tenants, recovers: true });
    // Assess
    expect(run.error).toBeNull();
    expect(codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(1);
    const opened = alerts().filter((alert) => alert.document.type === 'opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]?.document.summary.tenantsCount).toBe(3);
    const validation = run.output?.progress.validations[0];
    expect(validation?.tenantsRecovered).toBe(3);
    expect(validation?.samples.map((sample) => sample.tenant).sort()).toEqual([...tenants].sort());
    for (const sample of validation?.samples ?? []) {
      expect(sample.recovered).toBe(true);
      expect(sample.burnRate).toBeCloseTo(workbookBurnRate(BURNING_ERROR_RATE * REQUESTS_PER_MINUTE, 5 * REQUESTS_PER_MINUTE), 6);
      expect(sample.burnRateAtOpen).toBeCloseTo(BURN_AT_OPEN, 6);
    }
    expect(alerts().map((alert) => alert.document.type)).toEqual(['opened', 'mitigated']);
  });

  it('completes with the source reported unavailable when a collector is denied access', async () => {
    // Prepare: RDS denies DescribeEvents
    mockDeploymentInFlight();
    rds.on(DescribeEventsCommand).rejects(serviceError(RDSServiceException, 'AccessDenied', 403, 'not authorized to perform rds:DescribeEvents'));
    const workflow = deploymentWorkflow({
      resources: { [slo.name]: { deploymentGroups: [{ application: 'shop', group: 'prod' }], rdsInstances: [{ identifier: 'orders-db' }] } },
    });
    // Act
    const run = await execute({ workflow, tenants: ['acme'], recovers: true });
    // Assess
    expect(run.error).toBeNull();
    const rdsOutcome = run.output?.collected?.find((outcome) => outcome.source === 'rds');
    expect(rdsOutcome?.result).toEqual({ source: 'rds', status: 'unavailable', reason: 'rds: AccessDenied: not authorized to perform rds:DescribeEvents' });
    expect(run.output?.analysis?.correlation.unavailable).toContainEqual({ source: 'rds', reason: 'rds: AccessDenied: not authorized to perform rds:DescribeEvents' });
    expect(run.output?.progress.decision).toBe('recovered');
  });

  it("reports a collector task that fails outright as unavailable through its branch's Catch", async () => {
    // Prepare: the cold-start collector's Lambda itself fails
    mockDeploymentInFlight();
    const crash = Object.assign(new Error('Task timed out after 60.00 seconds'), { name: 'Sandbox.Timedout' });
    // Act
    const run = await execute({ workflow: deploymentWorkflow(), tenants: ['acme'], recovers: true, failState: { state: 'CollectLambdaColdStarts', error: crash } });
    // Assess
    expect(run.error).toBeNull();
    expect(run.stateNames).toContain('LambdaColdStartsUnavailable');
    expect(run.output?.collected?.find((outcome) => outcome.source === 'lambda')?.result).toEqual({
      source: 'lambda',
      status: 'unavailable',
      reason: 'collector task failed: Sandbox.Timedout: Task timed out after 60.00 seconds',
    });
    expect(run.output?.progress.decision).toBe('recovered');
  });

  it('waits for approval when required, sends the CLI commands with the task token, and acts once approved', async () => {
    // Prepare
    mockDeploymentInFlight();
    const workflow = deploymentWorkflow({ requireApprovalFor: ['codedeploy-rollback'] });
    // Act
    const run = await execute({ workflow, tenants: ['acme'], recovers: true, approval: () => ({ approved: true, approvedBy: 'alice' }) });
    // Assess: the approval request is the opening alert
    expect(run.error).toBeNull();
    expect(run.stateNames).not.toContain('NotifyOpening');
    const [request] = alerts();
    expect(request?.document.type).toBe('opened');
    expect(request?.document.approval?.command).toContain(`aws stepfunctions send-task-success --task-token '${TOKEN}'`);
    expect(request?.document.approval?.command).toContain('aws stepfunctions send-task-failure');
    expect(codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(1);
    expect(run.output?.progress.decision).toBe('recovered');
  });

  it.each([
    ['rejected with send-task-failure', 'Rejected', 'rejected (Rejected'],
    ['not answered before the timeout', 'States.Timeout', 'nobody answered before the approval timed out'],
  ])('changes nothing when the approval is %s', async (_case, errorName, timelineText) => {
    // Prepare
    mockDeploymentInFlight();
    const workflow = deploymentWorkflow({ requireApprovalFor: ['codedeploy-rollback'] });
    const answer = (): Json => {
      throw Object.assign(new Error('change freeze'), { name: errorName });
    };
    // Act
    const run = await execute({ workflow, tenants: ['acme'], recovers: true, approval: answer });
    // Assess
    expect(run.error).toBeNull();
    expect(codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    expect(run.stateNames).not.toContain('Act');
    const incident = await run.store.getIncident(run.incidentBefore.id);
    expect(incident?.timeline.find((entry) => entry.step === 'approval-denied')?.detail).toContain(timelineText);
    expect(bundles()[0]?.approvalDenied?.Error).toBe(errorName);
  });

  it('records, announces and fails the execution visibly when a step fails', async () => {
    // Prepare: the bucket refuses every write
    mockDeploymentInFlight();
    s3.on(PutObjectCommand).rejects(serviceError(S3ServiceException, 'AccessDenied', 403, 'bucket policy denies PutObject'));
    // Act
    const run = await execute({ workflow: deploymentWorkflow(), tenants: ['acme'], recovers: true });
    // Assess: the execution fails, after the failure was put on the timeline and announced
    expect(run.error).not.toBeNull();
    expect(run.stateNames).toEqual(expect.arrayContaining(['RecordFailed', 'RecordFailure', 'WorkflowFailed']));
    const failureAlert = alerts().find((alert) => alert.document.recommendedActions.some((action) => action.reason.includes('workflow failed at Record')));
    expect(failureAlert?.document.type).toBe('escalated');
    const incident = await run.store.getIncident(run.incidentBefore.id);
    expect(incident?.timeline.find((entry) => entry.step === 'workflow-failed')?.detail).toMatch(/^Record: ForensicWriteError: /);
    expect(codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Evidence beyond infrastructure events: traces (X-Ray) and error logs (Logs Insights)
// ---------------------------------------------------------------------------------------------------------

const xray = mockClient(XRayClient);
const logs = mockClient(CloudWatchLogsClient);
const LOG_GROUP = '/aws/lambda/checkout-api';
const QUERY_ID = 'q-12ab34cd';
const LOCAL_CLIENT = { region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

/** A failing trace of `tenant` whose fault started on the edge api -> `to`, `minutesAfterOnset` after the onset. */
function failingTrace(tenant: string, to: string, minutesAfterOnset: number, index: number): TraceSummary {
  return {
    Id: `1-6720a000-${String(index).padStart(24, '0')}`,
    StartTime: new Date(ONSET + minutesAfterOnset * MINUTE_MS),
    HasFault: true,
    HasError: false,
    ResponseTime: 2,
    Http: { HttpMethod: 'POST', HttpURL: `https://checkout.example.com/orders/${index}` },
    Annotations: { tenant: [{ AnnotationValue: { StringValue: tenant } }] },
    FaultRootCauses: [{ Services: [{ Name: 'api', EntityPath: [{ Name: 'api' }] }, { Name: to, EntityPath: [{ Name: to, Remote: true }] }] }],
  };
}

/** A Logs Insights result row as the collector's query names its fields. */
function logRow(tenant: string, message: string, events: number, first: string, last: string): { field: string; value: string }[] {
  return [
    { field: '@log', value: `${ACCOUNT}:${LOG_GROUP}` },
    { field: 'bwTenant', value: tenant },
    { field: 'bwMessage', value: message },
    { field: 'bwEvents', value: String(events) },
    { field: 'bwFirst', value: first },
    { field: 'bwLast', value: last },
  ];
}

describe('incident workflow with traces and logs, executed locally', () => {
  const dynamo = useLocalDynamo('workflow-evidence');
  const TENANTS_BURNING = ['acme', 'globex', 'initech'];
  const QUERY_TIMEOUT_SECONDS = 10;
  const workflow: WorkflowProps = {
    mitigationMode: 'recommend',
    resources: {
      [slo.name]: {
        deploymentGroups: [{ application: 'shop', group: 'prod' }],
        traces: { annotationKey: 'tenant', maxTraces: 100 },
        logs: { logGroups: [LOG_GROUP], queryTimeoutSeconds: QUERY_TIMEOUT_SECONDS },
      },
    },
  };
  let synthesized: SynthesizedWorkflow;
  /** The Logs Insights collector's own clock: its polls advance it, not the workflow's. */
  let queryClock: { current: number };
  let pollSleeps: number[];

  const collectors: Partial<Collectors> = {
    xray: (limits) => new XRayCollector(new XRayClient(LOCAL_CLIENT), { maxTraces: limits.maxTraces, retry: NO_WAIT }),
    logs: (limits) =>
      new LogsInsightsCollector(new CloudWatchLogsClient(LOCAL_CLIENT), {
        queryTimeoutSeconds: limits.queryTimeoutSeconds,
        maxRows: limits.maxRows,
        pollIntervalMs: 2000,
        retry: NO_WAIT,
        clock: { now: () => queryClock.current },
        sleep: async (ms) => {
          pollSleeps.push(ms);
          queryClock.current += ms;
        },
      }),
  };

  beforeAll(() => {
    synthesized = synthesizeWorkflow(runtime, normalizeWorkflowProps({ ...workflow, waitAfterActionSeconds: WAIT_SECONDS, approvalTimeoutSeconds: 900 }));
  });

  beforeEach(() => {
    for (const mock of [codedeploy, autoscaling, rds, sns, s3, cloudwatch, xray, logs]) mock.reset();
    queryClock = { current: T0 };
    pollSleeps = [];
    sns.on(PublishCommand).callsFake(() => ({ MessageId: `msg-${sns.commandCalls(PublishCommand).length}` }));
    s3.on(PutObjectCommand).resolves({});
    mockDeploymentInFlight();
    // 10 failing traces: 9 start their fault on api -> orders-db (every burning tenant), 1 on api -> cache.
    const traces = [
      ...Array.from({ length: 9 }, (_, i) => failingTrace(TENANTS_BURNING[i % 3]!, 'orders-db', 1 + (i % 4), i)),
      failingTrace('acme', 'cache', 3, 9),
    ];
    xray.on(GetTraceSummariesCommand).resolves({ TraceSummaries: traces });
    xray.on(GetServiceGraphCommand).resolves({ Services: [] });
    logs.on(StartQueryCommand).resolves({ queryId: QUERY_ID });
    logs.on(StopQueryCommand).resolves({ success: true });
  });

  it('names the deployment, the tenant count and the X-Ray edge in the alert\'s one-line cause, with traces and logs in the bundle', async () => {
    // Prepare: acme's error lines say the database refused connections
    logs.on(GetQueryResultsCommand).resolves({
      status: 'Complete',
      results: [logRow('acme', 'ERROR connection refused to orders-db 10.0.3.7:5432 request 8f2c41a9b7e0', 120, '2026-11-20 11:55:10.000', '2026-11-20 11:59:58.000')],
      statistics: { recordsMatched: 120, recordsScanned: 50000 },
    });
    // Act
    const run = await executeScenario(dynamo, synthesized, { workflow, tenants: TENANTS_BURNING, recovers: true, collectors });
    // Assess: the deployment (a change 2 min before onset) is the cause; X-Ray shows where the requests fail
    expect(run.error).toBeNull();
    expect(run.stateNames).toEqual(expect.arrayContaining(['CollectTraces', 'CollectLogs']));
    const [opened] = alerts();
    expect(opened?.document.correlation?.suspectedCause).toBe(
      `deployment ${DEPLOYMENT_ID} to shop/prod (InProgress) 2 min before onset; 3 of 6 tenants; ` +
        'X-Ray: 90% of faults on edge api -> orders-db (9 of 10 traces), mean response 2.00 s',
    );
    expect(opened?.document.correlation?.failureMode).toBe('deployment');
    // The traces query asked for the incident's tenants and failing traces only.
    expect(xray.commandCalls(GetTraceSummariesCommand)[0]?.args[0].input.FilterExpression).toBe(
      '(annotation.tenant = "acme" OR annotation.tenant = "globex" OR annotation.tenant = "initech") AND (fault = true OR error = true)',
    );
    const [bundle] = bundles();
    expect(bundle?.context?.map((outcome) => [outcome.source, outcome.result.status])).toEqual(
      expect.arrayContaining([
        ['xray', 'ok'],
        ['logs', 'ok'],
      ]),
    );
    const ranked = bundle?.correlation?.ranked ?? [];
    expect(ranked.map((cause) => cause.evidence.source)).toEqual(expect.arrayContaining(['codedeploy', 'xray', 'logs']));
    const logEvidence = ranked.find((cause) => cause.evidence.source === 'logs')?.evidence;
    expect(logEvidence?.details).toMatchObject({ events: 120, pattern: 'ERROR connection refused to orders-db <n>:<n> request <hex>', queryId: QUERY_ID });
    expect(bundle?.correlation?.corroboratedBy).toMatchObject({ source: 'xray', resource: 'api -> orders-db' });
    expect(logs.commandCalls(StopQueryCommand)).toHaveLength(0);
  });

  it('stops a Logs Insights query that outlives its deadline and still completes, with logs unavailable', async () => {
    // Prepare: the query never finishes
    logs.on(GetQueryResultsCommand).resolves({ status: 'Running' });
    // Act
    const run = await executeScenario(dynamo, synthesized, { workflow, tenants: TENANTS_BURNING, recovers: true, collectors });
    // Assess: polled every 2 s for the 10 s deadline, then stopped
    expect(run.error).toBeNull();
    expect(pollSleeps.reduce((total, ms) => total + ms, 0)).toBe(QUERY_TIMEOUT_SECONDS * 1000);
    expect(logs.commandCalls(StopQueryCommand).map((call) => call.args[0].input)).toEqual([{ queryId: QUERY_ID }]);
    const reason = `logs: InsightsQueryTimeoutError: query timed out after ${QUERY_TIMEOUT_SECONDS}s (stopped)`;
    expect(run.output?.collected?.find((outcome) => outcome.source === 'logs')?.result).toEqual({ source: 'logs', status: 'unavailable', reason });
    expect(run.output?.analysis?.correlation.unavailable).toContainEqual({ source: 'logs', reason });
    expect(bundles()[0]?.context?.find((outcome) => outcome.source === 'logs')?.result.status).toBe('unavailable');
    // The other evidence still names the cause.
    expect(alerts()[0]?.document.correlation?.suspectedCause).toContain('X-Ray: 90% of faults on edge api -> orders-db');
    expect(timelineSteps(await run.store.getIncident(run.incidentBefore.id))).toEqual(expect.arrayContaining(['context-collected', 'correlated', 'forensics-recorded']));
  });

  it('leaves out traces and logs for an SLO that does not configure them, though the branches exist', async () => {
    // Prepare: another SLO's config would create the branches; this execution's SLO maps only the deployment group
    const plain: WorkflowProps = { mitigationMode: 'recommend', resources: { [slo.name]: { deploymentGroups: [{ application: 'shop', group: 'prod' }] } } };
    // Act
    const run = await executeScenario(dynamo, synthesized, { workflow: plain, tenants: TENANTS_BURNING, recovers: true, collectors });
    // Assess
    expect(run.error).toBeNull();
    expect(run.stateNames).toEqual(expect.arrayContaining(['CollectTraces', 'CollectLogs']));
    expect(run.output?.collected?.map((outcome) => outcome.source).sort()).toEqual(['autoscaling', 'codedeploy', 'lambda', 'rds']);
    expect(bundles()[0]?.context?.map((outcome) => outcome.source).sort()).toEqual(['autoscaling', 'codedeploy', 'lambda', 'rds']);
    expect(xray.commandCalls(GetTraceSummariesCommand)).toHaveLength(0);
    expect(logs.commandCalls(StartQueryCommand)).toHaveLength(0);
    expect(alerts()[0]?.document.correlation?.suspectedCause).toBe(`deployment ${DEPLOYMENT_ID} to shop/prod (InProgress) 2 min before onset; 3 of 6 tenants`);
  });
});
