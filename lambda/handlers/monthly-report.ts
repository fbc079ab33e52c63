/**
 * The monthly report Lambda: run by EventBridge on the first of each month, it reports the previous month (or the
 * `month` a manual invocation names, `{ "month": "2026-03" }`) for every SLO the stack runs, writes the files to the
 * forensic bucket under `reports/YYYY-MM/` and announces them on the alert topic.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { CloudWatchMetricSource } from '../adapters/cloudwatch-metric-source';
import { createLogger } from '../adapters/powertools-log';
import { DynamoReportSource, S3ReportStore, SnsReportAnnouncer } from '../adapters/report-source';
import { ALERT_ENVIRONMENT } from '../domain/alert-message';
import { DomainInputError } from '../domain/burn';
import type { RuntimeConfig } from '../domain/model';
import { previousMonth, reportMonth } from '../domain/report';
import type { ReportMonth } from '../domain/report';
import { runMonthlyReport } from '../usecases/monthly-report';
import type { MonthlyReportDeps, MonthlyReportResult } from '../usecases/monthly-report';
import { loadBundledRuntimeConfig, requireEnv } from './runtime-config';

/** Names of the variables this handler reads (besides the alert topic's and the bundled config's). */
export const MONTHLY_REPORT_ENVIRONMENT = {
  configFile: 'BURNWATCH_CONFIG_FILE',
  tableName: 'STATE_TABLE_NAME',
  bucket: 'REPORT_BUCKET',
  kmsKeyId: 'REPORT_KMS_KEY_ID',
} as const;

export class InvalidReportEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidReportEventError';
  }
}

/** The month to report: the event's `month`, else the month before the event's `time` (or the clock). */
export function reportMonthOf(event: unknown, clockNow: number): ReportMonth {
  if (event === undefined || event === null) return previousMonth(clockNow);
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new InvalidReportEventError(`event: must be an EventBridge scheduled event or { "month": "YYYY-MM" }, got ${JSON.stringify(event)?.slice(0, 200)}`);
  }
  const { month, time } = event as { month?: unknown; time?: unknown };
  if (month !== undefined) {
    try {
      if (typeof month !== 'string') throw new DomainInputError('event.month', 'a calendar month YYYY-MM (UTC), e.g. 2026-03', month);
      return reportMonth(month, 'event.month');
    } catch (error) {
      if (error instanceof DomainInputError) throw new InvalidReportEventError(error.message);
      throw error;
    }
  }
  if (time === undefined) return previousMonth(clockNow);
  const at = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  if (!Number.isFinite(at)) throw new InvalidReportEventError(`event.time: must be an ISO-8601 timestamp, got ${JSON.stringify(time)?.slice(0, 200)}`);
  return previousMonth(at);
}

const { logger, log } = createLogger('burnwatch-monthly-report');
let wiring: { readonly config: RuntimeConfig; readonly deps: MonthlyReportDeps } | undefined;

function wire(): NonNullable<typeof wiring> {
  if (wiring) return wiring;
  const config = loadBundledRuntimeConfig(process.env, __dirname);
  const env = MONTHLY_REPORT_ENVIRONMENT;
  const kmsKeyId = process.env[env.kmsKeyId];
  wiring = {
    config,
    deps: {
      metrics: new CloudWatchMetricSource(new CloudWatchClient({ maxAttempts: 1 }), { maxConcurrentRequests: config.evaluator.maxConcurrentRequests, logger: log }),
      source: new DynamoReportSource(DynamoDBDocumentClient.from(new DynamoDBClient({})), requireEnv(process.env, env.tableName)),
      store: new S3ReportStore(new S3Client({}), requireEnv(process.env, env.bucket), kmsKeyId === '' ? undefined : kmsKeyId),
      announcer: new SnsReportAnnouncer(new SNSClient({}), requireEnv(process.env, ALERT_ENVIRONMENT.topicArn)),
      log,
    },
  };
  return wiring;
}

export const handler = async (event: unknown, context?: Pick<Context, 'awsRequestId'>): Promise<MonthlyReportResult> => {
  logger.resetKeys();
  logger.appendKeys({ requestId: context?.awsRequestId ?? 'local' });
  const now = Date.now();
  const month = reportMonthOf(event, now);
  logger.appendKeys({ month: month.label });
  const { config, deps } = wire();
  return runMonthlyReport(config.slos, deps, now, month);
};
