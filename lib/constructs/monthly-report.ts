/**
 * The monthly report: a function run on the first of each month (schedule configurable) that reports the previous
 * month per tenant and SLO, writes JSON, HTML and CSV to the forensic bucket under `reports/YYYY-MM/` and announces
 * them on the alert topic. It reads the state table and CloudWatch, writes only under `reports/` and changes nothing
 * else.
 */
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ALERT_ENVIRONMENT } from '../../lambda/domain/alert-message';
import type { RuntimeConfig } from '../../lambda/domain/model';
import { MONTHLY_REPORT_ENVIRONMENT } from '../../lambda/handlers/monthly-report';
import { RUNTIME_CONFIG_FILE } from '../../lambda/handlers/runtime-config';
import { REPORT_PREFIX } from '../../lambda/usecases/monthly-report';
import type { NormalizedReportsConfig } from '../config/reports';
import { createBurnwatchFunction } from './lambda-function';

export const MONTHLY_REPORT_ENTRY = join(__dirname, '..', '..', 'lambda', 'handlers', 'monthly-report.ts');

/** The alert topic and how to become one of its publishers (AlertChannels satisfies it). */
export interface ReportAlerts {
  readonly topic: ITopic;
  grantPublish(grantee: IGrantable): void;
}

export interface MonthlyReportProps {
  /** The SLOs the stack runs, bundled as `burnwatch-config.json` like the evaluator's. */
  readonly runtimeConfig: RuntimeConfig;
  readonly settings: NormalizedReportsConfig;
  readonly table: ITable;
  /** Where the reports go (the forensic bucket); only `reports/*` is writable. */
  readonly bucket: IBucket;
  readonly alerts: ReportAlerts;
  /**
   * Customer-managed key for the function's log group; its key policy must allow CloudWatch Logs.
   * @default - encrypted with a key owned by CloudWatch Logs
   */
  readonly logEncryptionKey?: IKey;
}

export class MonthlyReport extends Construct {
  readonly function: NodejsFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: MonthlyReportProps) {
    super(scope, id);
    const { settings, bucket } = props;
    const bucketKey = bucket.encryptionKey;
    this.function = createBurnwatchFunction(this, 'Function', {
      entry: MONTHLY_REPORT_ENTRY,
      description: 'Burnwatch monthly report: per-tenant SLO attainment, budget and incidents of the previous month',
      serviceName: 'burnwatch-monthly-report',
      timeout: Duration.seconds(settings.timeoutSeconds),
      logEncryptionKey: props.logEncryptionKey,
      files: { [RUNTIME_CONFIG_FILE]: JSON.stringify(props.runtimeConfig) },
      environment: {
        [MONTHLY_REPORT_ENVIRONMENT.configFile]: RUNTIME_CONFIG_FILE,
        [MONTHLY_REPORT_ENVIRONMENT.tableName]: props.table.tableName,
        [MONTHLY_REPORT_ENVIRONMENT.bucket]: bucket.bucketName,
        // SSE-KMS without a key id would use the aws/s3 key, not the bucket's.
        ...(bucketKey === undefined ? {} : { [MONTHLY_REPORT_ENVIRONMENT.kmsKeyId]: bucketKey.keyArn }),
        [ALERT_ENVIRONMENT.topicArn]: props.alerts.topic.topicArn,
      },
    });
    this.schedule = new Rule(this, 'Schedule', {
      description: 'Burnwatch monthly report of the previous month',
      schedule: Schedule.expression(settings.schedule),
    });
    this.schedule.addTarget(new LambdaFunction(this.function));

    // CloudWatch supports no resource-level permissions for GetMetricData: `*` is the only resource.
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    props.table.grantReadData(this.function);
    // Put only, only under reports/: the forensic bundles stay out of reach.
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`${REPORT_PREFIX}*`)] }));
    if (bucketKey !== undefined) this.function.addToRolePolicy(new PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [bucketKey.keyArn] }));
    props.alerts.grantPublish(this.function);
  }
}
