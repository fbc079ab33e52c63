/**
 * Grouping by a cause found after the fact, end to end: the evaluator's incident grouping (applyIncidents) opens two
 * incidents ten minutes apart, and each gets an execution of the synthesized state machine (aws-local-stepfunctions,
 * tasks bound to the real handlers over the real adapters, dynalite for the table). The second incident's evidence
 * names the deployment the first one already rolled back, so its execution merges it into the first: one
 * `escalated` alert on the survivor, no page of its own, no second rollback. Recoveries recorded by the evaluator
 * against either incident then close the survivor.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeScalingActivitiesCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { BatchGetDeploymentsCommand, CodeDeployClient, ListDeploymentsCommand, StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { DescribeEventsCommand, RDSClient } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoGuardStore } from '../../lambda/adapters/dynamo-guard-store';
import { DynamoStateStore } from '../../lambda/adapters/dynamo-state-store';
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import type { AlertDocument, AlertEvent } from '../../lambda/domain/alert-message';
import { parseAlertDocument } from '../../lambda/domain/alert-message';
import { mergedIntoOf } from '../../lambda/domain/cause-grouping';
import { MINUTE_MS, STATE_SCHEMA_VERSION } from '../../lambda/domain/model';
import type { AlertLevel, Incident, RuntimeConfig, SloDefinition, TenantAlertState, TenantEvaluation } from '../../lambda/domain/model';
import { workflowHandlers } from '../../lambda/handlers/workflow';
import type { IncidentWorkflowInput, Log, WorkflowStarter } from '../../lambda/ports';
import type { EvaluatorDeps } from '../../lambda/usecases/evaluate-tick';
import { applyIncidents } from '../../lambda/usecases/incident-grouping';
import type { PendingTransition } from '../../lambda/usecases/incident-grouping';
import type { ForensicBundle } from '../../lambda/usecases/workflow/record';
import { MERGED_CLOSING_STEP } from '../../lambda/usecases/workflow/record';
import type { WorkflowState } from '../../lambda/usecases/workflow/state';
import type { WorkflowProps } from '../../lib/config/workflow';
import { normalizeWorkflowProps } from '../../lib/config/workflow';
import { localAwsClients, localWorkflowWiring, LocalWorkflowRunner, synthesizeWorkflow } from '../../cli/local/workflow-runner';
import type { SynthesizedWorkflow, WorkflowExecution } from '../../cli/local/workflow-runner';
import { useLocalDynamo } from '../support/dynalite';
import { checkoutSlo, loadTraffic, runtimeConfig } from '../support/faults';
import { identityEvaluation } from '../support/slo-fixture';

/** t1 pages at TICK_A (incident A), t2 ten minutes later (incident B: beyond the 5-minute grouping interval). */
const T1 = 'acme';
const T2 = 'globex';
const TENANTS = [T1, T2, 'initech', 'umbrella', 'hooli', 'stark'];
const TICK_A = Date.UTC(2026, 10, 20, 12, 0, 0);
const TICK_B = TICK_A + 10 * MINUTE_MS;
/** Each burn started four minutes before its page (the 1h/5m rule needs a few bad minutes). */
const ONSET_A = TICK_A - 4 * MINUTE_MS;
const ONSET_B = TICK_B - 4 * MINUTE_MS;
/** The deployment went out two minutes before the first burn and is the one cause of both. */
const DEPLOYMENT_ID = 'd-7C1E22AA0';
const DEPLOYMENT_CREATED = ONSET_A - 2 * MINUTE_MS;
/** 2 % errors: burn rate 0.02 / (1 - 0.999) = 20, above the 1h/5m page factor 14.4. */
const BURNING_ERROR_RATE = 0.02;
const WAIT_SECONDS = 300;

const slo: SloDefinition = checkoutSlo({ tenants: { mode: 'list', tenants: TENANTS } });
const runtime: RuntimeConfig = runtimeConfig(slo);
const workflowProps: WorkflowProps = {
  mitigationMode: 'auto',
  allowlist: ['shop/prod'],
  waitAfterActionSeconds: WAIT_SECONDS,
  resources: { [slo.name]: { deploymentGroups: [{ application: 'shop', group: 'prod' }] } },
};
const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

