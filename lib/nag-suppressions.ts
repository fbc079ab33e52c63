/**
 * Every cdk-nag acknowledgement of Burnwatch, each on the construct it concerns, narrowed to the one finding
 * (`Rule[Finding]`, cdk-nag 3's form of `appliesTo`) and given its reason. Anything not listed here fails the synth.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { BurnwatchStack } from './burnwatch-stack';
import type { IncidentWorkflow } from './constructs/incident-workflow';
import { FUNCTION_RUNTIME } from './constructs/lambda-function';
import { REPORT_PREFIX } from '../lambda/usecases/monthly-report';

const XRAY_WILDCARD =
  'X-Ray tracing (Tracing.ACTIVE / tracingEnabled) adds xray:PutTraceSegments and xray:PutTelemetryRecords, which AWS ' +
  'supports only on Resource "*".';

const STATE_MACHINE_LOG_DELIVERY =
  'Step Functions delivers execution logs through CloudWatch Logs log delivery (logs:CreateLogDelivery and related ' +
  'actions), which supports only Resource "*". ' +
  XRAY_WILDCARD;

/** The key grants CDK emits for a customer-managed table key: wildcards over KMS actions, on the one key ARN. */
function acknowledgeTableKeyGrant(scope: IConstruct, grantedBy: string): void {
  const reason =
    `${grantedBy} grants use of the customer-managed table key (resource: that one key's ARN). DynamoDB needs the ` +
    'GenerateDataKey and ReEncrypt variants to read and write items encrypted with a customer-managed key.';
  Validations.of(scope).acknowledge(
    { id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', reason },
    { id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]', reason },
  );
}

export function applyBurnwatchNagSuppressions(stack: BurnwatchStack): void {
  const evaluatorRole = stack.evaluator.function.role;
  if (evaluatorRole) {
    Validations.of(evaluatorRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:GetMetricData and cloudwatch:ListMetrics have no resource-level permissions (Resource must be "*"). ' +
        XRAY_WILDCARD,
    });
    acknowledgeTableKeyGrant(evaluatorRole, 'table.grantReadWriteData');
  }

  acknowledgeIncidentWorkflow(stack.incidentWorkflow);
  acknowledgeEvaluatorFanout(stack);
  acknowledgeMonthlyReport(stack);

  const pagerDutyRole = stack.alerts.pagerDutyFunction?.role;
  if (pagerDutyRole) {
    Validations.of(pagerDutyRole).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: `The PagerDuty subscriber reads only its routing-key secret and its queue. ${XRAY_WILDCARD}` });
  }

  // Every function made by the factory runs the one pinned runtime.
  for (const construct of stack.node.findAll()) {
    if (construct instanceof LambdaFunction && construct.runtime === FUNCTION_RUNTIME) {
      Validations.of(construct).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          `${FUNCTION_RUNTIME.name} is pinned on purpose: bundles target it and the suite runs on that Node line. ` +
          'Moving to a newer runtime is a deliberate, tested change of FUNCTION_RUNTIME in lib/constructs/lambda-function.ts.',
      });
    }
  }
}

/** The sharded evaluator's state machine (only when `evaluator.shards` is above 1): log delivery and its one function. */
function acknowledgeEvaluatorFanout(stack: BurnwatchStack): void {
  const fanout = stack.evaluator.fanout;
  if (fanout === undefined) return;
  const role = fanout.stateMachine.role;
  const fn = stack.evaluator.function;
  const logicalId = Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement);
  Validations.of(role).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        STATE_MACHINE_LOG_DELIVERY,
    },
    {
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
      reason: 'The EvaluateShard task\'s lambda:InvokeFunction grant (from LambdaInvoke) covers the evaluator\'s versions and aliases, of this one function only.',
    },
  );
}

function acknowledgeMonthlyReport(stack: BurnwatchStack): void {
  const role = stack.monthlyReport?.function.role;
  if (role === undefined) return;
  Validations.of(role).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `cloudwatch:GetMetricData has no resource-level permissions (Resource must be "*"). ${XRAY_WILDCARD}`,
    },
    {
      id: `AwsSolutions-IAM5[Resource::${findingText(role, stack.incidentWorkflow.forensicBucket.bucketArn)}/${REPORT_PREFIX}*]`,
      reason: 's3:PutObject on the report prefix only: one object per month and format under reports/YYYY-MM/.',
    },
    {
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'topic.grantPublish on the KMS-encrypted alert topic: SNS needs a data key of that one key to publish the announcement.',
    },
  );
}

