/**
 * The AWS outside Burnwatch, as the demo's scenario describes it: real SDK clients answered by aws-sdk-client-mock
 * from the scenario's events (deployments, capacity, database failovers). Mitigations change the scenario: a
 * StopDeployment or UpdateAutoScalingGroup ends the matching event `recoveryMinutes` later, so the errors stop and
 * validation sees it. Alerts published to SNS and forensic bundles put to S3 are handed to the demo.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  UpdateAutoScalingGroupCommand,
  type Activity,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import { BatchGetDeploymentsCommand, ListDeploymentsCommand, StopDeploymentCommand, type DeploymentInfo } from '@aws-sdk/client-codedeploy';
import { DescribeEventsCommand, type Event as RdsEvent } from '@aws-sdk/client-rds';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetServiceGraphCommand, GetTraceSummariesCommand } from '@aws-sdk/client-xray';
import { mockClient } from 'aws-sdk-client-mock';
import type { AlertDocument } from '../../lambda/domain/alert-message';
import { parseAlertDocument } from '../../lambda/domain/alert-message';
import { MINUTE_MS } from '../../lambda/domain/model';
import { localAwsClients } from '../local/workflow-runner';
import type { LocalAwsClients } from '../local/workflow-runner';
import type { Scenario, ScenarioEvent, ScenarioTraffic } from './scenario';

/** An alert as a subscriber of the topic receives it. */
export interface PublishedAlert {
  readonly subject: string;
  /** The text body (email, default). */
  readonly text: string;
  readonly document: AlertDocument;
}

/** A call that changed a resource, and what it did to the scenario. */
export interface Mitigation {
  readonly at: number;
  readonly call: string;
  readonly resource: string;
  /** When the matching event stops failing requests, or null when no event matched. */
  readonly endsAt: number | null;
}

export interface DemoAwsOptions {
  readonly scenario: Scenario;
  readonly traffic: ScenarioTraffic;
  readonly clock: () => number;
  /** Forensic bundles are written under `<outDir>/demo-forensics/`. */
  readonly outDir: string;
  readonly onAlert: (alert: PublishedAlert) => void;
  readonly onMitigation: (mitigation: Mitigation) => void;
}

export class DemoAwsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoAwsError';
  }
}

interface GroupState {
  /** Capacity while a spike lasts (the scale-out reached it); outside spikes the group runs at `baseline`. */
  desired: number;
  max: number;
  readonly baseline: number;
}

const DEFAULT_DESIRED_CAPACITY = 4;

function positiveInteger(value: string | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new DemoAwsError(`${field}: must be a whole number of at least 1, got ${JSON.stringify(value)}`);
  return parsed;
}

/** Deployment id of a deployment event: its `resource.deploymentId`, or one derived from its position. */
function deploymentIdOf(event: ScenarioEvent, index: number): string {
  return event.resource['deploymentId'] ?? `d-DEMO${index}`;
}

export class DemoAws {
  readonly clients: LocalAwsClients;
  readonly forensicsDir: string;
  private readonly restores: (() => void)[] = [];
  private readonly groups = new Map<string, GroupState>();
  private readonly stopped = new Map<string, number>();
  private messages = 0;

  constructor(private readonly options: DemoAwsOptions) {
    this.clients = localAwsClients();
    this.forensicsDir = join(options.outDir, 'demo-forensics');
    options.scenario.events.forEach((event, i) => {
      const name = event.resource['autoScalingGroup'];
      if (event.kind !== 'capacity' || name === undefined) return;
      const desired = positiveInteger(event.resource['desiredCapacity'], DEFAULT_DESIRED_CAPACITY, `events[${i}].resource.desiredCapacity`);
      // A lagging scale-out on a group already at its max: it cannot add capacity on its own.
      const max = positiveInteger(event.resource['maxSize'], desired, `events[${i}].resource.maxSize`);
      this.groups.set(name, { desired, max, baseline: positiveInteger(event.resource['baselineCapacity'], Math.ceil(desired / 2), `events[${i}].resource.baselineCapacity`) });
    });
    this.mockCodeDeploy();
    this.mockAutoScaling();
    this.mockRds();
    this.mockAlertsAndForensics();
    const coldStarts = mockClient(this.clients.coldStartCloudWatch);
    // No function's cold starts spike in these scenarios.
    coldStarts.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    this.restores.push(() => coldStarts.restore());
    this.mockTracesAndLogs();
  }

  restore(): void {
    for (const restore of this.restores) restore();
  }

  private events(kind: ScenarioEvent['kind']): { event: ScenarioEvent; index: number }[] {
    return this.options.scenario.events.map((event, index) => ({ event, index })).filter(({ event }) => event.kind === kind);
  }