const codedeploy = mockClient(CodeDeployClient);
const autoscaling = mockClient(AutoScalingClient);
const rds = mockClient(RDSClient);
const sns = mockClient(SNSClient);
const s3 = mockClient(S3Client);
const coldStartCloudWatch = new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const coldStarts = mockClient(coldStartCloudWatch);

class Clock {
  constructor(public current: number) {}
  now(): number {
    return this.current;
  }
}

/** Remembers what the evaluator asked to start; the test runs each execution when the story says so. */
class QueuedStarter implements WorkflowStarter {
  readonly started: IncidentWorkflowInput[] = [];
  async start(input: IncidentWorkflowInput, executionName: string): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    this.started.push(input);
    return { executionArn: `arn:aws:states:eu-west-1:123456789012:execution:burnwatch-incident:${executionName}`, alreadyStarted: false };
  }
}

function alertState(tenant: string, level: AlertLevel, incidentId: string | null, at: number, levelSince: number | null): TenantAlertState {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    slo: slo.name,
    tenant,
    level,
    levelSince,
    lastFiringAt: level === 'ok' ? null : at,
    activeRules: level === 'page' ? ['1h/5m'] : [],
    incidentId,
    burnRates: { '5': level === 'page' ? 20 : 0 },
    budgetRemaining: 0.9,
    timeToExhaustionMinutes: null,
    updatedAt: at,
    version: 1,
  };
}

/** Grouping reads only the identity of the evaluation. */
const evaluation = (tenant: string, at: number): TenantEvaluation => identityEvaluation(slo, tenant, at);

function pages(tenant: string, at: number, onset: number): PendingTransition {
  return { prev: alertState(tenant, 'ok', null, at - MINUTE_MS, null), next: alertState(tenant, 'page', null, at, onset), transition: 'opened', evaluation: evaluation(tenant, at) };
}

/** The tenant's burn is over; its stored state still names the incident it was recorded in when it opened. */
function recovers(tenant: string, stateIncidentId: string, at: number): PendingTransition {
  return {
    prev: alertState(tenant, 'page', stateIncidentId, at - MINUTE_MS, at - 30 * MINUTE_MS),
    next: alertState(tenant, 'ok', null, at, null),
    transition: 'resolved',
    evaluation: evaluation(tenant, at),
  };
}

function mockScenarioAws(): void {
  for (const mock of [codedeploy, autoscaling, rds, sns, s3, coldStarts]) mock.reset();
  sns.on(PublishCommand).callsFake(() => ({ MessageId: `msg-${sns.commandCalls(PublishCommand).length}` }));
  s3.on(PutObjectCommand).resolves({});
  rds.on(DescribeEventsCommand).resolves({ Events: [] });
  autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
  autoscaling.on(DescribeScalingActivitiesCommand).resolves({ Activities: [] });
  coldStarts.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
  codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [DEPLOYMENT_ID] });
  codedeploy.on(BatchGetDeploymentsCommand).resolves({
    deploymentsInfo: [{ deploymentId: DEPLOYMENT_ID, status: 'InProgress', createTime: new Date(DEPLOYMENT_CREATED), creator: 'user' }],
  });
  codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending', statusMessage: 'Stop request accepted' });
}

/** Every alert the workflow published, as subscribers see it. */
function workflowAlerts(): AlertDocument[] {
  return sns.commandCalls(PublishCommand).map((call) => {
    const body = JSON.parse(call.args[0].input.Message ?? '{}') as { sqs: string };
    return parseAlertDocument(JSON.parse(body.sqs));
  });
}

function bundles(): ForensicBundle[] {
  return s3.commandCalls(PutObjectCommand).map((call) => JSON.parse(String(call.args[0].input.Body)) as ForensicBundle);
}

