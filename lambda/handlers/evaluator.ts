/**
 * The evaluator Lambda: invoked every minute by EventBridge. Parses the schedule event, builds the adapters once
 * per container, runs one tick and prints the Embedded Metric Format documents.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { CloudWatchMetricSource } from '../adapters/cloudwatch-metric-source';
import { DynamoStateStore } from '../adapters/dynamo-state-store';
import { SfnWorkflowStarter } from '../adapters/sfn-workflow-starter';
import { createLogger } from '../adapters/powertools-log';
import { evaluateTick, newEvaluatorCache } from '../usecases/evaluate-tick';
import type { EvaluatorDeps, TickReport } from '../usecases/evaluate-tick';
import type { RuntimeConfig } from '../domain/model';
import { loadBundledRuntimeConfig, requireEnv } from './runtime-config';

export class InvalidScheduleEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidScheduleEventError';
  }
}

/** Raised after a tick in which some SLO could not be evaluated, so the Errors alarm sees it. */
export class EvaluatorTickError extends Error {
  constructor(readonly skipped: readonly { readonly slo: string; readonly reason: string }[]) {
    super(`Evaluator skipped ${skipped.length} SLO(s): ${skipped.map((s) => `${s.slo} (${s.reason})`).join('; ')}`);
    this.name = 'EvaluatorTickError';
  }
}

/** A tick more than this late is evaluated as of the clock, not of its schedule time. */
const MAX_TICK_LAG_MS = 2 * 60_000;

/**
 * The instant a tick evaluates. The schedule's `time` keeps two deliveries of one tick identical (same incident ids);
 * a late or manual invocation uses the clock so stale data is never alerted on as if it were current.
 */
export function tickTime(event: unknown, clockNow: number): { now: number; late: boolean } {
  if (event === undefined || event === null) return { now: clockNow, late: false };
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new InvalidScheduleEventError(`event: must be an EventBridge scheduled event object or {}, got ${JSON.stringify(event)?.slice(0, 200)}`);
  }
  const time = (event as { time?: unknown }).time;
  if (time === undefined) return { now: clockNow, late: false };
  const parsed = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  if (!Number.isFinite(parsed)) {
    throw new InvalidScheduleEventError(`event.time: must be an ISO-8601 timestamp, got ${JSON.stringify(time)?.slice(0, 200)}`);
  }
  if (Math.abs(clockNow - parsed) > MAX_TICK_LAG_MS) return { now: clockNow, late: true };
  return { now: parsed, late: false };
}

const { logger, log } = createLogger('burnwatch-evaluator');
const cache = newEvaluatorCache();
let wiring: { config: RuntimeConfig; deps: EvaluatorDeps } | undefined;

function wire(): { config: RuntimeConfig; deps: EvaluatorDeps } {
  if (wiring) return wiring;
  const config = loadBundledRuntimeConfig(process.env, __dirname);
  const tableName = requireEnv(process.env, 'STATE_TABLE_NAME');
  const workflowArn = requireEnv(process.env, 'WORKFLOW_ARN');
  const cloudwatch = new CloudWatchClient({ maxAttempts: 1 }); // the metric source does its own backoff
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  wiring = {
    config,
    deps: {
      metrics: new CloudWatchMetricSource(cloudwatch, { maxConcurrentRequests: config.evaluator.maxConcurrentRequests }),
      store: new DynamoStateStore(doc, tableName),
      workflow: new SfnWorkflowStarter(new SFNClient({}), workflowArn),
      log,
      emitMetrics: (documents) => {
        for (const document of documents) process.stdout.write(`${JSON.stringify(document)}\n`);
      },
    },
  };
  return wiring;
}

export const handler = async (event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>): Promise<TickReport> => {
  logger.resetKeys();
  const { config, deps } = wire();
  const { now, late } = tickTime(event, Date.now());
  logger.appendKeys({ tickAt: new Date(now).toISOString(), requestId: context?.awsRequestId ?? 'local' });
  if (late) log.warn('Tick delivered late; evaluating as of now', { event: JSON.stringify(event).slice(0, 500) });
  const report = await evaluateTick(config, deps, cache, now, context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {});
  log.info('Tick complete', {
    slos: report.slos.map((s) => ({
      slo: s.slo,
      tenants: s.tenants,
      evaluated: s.evaluated,
      failed: s.failures.length,
      levels: s.levels,
      transitions: s.transitions,
      stateWrites: s.stateWrites,
      incidentsOpened: s.incidentsOpened.length,
      getMetricDataCalls: s.fetch.calls,
      metricsRequested: s.fetch.metricsRequested,
    })),
    skipped: report.skipped,
  });
  // A skipped SLO is an error the operator must see (alarm on Errors), after every other SLO was evaluated.
  if (report.skipped.length > 0) throw new EvaluatorTickError(report.skipped);
  return report;
};