  private mitigate(call: string, resource: string, matching: readonly { event: ScenarioEvent; index: number }[]): void {
    const now = this.options.clock();
    let endsAt: number | null = null;
    for (const { event, index } of matching) {
      if (event.start > now || this.options.traffic.eventEnd(index) <= now) continue;
      const at = now + event.recoveryMinutes * MINUTE_MS;
      this.options.traffic.endEvent(index, at);
      endsAt = this.options.traffic.eventEnd(index);
    }
    this.options.onMitigation({ at: now, call, resource, endsAt });
  }

  private mockCodeDeploy(): void {
    const stub = mockClient(this.clients.codedeploy);
    this.restores.push(() => stub.restore());
    // The deployment went out a minute before its first failed requests.
    const createdAt = (event: ScenarioEvent): number => event.start - MINUTE_MS;
    stub.on(ListDeploymentsCommand).callsFake((input: { applicationName?: string; deploymentGroupName?: string; createTimeRange?: { start?: Date; end?: Date } }) => {
      const from = input.createTimeRange?.start?.getTime() ?? Number.NEGATIVE_INFINITY;
      const to = Math.min(input.createTimeRange?.end?.getTime() ?? Number.POSITIVE_INFINITY, this.options.clock());
      const deployments = this.events('deployment')
        .filter(({ event }) => event.resource['application'] === input.applicationName && event.resource['deploymentGroup'] === input.deploymentGroupName)
        .filter(({ event }) => createdAt(event) >= from && createdAt(event) <= to)
        .map(({ event, index }) => deploymentIdOf(event, index));
      return { deployments };
    });
    stub.on(BatchGetDeploymentsCommand).callsFake((input: { deploymentIds?: string[] }) => {
      const now = this.options.clock();
      const deploymentsInfo: DeploymentInfo[] = this.events('deployment')
        .filter(({ event, index }) => (input.deploymentIds ?? []).includes(deploymentIdOf(event, index)))
        .map(({ event, index }) => {
          const deploymentId = deploymentIdOf(event, index);
          const stoppedAt = this.stopped.get(deploymentId);
          const end = this.options.traffic.eventEnd(index);
          const status = stoppedAt !== undefined ? 'Stopped' : end <= now ? 'Succeeded' : 'InProgress';
          return {
            deploymentId,
            applicationName: event.resource['application'],
            deploymentGroupName: event.resource['deploymentGroup'],
            status,
            creator: 'user',
            createTime: new Date(createdAt(event)),
            ...(status === 'InProgress' ? {} : { completeTime: new Date(stoppedAt ?? end) }),
          };
        });
      return { deploymentsInfo };
    });
    stub.on(StopDeploymentCommand).callsFake((input: { deploymentId?: string }) => {
      const matching = this.events('deployment').filter(({ event, index }) => deploymentIdOf(event, index) === input.deploymentId);
      if (matching.length === 0) throw new DemoAwsError(`StopDeployment: no deployment ${JSON.stringify(input.deploymentId)} in the scenario`);
      this.stopped.set(input.deploymentId ?? '', this.options.clock());
      this.mitigate('StopDeployment', input.deploymentId ?? '', matching);
      return { status: 'Pending', statusMessage: 'Stop request accepted; rolling back' };
    });
  }

  private group(name: string): GroupState {
    let state = this.groups.get(name);
    if (state === undefined) {
      state = { desired: DEFAULT_DESIRED_CAPACITY, max: DEFAULT_DESIRED_CAPACITY * 2, baseline: DEFAULT_DESIRED_CAPACITY };
      this.groups.set(name, state);
    }
    return state;
  }

  private mockAutoScaling(): void {
    const stub = mockClient(this.clients.autoscaling);
    this.restores.push(() => stub.restore());
    const capacityOf = (name: string): { event: ScenarioEvent; index: number }[] =>
      this.events('capacity').filter(({ event }) => event.resource['autoScalingGroup'] === name);
    stub.on(DescribeAutoScalingGroupsCommand).callsFake((input: { AutoScalingGroupNames?: string[] }) => ({
      AutoScalingGroups: (input.AutoScalingGroupNames ?? []).map((name): AutoScalingGroup => {
        const state = this.group(name);
        const now = this.options.clock();
        const spiking = capacityOf(name).some(({ event, index }) => event.start <= now && now < this.options.traffic.eventEnd(index));
        const desired = spiking ? state.desired : Math.min(state.desired, state.baseline);
        return { AutoScalingGroupName: name, DesiredCapacity: desired, MinSize: 1, MaxSize: state.max } as AutoScalingGroup;
      }),
    }));
    stub.on(DescribeScalingActivitiesCommand).callsFake((input: { AutoScalingGroupName?: string }) => {
      const now = this.options.clock();
      const name = input.AutoScalingGroupName ?? '';
      // The spike triggered a launch that lags: in progress until the event ends.
      const Activities: Activity[] = capacityOf(name)
        .filter(({ event }) => event.start <= now)
        .map(({ event, index }) => {
          const end = this.options.traffic.eventEnd(index);
          const done = end <= now;
          return {
            ActivityId: `launch-${name}-${index}`,
            AutoScalingGroupName: name,
            Description: 'Launching a new EC2 instance: i-0demo',
            Cause: `an alarm triggered a scale-out, increasing the capacity from ${this.group(name).desired} to ${this.group(name).desired + 1}`,
            StartTime: new Date(event.start),
            StatusCode: done ? 'Successful' : 'InProgress',
            Progress: done ? 100 : 30,
            ...(done ? { EndTime: new Date(end) } : {}),
          };
        });
      return { Activities };
    });
    stub.on(UpdateAutoScalingGroupCommand).callsFake((input: { AutoScalingGroupName?: string; MaxSize?: number; DesiredCapacity?: number }) => {
      const name = input.AutoScalingGroupName ?? '';
      const state = this.group(name);
      state.max = input.MaxSize ?? state.max;
      state.desired = input.DesiredCapacity ?? state.desired;
      this.mitigate('UpdateAutoScalingGroup', `${name} desired=${state.desired} max=${state.max}`, capacityOf(name));
      return {};
    });
  }