interface Story {
  readonly store: DynamoStateStore;
  readonly a: Incident;
  readonly b: Incident;
  readonly runA: WorkflowExecution;
  readonly runB: WorkflowExecution;
  /** SNS publishes made by A's execution (B's follow). */
  readonly alertsOfA: number;
  /** Alerts the evaluator's grouping sent (joins, resolutions). */
  readonly evaluatorAlerts: AlertEvent[];
  /** One evaluator tick of grouping at `now`. */
  tick(pending: readonly PendingTransition[], now: number): ReturnType<typeof applyIncidents>;
}

describe('a burn whose cause an earlier open incident already suspects, through the state machine', () => {
  const dynamo = useLocalDynamo('merge-execution');
  let synthesized: SynthesizedWorkflow;

  beforeAll(() => {
    synthesized = synthesizeWorkflow(runtime, normalizeWorkflowProps(workflowProps));
  });

  beforeEach(() => mockScenarioAws());

  /** A opens for t1 and its execution rolls the deployment back; ten minutes later B opens for t2 and its execution runs. */
  async function story(): Promise<Story> {
    const table = await dynamo.freshTable();
    const store = new DynamoStateStore(table.doc, table.name);
    const guards = new DynamoGuardStore(table.doc, table.name);
    const clock = new Clock(TICK_A);
    const cw = new LocalCloudWatch({ clock: () => clock.now() });
    // t1 burns until the rollback (a minute after its page); t2 burns from its own onset on.
    const from = TICK_A - 7 * 60 * MINUTE_MS;
    loadTraffic(cw, slo, TENANTS, from, 8 * 60, (tenant, minute) =>
      (tenant === T1 && minute >= ONSET_A && minute < TICK_A + MINUTE_MS) || (tenant === T2 && minute >= ONSET_B) ? BURNING_ERROR_RATE : 0,
    );
    const wiring = localWorkflowWiring({
      clock,
      log: quiet,
      runtime,
      workflow: normalizeWorkflowProps(workflowProps).runtime,
      store,
      guards,
      cloudwatch: cw,
      clients: { ...localAwsClients(), coldStartCloudWatch },
    });
    const runner = new LocalWorkflowRunner(synthesized, workflowHandlers(wiring), {
      before: ({ handler, payload }) => {
        // Wait states take no time here: the handlers' clock moves by the configured wait instead.
        if (handler === 'validate') clock.current += (payload as unknown as WorkflowState).settings.waitAfterActionSeconds * 1000;
      },
    });
    const starter = new QueuedStarter();
    const evaluatorAlerts: AlertEvent[] = [];
    const deps: EvaluatorDeps = { metrics: cw as never, store, workflow: starter, log: quiet, notifier: { publish: async (event) => void evaluatorAlerts.push(event) } };
    const tick = (pending: readonly PendingTransition[], now: number) => applyIncidents(slo, runtime, deps, TENANTS.length, pending, now);

    const openedA = await tick([pages(T1, TICK_A, ONSET_A)], TICK_A);
    clock.current = TICK_A + MINUTE_MS;
    const runA = await runner.runExecution(starter.started[0]!);
    const alertsOfA = sns.commandCalls(PublishCommand).length;
    const openedB = await tick([pages(T2, TICK_B, ONSET_B)], TICK_B);
    clock.current = TICK_B + MINUTE_MS;
    const runB = await runner.runExecution(starter.started[1]!);
    const [a, b] = await Promise.all([store.getIncident(openedA.opened[0] ?? ''), store.getIncident(openedB.opened[0] ?? '')]);
    if (a === null || b === null) throw new Error(`the evaluator opened ${JSON.stringify([openedA.opened, openedB.opened])}, expected one incident each`);
    return { store, a, b, runA, runB, alertsOfA, evaluatorAlerts, tick };
  }

  it("merges B's execution into A: one escalated alert on A naming t2, no page for B, no second rollback", async () => {
    // Act
    const { a, b, runA, runB, alertsOfA, evaluatorAlerts } = await story();
    // Assess: A paged, rolled back once and saw t1 recover
    expect(runA.error).toBeNull();
    expect(runA.output?.progress.decision).toBe('recovered');
    expect(workflowAlerts().slice(0, alertsOfA).map((alert) => [alert.type, alert.incident.id])).toEqual([
      ['opened', a.id],
      ['mitigated', a.id],
    ]);
    // B's execution took the merge branch and nothing else
    expect(runB.error).toBeNull();
    expect(runB.output?.merged).toMatchObject({ into: a.id, resource: 'shop/prod', newTenants: [T2] });
    expect(runB.stateNames).toEqual(expect.arrayContaining(['Analyse', 'Merged?', 'NotifyMerged', 'Record', 'Done']));
    for (const skipped of ['ApprovalFirst?', 'NotifyOpening', 'RequestApproval', 'Act', 'WaitAfterAction', 'Validate']) expect(runB.stateNames).not.toContain(skipped);
    const alertsOfB = workflowAlerts().slice(alertsOfA);
    expect(alertsOfB).toHaveLength(1);
    expect(alertsOfB[0]).toMatchObject({ type: 'escalated', incident: { id: a.id }, summary: { newTenants: [T2], tenantsCount: 2 } });
    expect(alertsOfB[0]?.tenants.find((tenant) => tenant.tenant === T2)?.isNew).toBe(true);
    expect(workflowAlerts().filter((alert) => alert.incident.id === b.id)).toEqual([]);
    expect(evaluatorAlerts).toEqual([]);
    expect(codedeploy.commandCalls(StopDeploymentCommand).map((call) => call.args[0].input.deploymentId)).toEqual([DEPLOYMENT_ID]);
  });

  it('resolves B with the merge on its timeline and its bundle, never claiming that no action was allowed', async () => {
    // Act
    const { a, b } = await story();
    // Assess
    expect(b.status).toBe('resolved');
    expect(mergedIntoOf(b)).toBe(a.id);
    const steps = b.timeline.map((entry) => entry.step);
    expect(steps).toEqual(expect.arrayContaining(['merged-into', MERGED_CLOSING_STEP, 'forensics-recorded']));
    expect(steps).not.toContain('no-action');
    expect(steps).not.toContain('notified');
    expect(b.timeline.find((entry) => entry.step === MERGED_CLOSING_STEP)?.detail).toMatch(new RegExp(`^merged into ${a.id}`));
    expect(bundles().find((bundle) => bundle.incident.id === b.id)?.merged).toMatchObject({ into: a.id, newTenants: [T2] });
    expect(a.timeline.filter((entry) => entry.step === 'notified').at(-1)?.detail).toContain(`for ${b.id} merging in`);
  });

  it('resolves A once t1 and t2 have both recovered, following the link from the incident t2 opened in', async () => {
    // Prepare
    const { store, a, b, evaluatorAlerts, tick } = await story();
    // Act: t1 recovers, then t2, whose state still names B
    const first = await tick([recovers(T1, a.id, TICK_B + 20 * MINUTE_MS)], TICK_B + 20 * MINUTE_MS);
    const afterFirst = await store.getIncident(a.id);
    const second = await tick([recovers(T2, b.id, TICK_B + 40 * MINUTE_MS)], TICK_B + 40 * MINUTE_MS);
    // Assess: A stays open while t2 burns, then resolves with one resolved alert covering both tenants
    expect(first.resolved).toEqual([]);
    expect(afterFirst?.status).not.toBe('resolved');
    expect(second.resolved).toEqual([a.id]);
    const survivor = await store.getIncident(a.id);
    expect(survivor?.status).toBe('resolved');
    expect(survivor?.tenants.map((tenant) => [tenant.tenant, tenant.recoveredAt])).toEqual([
      [T1, TICK_B + 20 * MINUTE_MS],
      [T2, TICK_B + 40 * MINUTE_MS],
    ]);
    expect(evaluatorAlerts.map((event) => [event.type, event.incident.id])).toEqual([['resolved', a.id]]);
    expect((await store.getIncident(b.id))?.version).toBe(b.version);
  });
});
