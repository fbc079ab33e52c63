/**
 * The fault-injection rig: the real evaluator tick over real local things (the CloudWatch adapter on the in-memory
 * CloudWatch, the DynamoDB state store on dynalite, the Step Functions starter and the SNS notifier on SDK clients
 * answered by aws-sdk-client-mock, the PagerDuty client against an HTTP server on 127.0.0.1), with wrappers that
 * inject one fault at a time at the SDK boundary. Faults are scripted, never random, so every case is repeatable.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CloudWatchServiceException,
  InternalServiceFault,
  type CloudWatchClient,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricDataQuery,
  type MetricDataResult,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-cloudwatch';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import {
  ExecutionAlreadyExists,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  type StartExecutionCommandInput,
  type StartExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { InternalErrorException, PublishCommand, SNSClient, ThrottledException, type PublishCommandInput } from '@aws-sdk/client-sns';
import { BatchGetCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { DynamoStateStore } from '../../lambda/adapters/dynamo-state-store';
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { SfnWorkflowStarter } from '../../lambda/adapters/sfn-workflow-starter';
import { SnsNotifier } from '../../lambda/adapters/sns-notifier';
import { EXECUTION_NAME_PATTERN } from '../../lambda/domain/incident';
import {
  HISTORY_SORT_PREFIX,
  INCIDENT_SORT_KEY,
  OPEN_INCIDENT_SORT_KEY,
  TABLE_SORT_KEY,
  TENANT_STATE_SORT_KEY,
} from '../../lambda/domain/keys';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { Incident, RuntimeConfig, SloDefinition, TenantAlertState, TenantEvaluation } from '../../lambda/domain/model';
import { DEFAULT_TRAFFIC_GUARD, sreWorkbookPolicy } from '../../lambda/domain/policy';
import { runEvaluatorTick } from '../../lambda/handlers/evaluator';
import type { RunTickOptions } from '../../lambda/handlers/evaluator';
import type { IncidentWorkflowInput, Log } from '../../lambda/ports';
import { evaluateTick, newEvaluatorCache } from '../../lambda/usecases/evaluate-tick';
import type { EvaluatorDeps, TickReport, TransitionEvent } from '../../lambda/usecases/evaluate-tick';
import { EVALUATOR_DEFAULTS } from '../../lib/config/defaults';
import { useLocalDynamo } from './dynalite';
import type { TestTable } from './dynalite';
import { apiSlo } from './slo-fixture';

// ---------------------------------------------------------------------------------------------------------
// The SLO and the traffic every fault case starts from
// ---------------------------------------------------------------------------------------------------------

/** 2026-11-20T00:00Z: the first tick of every case. */
export const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);
/** The tenant dimension of the shared API SLI (test/support/slo-fixture.ts). */
export const TENANT_DIMENSION = 'TenantId';
export const SLO_NAME = 'checkout-availability';
/** 1 - objective (99.9 %): the share of requests the period may fail. */
export const ERROR_BUDGET = 1 - apiSlo().objectivePercent / 100;
export const REQUESTS_PER_MINUTE = 1000;
/** A healthy tenant fails no request: a burn rate of 0, far from every rule. */
export const HEALTHY_ERROR_RATE = 0;
export const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:burnwatch-incident';
export const ALERT_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:burnwatch-alerts';

export type ErrorRate = (tenant: string, minuteStart: number) => number;

/**
 * The shared API SLI (bad = 5xx + timeouts over requests, per `TenantId`) with the Workbook policy for a 30-day period
 * (page 14.4x over 1h/5m and 6x over 6h/30m, ticket 1x over 3d/6h), the default traffic guard and hysteresis, and a
 * page that resolves 10 minutes after its rules last fired.
 */
export function checkoutSlo(overrides: Partial<Omit<SloDefinition, 'sli'>> = {}): SloDefinition {
  return apiSlo({
    name: SLO_NAME,
    rules: sreWorkbookPolicy(overrides.periodDays ?? 30),
    trafficGuard: DEFAULT_TRAFFIC_GUARD,
    resolveAfterMinutes: 10,
    hysteresisRatio: 0.9,
    ...overrides,
  });
}

