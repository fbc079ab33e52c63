/**
 * The incident workflow's Lambda entry points, one per Step Functions task. Each parses its payload at the
 * boundary, calls one use case with the ports it needs, and returns the result the definition puts back into the
 * execution state. Adapters are built once per container, on first use, from the environment the construct sets
 * (a function only builds what its own step needs, so it only needs that step's variables).
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { XRayClient } from '@aws-sdk/client-xray';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AsgScaleOutAction } from '../adapters/actions/asg-scale-out';
import { CodeDeployRollbackAction } from '../adapters/actions/codedeploy-rollback';
import { CloudWatchMetricSource } from '../adapters/cloudwatch-metric-source';
import { AutoScalingCollector } from '../adapters/collectors/autoscaling';
import { CodeDeployCollector } from '../adapters/collectors/codedeploy';
import { LambdaColdStartCollector } from '../adapters/collectors/lambda-cold-starts';
import { LoadCollector } from '../adapters/collectors/load';
import { LogsInsightsCollector } from '../adapters/collectors/logs-insights';
import { RdsCollector } from '../adapters/collectors/rds';
import { XRayCollector } from '../adapters/collectors/xray';
import { DynamoGuardStore } from '../adapters/dynamo-guard-store';
import { DynamoStateStore } from '../adapters/dynamo-state-store';
import { ForensicStore } from '../adapters/forensics-s3';
import { createLogger } from '../adapters/powertools-log';
import { SnsNotifier, snsNotifierOptionsFromEnvironment } from '../adapters/sns-notifier';
import type { RuntimeConfig } from '../domain/model';
import type { Clock, GuardStore, Log, MetricSource, StateStore } from '../ports';
import { actOnIncident } from '../usecases/workflow/act';
import { analyseIncident } from '../usecases/workflow/analyse';
import { requestApproval } from '../usecases/workflow/approval';
import { collectContext } from '../usecases/workflow/collect';
import type { WorkflowRuntimeConfig } from '../usecases/workflow/config';
import { loadBundledWorkflowConfig, WORKFLOW_ENVIRONMENT } from '../usecases/workflow/config';
import type { NotifyReceipt } from '../usecases/workflow/notify';
import { notifyIncident } from '../usecases/workflow/notify';
import type { ActionRunners, AlertPublisher, Collectors, ForensicWriter } from '../usecases/workflow/ports';
import type { FailureRecord } from '../usecases/workflow/record';
import { recordFailure, recordForensics } from '../usecases/workflow/record';
import type { CollectorOutcome, WorkflowState } from '../usecases/workflow/state';
import {
  parseApprovalPayload,
  parseCollectPayload,
  parseFailedState,
  parseNotifyPayload,
  parseWorkflowState,
} from '../usecases/workflow/state';
import { validateRecovery } from '../usecases/workflow/validate';

export { WORKFLOW_ENVIRONMENT };
import { loadBundledRuntimeConfig, requireEnv } from './runtime-config';

/** Where a handler gets its ports; every getter is called only by the steps that need it. */
export interface WorkflowWiring {
  readonly clock: Clock;
  readonly log: Log;
  /** Sets the per-invocation log keys (incident, step), replacing the previous invocation's. */
  readonly scope?: (keys: Readonly<Record<string, string>>) => void;
  runtime(): RuntimeConfig;
  workflow(): WorkflowRuntimeConfig;
  store(): StateStore;
  guards(): GuardStore;
  metrics(): MetricSource;
  alerts(): AlertPublisher;
  forensics(): ForensicWriter;
  collectors(): Collectors;
  actions(): ActionRunners;
}

export interface WorkflowHandlers {
  collect(event: unknown): Promise<CollectorOutcome>;
  analyse(event: unknown): Promise<WorkflowState>;
  notify(event: unknown): Promise<NotifyReceipt>;
  requestApproval(event: unknown): Promise<NotifyReceipt>;
  act(event: unknown): Promise<WorkflowState>;
  validate(event: unknown): Promise<WorkflowState>;
  record(event: unknown): Promise<WorkflowState>;
  recordFailure(event: unknown): Promise<FailureRecord>;
}

