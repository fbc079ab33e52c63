/**
 * Every cdk-nag acknowledgement of Burnwatch, each on the construct it concerns, narrowed to the one finding
 * (`Rule[Finding]`, cdk-nag 3's form of `appliesTo`) and given its reason. Anything not listed here fails the synth.
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { BurnwatchStack } from './burnwatch-stack';
import { FUNCTION_RUNTIME } from './constructs/lambda-function';

const XRAY_WILDCARD =
  'X-Ray tracing (Tracing.ACTIVE / tracingEnabled) adds xray:PutTraceSegments and xray:PutTelemetryRecords, which AWS ' +
  'supports only on Resource "*".';

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

  const workflowRole = stack.incidentWorkflow.stateMachine.role;
  Validations.of(workflowRole).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Step Functions delivers execution logs through CloudWatch Logs log delivery (logs:CreateLogDelivery and related ' +
      'actions), which supports only Resource "*". ' +
      XRAY_WILDCARD,
  });
  acknowledgeTableKeyGrant(workflowRole, 'The RecordWorkflowStarted UpdateItem task');

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