/** The evaluator settings a deployment gets by default. */
export function runtimeConfig(slo: SloDefinition): RuntimeConfig {
  const { dataDelayMinutes, slowRefreshMinutes, maxConcurrentRequests, heartbeatMinutes, historyTtlDays, groupingIntervalMinutes, groupingTenantShare } =
    EVALUATOR_DEFAULTS;
  return {
    schemaVersion: 1,
    slos: [slo],
    evaluator: { dataDelayMinutes, slowRefreshMinutes, maxConcurrentRequests, heartbeatMinutes, historyTtlDays, groupingIntervalMinutes, groupingTenantShare },
  };
}

/**
 * `REQUESTS_PER_MINUTE` requests a minute per tenant on the SLI's `Requests` metric; `errorRate` decides the share
 * counted on `Errors5xx`. No `Timeouts` are published: the SLI's FILL(m, 0) counts them as 0.
 */
export function loadTraffic(cw: LocalCloudWatch, slo: SloDefinition, tenants: readonly string[], from: number, minutes: number, errorRate: ErrorRate): void {
  const { namespace, dimensions: fixed, tenantDimension } = slo.sli;
  for (const tenant of tenants) {
    const dimensions = { ...fixed, [tenantDimension]: tenant };
    const requests = new Float64Array(minutes).fill(REQUESTS_PER_MINUTE);
    const errors = new Float64Array(minutes);
    for (let i = 0; i < minutes; i += 1) errors[i] = Math.round(REQUESTS_PER_MINUTE * errorRate(tenant, from + i * MINUTE_MS));
    cw.putMinutes(namespace, 'Requests', dimensions, from, requests);
    cw.putMinutes(namespace, 'Errors5xx', dimensions, from, errors);
  }
}

/** Every request of `tenants` fails in [from, to); the others stay healthy. */
export function outage(tenants: readonly string[], from: number, to: number = Number.POSITIVE_INFINITY): ErrorRate {
  return (tenant, at) => (tenants.includes(tenant) && at >= from && at < to ? 1 : HEALTHY_ERROR_RATE);
}

export const healthy: ErrorRate = () => HEALTHY_ERROR_RATE;

// ---------------------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------------------

export interface LogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly data: Record<string, unknown>;
}

/** A `Log` that keeps what was logged, so a case can assert a fault was reported and not swallowed. */
export class RecordingLog implements Log {
  readonly entries: LogEntry[] = [];
  info(message: string, data: Record<string, unknown> = {}): void {
    this.entries.push({ level: 'info', message, data });
  }
  warn(message: string, data: Record<string, unknown> = {}): void {
    this.entries.push({ level: 'warn', message, data });
  }
  error(message: string, data: Record<string, unknown> = {}): void {
    this.entries.push({ level: 'error', message, data });
  }
  messages(level: LogEntry['level']): string[] {
    return this.entries.filter((entry) => entry.level === level).map((entry) => entry.message);
  }
}

// ---------------------------------------------------------------------------------------------------------
// AWS errors, shaped as the SDK throws them
// ---------------------------------------------------------------------------------------------------------