export function workflowHandlers(wiring: WorkflowWiring): WorkflowHandlers {
  const scoped = (step: string, incidentId: string): void => wiring.scope?.({ step, incidentId });
  return {
    async collect(event) {
      const payload = parseCollectPayload(event);
      scoped(`collect-${payload.source}`, payload.input.incidentId);
      // The SLO config is read only by the load source (it counts requests with the SLI's total expression).
      const sloNamed = (name: string) => wiring.runtime().slos.find((slo) => slo.name === name);
      return collectContext(payload.source, payload.input, wiring.workflow(), wiring.collectors(), wiring.clock.now(), sloNamed);
    },
    async analyse(event) {
      const state = parseWorkflowState(event, 'Analyse', { collected: true });
      scoped('analyse', state.input.incidentId);
      const deps = { store: wiring.store(), guards: wiring.guards(), metrics: wiring.metrics(), log: wiring.log };
      return analyseIncident(state, wiring.runtime(), wiring.workflow(), deps, wiring.clock.now());
    },
    async notify(event) {
      const payload = parseNotifyPayload(event);
      scoped(`notify-${payload.reason}`, payload.state.input.incidentId);
      const deps = { store: wiring.store(), alerts: wiring.alerts(), log: wiring.log };
      return notifyIncident(payload.reason, payload.state, wiring.runtime(), deps, wiring.clock.now());
    },
    async requestApproval(event) {
      const payload = parseApprovalPayload(event);
      scoped('request-approval', payload.state.input.incidentId);
      const deps = { store: wiring.store(), alerts: wiring.alerts(), log: wiring.log };
      return requestApproval(payload.taskToken, payload.state, wiring.runtime(), deps, wiring.clock.now());
    },
    async act(event) {
      const state = parseWorkflowState(event, 'Act', { analysis: true });
      scoped('act', state.input.incidentId);
      const deps = { store: wiring.store(), guards: wiring.guards(), actions: wiring.actions(), log: wiring.log };
      return actOnIncident(state, wiring.workflow(), deps, wiring.clock.now());
    },
    async validate(event) {
      const state = parseWorkflowState(event, 'Validate', { analysis: true });
      scoped('validate', state.input.incidentId);
      const deps = { store: wiring.store(), guards: wiring.guards(), metrics: wiring.metrics(), log: wiring.log };
      return validateRecovery(state, wiring.runtime(), wiring.workflow(), deps, wiring.clock.now());
    },
    async record(event) {
      const state = parseWorkflowState(event, 'Record');
      scoped('record', state.input.incidentId);
      return recordForensics(state, { store: wiring.store(), forensics: wiring.forensics(), log: wiring.log }, wiring.clock.now());
    },
    async recordFailure(event) {
      const state = parseFailedState(event);
      scoped('record-failure', state.input.incidentId);
      const deps = { store: wiring.store(), forensics: wiring.forensics(), alerts: wiring.alerts(), log: wiring.log };
      return recordFailure(state, wiring.runtime(), deps, wiring.clock.now());
    },
  };
}

/** Builds `make()` on the first call and returns the same value afterwards (once per container). */
function once<T>(make: () => T): () => T {
  let value: { readonly made: T } | undefined;
  return () => {
    value ??= { made: make() };
    return value.made;
  };
}

/** Publishes to the alert topic and, when configured and not filtered out, to the Chatbot topic. */
export function snsAlertPublisher(notifier: Pick<SnsNotifier, 'publish' | 'publishChatbot'>): AlertPublisher {
  return {
    async publish(event) {
      const sent = await notifier.publish(event);
      await notifier.publishChatbot(event);
      return sent;
    },
  };
}