  private mockRds(): void {
    const stub = mockClient(this.clients.rds);
    this.restores.push(() => stub.restore());
    stub.on(DescribeEventsCommand).callsFake((input: { SourceIdentifier?: string; SourceType?: string; StartTime?: Date; EndTime?: Date }) => {
      const now = this.options.clock();
      const from = input.StartTime?.getTime() ?? Number.NEGATIVE_INFINITY;
      const to = Math.min(input.EndTime?.getTime() ?? Number.POSITIVE_INFINITY, now);
      const key = input.SourceType === 'db-cluster' ? 'dbCluster' : 'dbInstance';
      const Events: RdsEvent[] = this.events('database-failover')
        .filter(({ event }) => event.resource[key] === input.SourceIdentifier)
        .flatMap(({ event, index }) => {
          const end = this.options.traffic.eventEnd(index);
          const base = { SourceIdentifier: input.SourceIdentifier, SourceType: input.SourceType as RdsEvent['SourceType'], EventCategories: ['failover'] };
          return [
            { ...base, Date: new Date(event.start), Message: `Started cross AZ failover to DB instance: ${input.SourceIdentifier ?? ''}-instance-2` },
            { ...base, Date: new Date(end), Message: 'Completed failover to DB instance' },
          ];
        })
        .filter((e) => (e.Date?.getTime() ?? 0) >= from && (e.Date?.getTime() ?? 0) <= to);
      return { Events };
    });
  }

  /**
   * Scenarios hold no traces or log lines: an SLO that configures traces or logs finds none, and no call leaves the
   * machine. (Load needs no mock: it reads the scenario's own request counts from the local CloudWatch.)
   */
  private mockTracesAndLogs(): void {
    const xray = mockClient(this.clients.xray);
    this.restores.push(() => xray.restore());
    xray.on(GetTraceSummariesCommand).resolves({ TraceSummaries: [] });
    xray.on(GetServiceGraphCommand).resolves({ Services: [] });
    const logs = mockClient(this.clients.logs);
    this.restores.push(() => logs.restore());
    logs.on(StartQueryCommand).resolves({ queryId: 'demo-query' });
    logs.on(GetQueryResultsCommand).resolves({ status: 'Complete', results: [] });
    logs.on(StopQueryCommand).resolves({ success: true });
  }

  private mockAlertsAndForensics(): void {
    const sns = mockClient(this.clients.sns);
    this.restores.push(() => sns.restore());
    sns.on(PublishCommand).callsFake((input: { Message?: string; Subject?: string }) => {
      // What an email and an SQS subscriber of the topic receive: the text body and the JSON document.
      const body = JSON.parse(input.Message ?? '{}') as { default?: string; sqs?: string };
      if (body.sqs === undefined) throw new DemoAwsError(`Publish: the message has no sqs body: ${(input.Message ?? '').slice(0, 200)}`);
      this.options.onAlert({ subject: input.Subject ?? '', text: body.default ?? '', document: parseAlertDocument(JSON.parse(body.sqs)) });
      this.messages += 1;
      return { MessageId: `demo-${this.messages}` };
    });
    const s3 = mockClient(this.clients.s3);
    this.restores.push(() => s3.restore());
    s3.on(PutObjectCommand).callsFake((input: { Key?: string; Body?: unknown }) => {
      mkdirSync(this.forensicsDir, { recursive: true });
      writeFileSync(join(this.forensicsDir, basename(input.Key ?? 'bundle.json')), String(input.Body));
      return { ETag: `"demo-${basename(input.Key ?? '')}"` };
    });
  }
}