export const awsErrors = {
  /** What CloudWatch answers over its GetMetricData TPS quota. */
  cloudWatchThrottling: (): Error =>
    new CloudWatchServiceException({ name: 'Throttling', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
  /** A CloudWatch 500. */
  cloudWatchServerError: (): Error =>
    new InternalServiceFault({ message: 'Request processing has failed due to some unknown error', $metadata: { httpStatusCode: 500 } }),
  /** What the SDK's HTTP handler throws when the socket times out: no HTTP status at all. */
  clientTimeout: (): Error =>
    Object.assign(new Error('@smithy/node-http-handler - the request socket timed out after 5000 ms of inactivity'), { name: 'TimeoutError' }),
  /** A page token CloudWatch no longer accepts: a client error, not worth retrying. */
  invalidNextToken: (): Error =>
    new CloudWatchServiceException({ name: 'InvalidNextToken', message: 'The NextToken is not valid', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
  dynamoThrottling: (): Error =>
    new ProvisionedThroughputExceededException({
      message: 'The level of configured provisioned throughput for the table was exceeded',
      $metadata: { httpStatusCode: 400 },
    }),
  stepFunctionsThrottling: (): Error =>
    new SFNServiceException({ name: 'ThrottlingException', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
  snsServerError: (): Error => new InternalErrorException({ message: 'Internal error', $metadata: { httpStatusCode: 500 } }),
  snsThrottled: (): Error => new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
};

// ---------------------------------------------------------------------------------------------------------
// CloudWatch: interceptors around the local CloudWatch's real SDK client
// ---------------------------------------------------------------------------------------------------------

export interface CloudWatchCall {
  /** `GetMetricData` or `ListMetrics`. */
  readonly operation: string;
  readonly input: ServiceInputTypes;
}

/** Sees every call before the local CloudWatch does; `answer()` asks the local CloudWatch. */
export type CloudWatchInterceptor = (call: CloudWatchCall, answer: () => Promise<ServiceOutputTypes>) => Promise<ServiceOutputTypes>;

/** The local CloudWatch's real SDK client with `intercept` in front of it, inside `send` (so the adapter's own retries see each fault). */
export function interceptedCloudWatchClient(local: LocalCloudWatch, intercept: CloudWatchInterceptor): CloudWatchClient {
  const client = local.client();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      const output = await intercept({ operation, input: args.input as ServiceInputTypes }, async () => (await next(args)).output as ServiceOutputTypes);
      return { output, response: {} };
    },
    // Before the local responder (priority low) in the same step.
    { step: 'initialize', name: 'faultInjector', priority: 'high' },
  );
  return client;
}

function isGetMetricData(call: CloudWatchCall): call is CloudWatchCall & { readonly input: GetMetricDataCommandInput } {
  return call.operation === 'GetMetricData';
}

/** The tenants a GetMetricData call asks for, read from its MetricStat dimensions. */
export function tenantsOf(input: GetMetricDataCommandInput): Set<string> {
  const tenants = new Set<string>();
  for (const query of input.MetricDataQueries ?? []) {
    const value = query.MetricStat?.Metric?.Dimensions?.find((dimension) => dimension.Name === TENANT_DIMENSION)?.Value;
    if (value !== undefined) tenants.add(value);
  }
  return tenants;
}

/** The period of a GetMetricData call: 60 for the per-tick fine series, 3600 for the hourly one. */
export function periodOf(input: GetMetricDataCommandInput): number | undefined {
  return input.MetricDataQueries?.find((query: MetricDataQuery) => query.MetricStat !== undefined)?.MetricStat?.Period;
}

export interface FailOptions {
  /** Which GetMetricData calls fail. @default every call */
  readonly when?: (input: GetMetricDataCommandInput) => boolean;
  /** How many matching calls fail before the rest are answered. @default every matching call */
  readonly times?: number;
}

/** Matching GetMetricData calls throw `error()` instead of being answered. Counts the faults it injected. */
export function failGetMetricData(error: () => Error, options: FailOptions = {}): CloudWatchInterceptor & { readonly injected: () => number } {
  let injected = 0;
  const interceptor: CloudWatchInterceptor = async (call, answer) => {
    if (isGetMetricData(call) && (options.when?.(call.input) ?? true) && injected < (options.times ?? Number.POSITIVE_INFINITY)) {
      injected += 1;
      throw error();
    }
    return answer();
  };
  return Object.assign(interceptor, { injected: () => injected });
}

export interface PagingOptions {
  /** Pages each matching answer is cut into. */
  readonly pages: number;
  readonly when?: (input: GetMetricDataCommandInput) => boolean;
  /** This page (2..pages) throws `error()` every time it is asked for, so paging stops midway. */
  readonly failPage?: { readonly page: number; readonly error: () => Error };
}

/**
 * Cuts each matching GetMetricData answer into `pages` pages, as CloudWatch does when a call returns more than it
 * may at once: every result's datapoints split evenly, `PartialData` and a NextToken on every page but the last.
 */
export function pagedGetMetricData(options: PagingOptions): CloudWatchInterceptor & { readonly pagesServed: () => number } {
  const pending = new Map<string, { readonly page: number; readonly output: GetMetricDataCommandOutput }>();
  let served = 0;
  let tokens = 0;
  const interceptor: CloudWatchInterceptor = async (call, answer) => {
    if (!isGetMetricData(call)) return answer();
    const token = call.input.NextToken;
    if (token !== undefined && pending.has(token)) {
      const stored = pending.get(token) as { readonly page: number; readonly output: GetMetricDataCommandOutput };
      if (options.failPage?.page === stored.page) throw options.failPage.error();
      served += 1;
      return stored.output;
    }
    if (!(options.when?.(call.input) ?? true)) return answer();
    const full = (await answer()) as GetMetricDataCommandOutput;
    const pageOutputs = Array.from({ length: options.pages }, (_, page): GetMetricDataCommandOutput => {
      const last = page === options.pages - 1;
      return {
        ...full,
        MetricDataResults: (full.MetricDataResults ?? []).map((result) => {
          const size = Math.ceil((result.Timestamps?.length ?? 0) / options.pages);
          return {
            ...result,
            Timestamps: (result.Timestamps ?? []).slice(page * size, (page + 1) * size),
            Values: (result.Values ?? []).slice(page * size, (page + 1) * size),
            StatusCode: last ? result.StatusCode : 'PartialData',
          };
        }),
        NextToken: undefined,
      };
    });
    // Chain the pages: each page's token names the next one.
    for (let page = 1; page < options.pages; page += 1) {
      tokens += 1;
      const next = `fault-page-${tokens}`;
      (pageOutputs[page - 1] as { NextToken?: string }).NextToken = next;
      pending.set(next, { page: page + 1, output: pageOutputs[page] as GetMetricDataCommandOutput });
    }
    served += 1;
    return pageOutputs[0] as GetMetricDataCommandOutput;
  };
  return Object.assign(interceptor, { pagesServed: () => served });
}

/** Matching answers come back cut in half with `PartialData` and no NextToken to continue: data missing for good. */
export function truncatedGetMetricData(when?: (input: GetMetricDataCommandInput) => boolean): CloudWatchInterceptor {
  return async (call, answer) => {
    const output = (await answer()) as GetMetricDataCommandOutput;
    if (!isGetMetricData(call) || !(when?.(call.input) ?? true)) return output;
    return {
      ...output,
      MetricDataResults: (output.MetricDataResults ?? []).map((result) => {
        const half = Math.floor((result.Timestamps?.length ?? 0) / 2);
        return { ...result, Timestamps: result.Timestamps?.slice(0, half), Values: result.Values?.slice(0, half), StatusCode: 'PartialData' };
      }),
    };
  };
}

/** Which tenant and side a returned series carries: the query plan labels them `<tenant> bad` / `<tenant> total`. */
function seriesOf(result: MetricDataResult): { readonly tenant: string; readonly side: 'bad' | 'total' } | null {
  const label = result.Label ?? '';
  for (const side of ['bad', 'total'] as const) {
    if (label.endsWith(` ${side}`)) return { tenant: label.slice(0, -side.length - 1), side };
  }
  return null;
}

/** Rewrites the returned series of the fine (per-minute) answers, e.g. to put NaN into one minute of one tenant. */
export function corruptFineSeries(
  rewrite: (result: MetricDataResult, series: { readonly tenant: string; readonly side: 'bad' | 'total' }) => MetricDataResult | null,
): CloudWatchInterceptor {
  return async (call, answer) => {
    const output = (await answer()) as GetMetricDataCommandOutput;
    if (!isGetMetricData(call) || periodOf(call.input) !== 60) return output;
    const results: MetricDataResult[] = [];
    for (const result of output.MetricDataResults ?? []) {
      const series = seriesOf(result);
      const rewritten = series === null ? result : rewrite(result, series);
      if (rewritten !== null) results.push(rewritten);
    }
    return { ...output, MetricDataResults: results };
  };
}

/** Replaces the value at the minute starting `at` (adding the minute when the series has none). */
export function withValueAt(result: MetricDataResult, at: number, value: number): MetricDataResult {
  const timestamps = [...(result.Timestamps ?? [])];
  const values = [...(result.Values ?? [])];
  const index = timestamps.findIndex((timestamp) => timestamp.getTime() === at);
  if (index >= 0) values[index] = value;
  else {
    timestamps.push(new Date(at));
    values.push(value);
  }
  return { ...result, Timestamps: timestamps, Values: values };
}

/** Drops the datapoint at the minute starting `at`. */
export function withoutValueAt(result: MetricDataResult, at: number): MetricDataResult {
  const keep = (result.Timestamps ?? []).map((timestamp) => timestamp.getTime() !== at);
  return {
    ...result,
    Timestamps: (result.Timestamps ?? []).filter((_, index) => keep[index]),
    Values: (result.Values ?? []).filter((_, index) => keep[index]),
  };
}

// ---------------------------------------------------------------------------------------------------------
// DynamoDB: a wrapper around the document client
// ---------------------------------------------------------------------------------------------------------

/** What a document-client command touches, read from its input. */
export type TableItemKind = 'tenant-state' | 'history' | 'incident' | 'open-incident-pointer' | 'other';

export interface DocumentCommandInfo {
  /** `PutCommand`, `GetCommand`, `BatchGetCommand`, or `other`. */
  readonly command: string;
  readonly kind: TableItemKind;
  /** Attributes of the written item (PutCommand), to see e.g. which tenant a state write is for. */
  readonly item: Readonly<Record<string, unknown>> | undefined;
}

function kindOfSortKey(sortKey: unknown): TableItemKind {
  if (sortKey === TENANT_STATE_SORT_KEY) return 'tenant-state';
  if (sortKey === INCIDENT_SORT_KEY) return 'incident';
  if (sortKey === OPEN_INCIDENT_SORT_KEY) return 'open-incident-pointer';
  if (typeof sortKey === 'string' && sortKey.startsWith(HISTORY_SORT_PREFIX)) return 'history';
  return 'other';
}

const COMMAND_NAMES: readonly [string, new (...args: never[]) => object][] = [
  ['PutCommand', PutCommand],
  ['GetCommand', GetCommand],
  ['BatchGetCommand', BatchGetCommand],
];

function describeDocumentCommand(command: unknown): DocumentCommandInfo {
  const name = COMMAND_NAMES.find(([, type]) => command instanceof type)?.[0] ?? 'other';
  const input = (command as { input?: Record<string, unknown> }).input ?? {};
  const item = input.Item as Record<string, unknown> | undefined;
  const key = (input.Key as Record<string, unknown> | undefined) ?? item;
  if (key !== undefined) return { command: name, kind: kindOfSortKey(key[TABLE_SORT_KEY]), item };
  // BatchGet: every key of the tick's read is a tenant state.
  const requestItems = input.RequestItems as Record<string, { Keys?: Record<string, unknown>[] }> | undefined;
  const firstKey = requestItems === undefined ? undefined : Object.values(requestItems)[0]?.Keys?.[0];
  return { command: name, kind: firstKey === undefined ? 'other' : kindOfSortKey(firstKey[TABLE_SORT_KEY]), item };
}

/** Sees every command before DynamoDB does; `send()` sends it. */
export type DocumentInterceptor = (info: DocumentCommandInfo, send: () => Promise<unknown>) => Promise<unknown>;

/**
 * The document client with `intercept` in front of `send`, i.e. after the SDK's own retries: a fault injected here
 * is what the adapter sees once the SDK has given up.
 */
export function interceptDocumentClient(doc: DynamoDBDocumentClient, intercept: DocumentInterceptor): DynamoDBDocumentClient {
  return new Proxy(doc, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return (command: Parameters<DynamoDBDocumentClient['send']>[0]) =>
        intercept(describeDocumentCommand(command), () => target.send(command));
    },
  });
}

// ---------------------------------------------------------------------------------------------------------
// Step Functions and SNS: SDK clients answered by aws-sdk-client-mock
// ---------------------------------------------------------------------------------------------------------

/**
 * Step Functions' StartExecution as a Standard workflow answers it: a name starts one execution for good; the same
 * name with the same input returns that execution, with other input it is `ExecutionAlreadyExists`.
 */
export class FakeStepFunctions {
  /** Executions started, by name. */
  readonly executions = new Map<string, IncidentWorkflowInput>();
  /** Every StartExecution call's name, in order, failed ones included. */
  readonly attempts: string[] = [];
  private readonly failures: Error[] = [];
  private lostAnswers = 0;

  /** The next StartExecution calls throw these, one each, and start nothing. */
  failNextStarts(...errors: Error[]): void {
    this.failures.push(...errors);
  }

  /** The next `count` calls start their execution but the answer never arrives: the caller sees a TimeoutError. */
  loseNextAnswers(count: number): void {
    this.lostAnswers += count;
  }

  reset(): void {
    this.executions.clear();
    this.attempts.length = 0;
    this.failures.length = 0;
    this.lostAnswers = 0;
  }

  startExecution(input: StartExecutionCommandInput): StartExecutionCommandOutput {
    const name = input.name ?? '';
    this.attempts.push(name);
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const answer = this.answer(input, name);
    if (this.lostAnswers > 0) {
      this.lostAnswers -= 1;
      throw awsErrors.clientTimeout();
    }
    return answer;
  }

  private answer(input: StartExecutionCommandInput, name: string): StartExecutionCommandOutput {
    // The service's own rule; SfnWorkflowStarter checks it before calling, so this never fires for a good adapter.
    if (!EXECUTION_NAME_PATTERN.test(name)) {
      throw new SFNServiceException({ name: 'InvalidName', message: `Invalid Name: '${name}'`, $fault: 'client', $metadata: { httpStatusCode: 400 } });
    }
    const executionArn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(name);
    if (existing !== undefined && JSON.stringify(existing) !== input.input) {
      throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${executionArn}'`, $metadata: { httpStatusCode: 400 } });
    }
    if (existing === undefined) this.executions.set(name, JSON.parse(input.input ?? '{}') as IncidentWorkflowInput);
    return { executionArn, startDate: new Date(T0), $metadata: { httpStatusCode: 200 } };
  }
}

/** SNS Publish: records what was published, or throws the scripted failures first. */
export class FakeSns {
  readonly published: PublishCommandInput[] = [];
  attempts = 0;
  private failures: (() => Error)[] = [];
  private failAlways: (() => Error) | null = null;

  failNextPublishes(...errors: (() => Error)[]): void {
    this.failures.push(...errors);
  }

  failEveryPublish(error: (() => Error) | null): void {
    this.failAlways = error;
  }

  reset(): void {
    this.published.length = 0;
    this.attempts = 0;
    this.failures = [];
    this.failAlways = null;
  }

  publish(input: PublishCommandInput): { MessageId: string } {
    this.attempts += 1;
    const failure = this.failures.shift() ?? this.failAlways;
    if (failure !== null && failure !== undefined) throw failure();
    this.published.push(input);
    return { MessageId: `message-${this.published.length}` };
  }
}

/** Mocks the SFN and SNS clients for the file (aws-sdk-client-mock) and routes their calls to the fakes. */
function useFakeServices(): { readonly sfn: FakeStepFunctions; readonly sns: FakeSns } {
  const sfn = new FakeStepFunctions();
  const sns = new FakeSns();
  const sfnMock = mockClient(SFNClient);
  const snsMock = mockClient(SNSClient);
  beforeEach(() => {
    sfn.reset();
    sns.reset();
    sfnMock.reset();
    snsMock.reset();
    sfnMock.on(StartExecutionCommand).callsFake((input: StartExecutionCommandInput) => sfn.startExecution(input));
    snsMock.on(PublishCommand).callsFake((input: PublishCommandInput) => sns.publish(input));
  });
  afterAll(() => {
    sfnMock.restore();
    snsMock.restore();
  });
  return { sfn, sns };
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

// ---------------------------------------------------------------------------------------------------------
// The rig
// ---------------------------------------------------------------------------------------------------------

export interface RigOptions {
  readonly tenants: readonly string[];
  readonly errorRate?: ErrorRate;
  /** @default checkoutSlo() */
  readonly slo?: SloDefinition;
  /** Hours of traffic before T0 (four more follow it). @default 96, so the 3d window and the period have data */
  readonly historyHours?: number;
  readonly cloudWatch?: CloudWatchInterceptor;
  readonly dynamo?: DocumentInterceptor;
  /** Wire the SNS notifier (retries without waiting). @default false */
  readonly alerts?: boolean;
}

export interface Rig {
  readonly cw: LocalCloudWatch;
  readonly table: TestTable;
  readonly store: DynamoStateStore;
  readonly sfn: FakeStepFunctions;
  readonly sns: FakeSns;
  readonly log: RecordingLog;
  readonly config: RuntimeConfig;
  /** Waits the CloudWatch adapter asked for between retries. */
  readonly retryWaits: number[];
  readonly transitions: TransitionEvent[];
  /** Each tick's evaluations, latest tick last. */
  readonly evaluated: (readonly TenantEvaluation[])[];
  /** One tick at `now` through the use case. */
  tick(now: number): Promise<TickReport>;
  /** One tick at `now` with its own warm-container cache, as an overlapping invocation in a second container would run. */
  tickInOtherContainer(now: number): Promise<TickReport>;
  /** One tick every minute in [from, to]; returns the reports. */
  tickEveryMinute(from: number, to: number): Promise<TickReport[]>;
  /** One invocation through the handler's core (tick time, report, failing on what must be alarmed). */
  invoke(event: unknown, clockNow: number, options?: RunTickOptions): Promise<TickReport>;
  /** Same as `invoke` with its own warm-container cache, as a second container would have. */
  invokeInOtherContainer(event: unknown, clockNow: number): Promise<TickReport>;
  states(tenants?: readonly string[]): Promise<Map<string, TenantAlertState>>;
  /** Every incident in the table. */
  incidents(): Promise<Incident[]>;
  /** The latest evaluation of a tenant. */
  evaluation(tenant: string): TenantEvaluation | undefined;
}

/** For a test file: dynalite for the file, fake SFN and SNS clients reset before each test, and a rig factory. */
export function useFaultRig(prefix: string): { rig(options: RigOptions): Promise<Rig> } {
  const dynamo = useLocalDynamo(prefix);
  const { sfn, sns } = useFakeServices();
  return {
    rig: async (options) => {
      const slo = options.slo ?? checkoutSlo();
      const config = runtimeConfig(slo);
      const cw = new LocalCloudWatch({ clock: () => T0 });
      const historyHours = options.historyHours ?? 96;
      loadTraffic(cw, slo, options.tenants, T0 - historyHours * HOUR_MS, (historyHours + 4) * 60, options.errorRate ?? healthy);
      const table = await dynamo.freshTable();
      const doc = options.dynamo ? interceptDocumentClient(table.doc, options.dynamo) : table.doc;
      const store = new DynamoStateStore(doc, table.name, { sleep: async () => undefined });
      const log = new RecordingLog();
      const retryWaits: number[] = [];
      const client = options.cloudWatch ? interceptedCloudWatchClient(cw, options.cloudWatch) : cw.client();
      const metrics = new CloudWatchMetricSource(client, {
        maxConcurrentRequests: config.evaluator.maxConcurrentRequests,
        sleep: async (ms) => void retryWaits.push(ms),
        logger: log,
      });
      const transitions: TransitionEvent[] = [];
      const evaluated: (readonly TenantEvaluation[])[] = [];
      const region = { region: 'eu-west-1', credentials: LOCAL_CREDENTIALS };
      const deps: EvaluatorDeps = {
        metrics,
        store,
        workflow: new SfnWorkflowStarter(new SFNClient(region), STATE_MACHINE_ARN),
        log,
        ...(options.alerts ? { notifier: new SnsNotifier(new SNSClient(region), { topicArn: ALERT_TOPIC_ARN, sleep: async () => undefined }) } : {}),
        onTransition: (event) => transitions.push(event),
        onEvaluated: (_slo, evaluations) => evaluated.push(evaluations),
      };
      const cache = newEvaluatorCache();
      const otherCache = newEvaluatorCache();
      const rig: Rig = {
        cw,
        table,
        store,
        sfn,
        sns,
        log,
        config,
        retryWaits,
        transitions,
        evaluated,
        tick: (now) => evaluateTick(config, deps, cache, now),
        tickInOtherContainer: (now) => evaluateTick(config, deps, otherCache, now),
        tickEveryMinute: async (from, to) => {
          const reports: TickReport[] = [];
          for (let now = from; now <= to; now += MINUTE_MS) reports.push(await evaluateTick(config, deps, cache, now));
          return reports;
        },
        invoke: (event, clockNow, runOptions) => runEvaluatorTick(event, clockNow, { config, deps }, cache, runOptions),
        invokeInOtherContainer: (event, clockNow) => runEvaluatorTick(event, clockNow, { config, deps }, otherCache),
        states: async (tenants) => (await store.getTenantStates(slo.name, tenants ?? options.tenants)).states,
        incidents: async () => {
          const scan = await table.doc.send(
            new ScanCommand({ TableName: table.name, FilterExpression: '#sk = :sk', ExpressionAttributeNames: { '#sk': TABLE_SORT_KEY }, ExpressionAttributeValues: { ':sk': INCIDENT_SORT_KEY } }),
          );
          const ids = (scan.Items ?? []).map((item) => String(item.id));
          const incidents = await Promise.all(ids.map((id) => store.getIncident(id)));
          return incidents.filter((incident): incident is Incident => incident !== null);
        },
        evaluation: (tenant) => evaluated.at(-1)?.find((evaluation) => evaluation.tenant === tenant),
      };
      return rig;
    },
  };
}

/** An EventBridge scheduled event for the tick at `at`. */
export function scheduledEvent(at: number): Record<string, unknown> {
  return {
    version: '0',
    id: `tick-${at}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date(at).toISOString().replace(/\.000Z$/, 'Z'),
    region: 'eu-west-1',
    resources: ['arn:aws:events:eu-west-1:123456789012:rule/burnwatch-evaluator-tick'],
    detail: {},
  };
}

// ---------------------------------------------------------------------------------------------------------
// PagerDuty and SQS
// ---------------------------------------------------------------------------------------------------------

/** PagerDuty's Events API on 127.0.0.1: answers each request with the scripted status (the last one repeats). */
export class FakePagerDuty {
  readonly received: unknown[] = [];
  private statuses: number[] = [202];
  private server: Server | null = null;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/v2/enqueue`;
  }

  answerWith(...statuses: number[]): void {
    this.statuses = statuses;
  }

  /** Starts listening, on the same port as before when restarted, so a "down" endpoint can come back. */
  async start(): Promise<void> {
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
        const status = this.statuses.length > 1 ? (this.statuses.shift() ?? 202) : (this.statuses[0] ?? 202);
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(status === 202 ? { status: 'success' } : { status: 'error', message: `status ${status}` }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Stops listening: requests are refused (ECONNREFUSED) until `start()` again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    await new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  }
}

/** The SQS record a queue subscribed to the alert topic receives for one publish (raw message delivery off). */
export function sqsRecordFromPublish(publish: PublishCommandInput, messageId: string): SQSRecord {
  // MessageStructure json: SNS delivers the `sqs` body of the message to SQS subscribers.
  const bodies = JSON.parse(publish.Message ?? '{}') as Record<string, string>;
  const envelope = {
    Type: 'Notification',
    MessageId: `sns-${messageId}`,
    TopicArn: publish.TopicArn,
    Subject: publish.Subject,
    Message: bodies.sqs ?? bodies.default,
    Timestamp: new Date(T0).toISOString(),
  };
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body: JSON.stringify(envelope),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(T0),
      SenderId: 'sns',
      ApproximateFirstReceiveTimestamp: String(T0),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:burnwatch-pagerduty',
    awsRegion: 'eu-west-1',
  };
}

export interface RedriveOutcome {
  /** Receives of the batch, one subscriber invocation each. */
  readonly receives: number;
  readonly delivered: readonly string[];
  /** Message ids moved to the dead-letter queue after their last receive failed. */
  readonly deadLettered: readonly string[];
}

/**
 * SQS with a redrive policy, as the subscriber sees it: messages reported in `batchItemFailures` are received again
 * until they have been received `maxReceiveCount` times, then moved to the dead-letter queue. `beforeReceive` runs
 * before each receive (1-based), e.g. to bring the endpoint back.
 */
export async function receiveWithRedrive(
  subscriber: (event: SQSEvent) => Promise<SQSBatchResponse>,
  records: readonly SQSRecord[],
  maxReceiveCount: number,
  beforeReceive: (receive: number) => Promise<void> = async () => undefined,
): Promise<RedriveOutcome> {
  let inFlight = [...records];
  const delivered: string[] = [];
  let receives = 0;
  while (inFlight.length > 0 && receives < maxReceiveCount) {
    receives += 1;
    await beforeReceive(receives);
    const count = String(receives);
    const batch = inFlight.map((record) => ({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: count } }));
    const response = await subscriber({ Records: batch });
    const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    delivered.push(...inFlight.filter((record) => !failed.has(record.messageId)).map((record) => record.messageId));
    inFlight = inFlight.filter((record) => failed.has(record.messageId));
  }
  return { receives, delivered, deadLettered: inFlight.map((record) => record.messageId) };
}