/** The production wiring: AWS SDK adapters configured from `env`, config files read from `directory`. */
export function wiringFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  directory: string,
  log: Log,
  scope?: WorkflowWiring['scope'],
): WorkflowWiring {
  const doc = once(() => DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }));
  const tableName = once(() => requireEnv(env, WORKFLOW_ENVIRONMENT.tableName));
  // Adapters retry throttling themselves (bounded); the SDK's own retries would multiply with theirs.
  const single = { maxAttempts: 1 };
  return {
    clock: { now: () => Date.now() },
    log,
    ...(scope === undefined ? {} : { scope }),
    runtime: once(() => loadBundledRuntimeConfig(env, directory)),
    workflow: once(() => loadBundledWorkflowConfig(env, directory)),
    store: once(() => new DynamoStateStore(doc(), tableName())),
    guards: once(() => new DynamoGuardStore(doc(), tableName())),
    metrics: once(() => new CloudWatchMetricSource(new CloudWatchClient(single), { logger: log })),
    alerts: once(() => snsAlertPublisher(new SnsNotifier(new SNSClient({}), snsNotifierOptionsFromEnvironment(env)))),
    forensics: once(() => {
      const kmsKeyId = env[WORKFLOW_ENVIRONMENT.forensicKmsKeyId];
      return new ForensicStore(new S3Client({}), {
        bucket: requireEnv(env, WORKFLOW_ENVIRONMENT.forensicBucket),
        region: requireEnv(env, 'AWS_REGION'),
        ...(kmsKeyId === undefined || kmsKeyId === '' ? {} : { kmsKeyId }),
      });
    }),
    collectors: once(() => {
      const cloudwatch = new CloudWatchClient(single);
      // Traces and logs clients are made on the first incident of an SLO that configures them, once per container.
      const xray = once(() => new XRayClient(single));
      const logs = once(() => new CloudWatchLogsClient(single));
      return {
        autoscaling: new AutoScalingCollector(new AutoScalingClient(single)),
        codedeploy: new CodeDeployCollector(new CodeDeployClient(single)),
        rds: new RdsCollector(new RDSClient(single)),
        lambda: new LambdaColdStartCollector(cloudwatch),
        xray: (limits) => new XRayCollector(xray(), { maxTraces: limits.maxTraces }),
        logs: (limits) => new LogsInsightsCollector(logs(), { queryTimeoutSeconds: limits.queryTimeoutSeconds, maxRows: limits.maxRows }),
        load: new LoadCollector(cloudwatch),
      } satisfies Collectors;
    }),
    actions: once(() => ({
      'codedeploy-rollback': new CodeDeployRollbackAction(new CodeDeployClient(single)),
      'asg-scale-out': new AsgScaleOutAction(new AutoScalingClient(single)),
    })),
  };
}

const { logger, log } = createLogger(process.env.POWERTOOLS_SERVICE_NAME ?? 'burnwatch-workflow');
const handlers = workflowHandlers(
  // Once bundled, the config files sit next to the handler's code.
  wiringFromEnvironment(process.env, __dirname, log, (keys) => {
    logger.resetKeys();
    logger.appendKeys(keys);
  }),
);

export const collectHandler = (event: unknown): Promise<CollectorOutcome> => handlers.collect(event);
export const analyseHandler = (event: unknown): Promise<WorkflowState> => handlers.analyse(event);
export const notifyHandler = (event: unknown): Promise<NotifyReceipt> => handlers.notify(event);
export const requestApprovalHandler = (event: unknown): Promise<NotifyReceipt> => handlers.requestApproval(event);
export const actHandler = (event: unknown): Promise<WorkflowState> => handlers.act(event);
export const validateHandler = (event: unknown): Promise<WorkflowState> => handlers.validate(event);
export const recordHandler = (event: unknown): Promise<WorkflowState> => handlers.record(event);
export const recordFailureHandler = (event: unknown): Promise<FailureRecord> => handlers.recordFailure(event);