/** How cdk-nag names a resolved value in a finding: literal text kept, `{ Ref }` as `<Ref>`, `{ Fn::GetAtt }` as `<Id.Attr>`. */
function findingText(scope: IConstruct, value: string): string {
  const render = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const token = part as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
    if (token.Ref !== undefined) return `<${token.Ref}>`;
    if (token['Fn::GetAtt'] !== undefined) return `<${token['Fn::GetAtt'].join('.')}>`;
    if (token['Fn::Join'] !== undefined) return token['Fn::Join'][1].map(render).join(token['Fn::Join'][0]);
    return JSON.stringify(part);
  };
  return render(Stack.of(scope).resolve(value));
}

const WORKFLOW_READS_WITHOUT_RESOURCES: Readonly<Record<keyof IncidentWorkflow['functions'], string>> = {
  collect:
    'The collectors read autoscaling:DescribeAutoScalingGroups, autoscaling:DescribeScalingActivities, rds:DescribeEvents and ' +
    'cloudwatch:GetMetricData, none of which supports resource-level permissions (Resource must be "*"); CodeDeploy reads are ' +
    'scoped to the mapped deployment groups. When an SLO configures traces, xray:GetTraceSummaries and xray:GetServiceGraph ' +
    'are granted, which support no resource-level permissions either; when it configures logs, logs:GetQueryResults and ' +
    'logs:StopQuery (they name a query id, not a log group: Resource must be "*") while logs:StartQuery is scoped to the ' +
    'configured log groups. ',
  analyse: 'cloudwatch:ListMetrics (tenant discovery) supports no resource-level permissions (Resource must be "*"). ',
  notify: '',
  requestApproval: '',
  act:
    'autoscaling:DescribeAutoScalingGroups (re-reading a group before scaling it) supports no resource-level permissions; ' +
    'the mutating UpdateAutoScalingGroup and StopDeployment are scoped to the allowlisted groups. ',
  validate: 'cloudwatch:GetMetricData (re-sampling the burn) supports no resource-level permissions (Resource must be "*"). ',
  record: '',
  recordFailure: '',
};

/** The incident workflow: its state machine role, one role per step function, and the forensic bucket. */
function acknowledgeIncidentWorkflow(workflow: IncidentWorkflow): void {
  const stateMachineRole = workflow.stateMachine.role;
  Validations.of(stateMachineRole).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      STATE_MACHINE_LOG_DELIVERY,
  });
  for (const [step, fn] of Object.entries(workflow.functions) as [keyof IncidentWorkflow['functions'], LambdaFunction][]) {
    const logicalId = Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement);
    Validations.of(stateMachineRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
      reason: `The ${step} task's lambda:InvokeFunction grant (from LambdaInvoke) covers the function's versions and aliases, of this one function only.`,
    });
    const role = fn.role;
    if (role === undefined) continue;
    Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: WORKFLOW_READS_WITHOUT_RESOURCES[step] + XRAY_WILDCARD });
    if (step !== 'collect') acknowledgeTableKeyGrant(role, 'table.grantReadWriteData');
  }
  for (const fn of [workflow.functions.record, workflow.functions.recordFailure]) {
    if (fn.role === undefined) continue;
    const reason = 'bucket.grantPut on the forensic bucket: s3:Abort* lets a failed multipart upload be cleaned up; objects are the bucket\'s keys only.';
    Validations.of(fn.role).acknowledge(
      { id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason },
      { id: `AwsSolutions-IAM5[Resource::${findingText(fn, workflow.forensicBucket.bucketArn)}/*]`, reason },
    );
  }
  const collectRole = workflow.functions.collect.role;
  if (collectRole !== undefined) {
    for (const arn of workflow.queriedLogGroupArns) {
      Validations.of(collectRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${findingText(collectRole, arn)}:*]`,
        reason:
          'logs:StartQuery on one configured log group: CloudWatch Logs gives a log group\'s ARN with a trailing ":*" (its ' +
          'streams), so the wildcard covers that one group\'s streams only, never another group.',
      });
    }
  }
  const actRole = workflow.functions.act.role;
  if (actRole !== undefined) {
    for (const arn of workflow.scaleOutGroupArns) {
      Validations.of(actRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${findingText(actRole, arn)}]`,
        reason:
          'An Auto Scaling group ARN holds an id generated when the group is created; the wildcard stands for that id only, ' +
          'and the group name that follows pins the one allowlisted group.',
      });
    }
  }
  Validations.of(workflow.forensicBucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'Only the workflow\'s Record and RecordFailure roles may write bundles (IAM), the bucket denies non-TLS requests and blocks ' +
      'public access, and versioning keeps every overwritten bundle. Object-level access is auditable with CloudTrail S3 data ' +
      'events; a server access log bucket would add a second bucket with the same finding.',
  });
}
