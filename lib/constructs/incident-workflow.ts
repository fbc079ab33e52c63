/**
 * The incident workflow (Step Functions, Standard). For now it only records on the incident item that the
 * workflow started; the incident-workflow work replaces the body (collect context, correlate, mitigate,
 * re-sample the burn, forensic bundle).
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, JsonPath, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { DynamoAttributeValue, DynamoUpdateItem } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { INCIDENT_SORT_KEY, KEY_SEPARATOR, TABLE_PARTITION_KEY, TABLE_SORT_KEY } from '../../lambda/domain/keys';

/** DynamoDB errors worth retrying: throttling and server-side faults. A failed condition (no such incident) is not. */
export const DYNAMODB_RETRYABLE_ERRORS: readonly string[] = [
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.ThrottlingException',
  'DynamoDB.RequestLimitExceeded',
  'DynamoDB.InternalServerErrorException',
  'DynamoDB.AmazonDynamoDBException',
];

export interface IncidentWorkflowProps {
  /** The state table holding the incident items. */
  readonly table: ITable;
  /**
   * Customer-managed key for the execution log group; its key policy must allow CloudWatch Logs.
   * @default - encrypted with a key owned by CloudWatch Logs
   */
  readonly logEncryptionKey?: IKey;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * An execution still running after this long is stopped.
   * @default Duration.hours(1)
   */
  readonly timeout?: Duration;
}

export class IncidentWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: IncidentWorkflowProps) {
    super(scope, id);
    const recordStart = DynamoUpdateItem.jsonPath(this, 'RecordWorkflowStarted', {
      comment: 'Marks the incident item with this execution, so responders can find it from the incident.',
      table: props.table,
      key: {
        [TABLE_PARTITION_KEY]: DynamoAttributeValue.fromString(JsonPath.format(`INCIDENT${KEY_SEPARATOR}{}`, JsonPath.stringAt('$.incidentId'))),
        [TABLE_SORT_KEY]: DynamoAttributeValue.fromString(INCIDENT_SORT_KEY),
      },
      // Moving `version` on keeps the evaluator's optimistic writes from overwriting what this step recorded.
      updateExpression: 'SET workflowStartedAt = :startedAt, executionArn = :executionArn, #version = #version + :one',
      conditionExpression: 'attribute_exists(#pk)',
      expressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, '#version': 'version' },
      expressionAttributeValues: {
        ':startedAt': DynamoAttributeValue.fromString(JsonPath.executionStartTime),
        ':executionArn': DynamoAttributeValue.fromString(JsonPath.executionId),
        ':one': DynamoAttributeValue.fromNumber(1),
      },
      resultPath: JsonPath.DISCARD,
    });
    recordStart.addRetry({
      errors: [...DYNAMODB_RETRYABLE_ERRORS],
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 4,
    });

    this.logGroup = new LogGroup(this, 'ExecutionLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      encryptionKey: props.logEncryptionKey,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'Burnwatch incident workflow',
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(recordStart),
      timeout: props.timeout ?? Duration.hours(1),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });
    // The service integration is granted dynamodb:UpdateItem only; a customer-managed table key needs its own grant.
    props.table.encryptionKey?.grantEncryptDecrypt(this.stateMachine);
  }

  grantStartExecution(grantee: IGrantable): Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }
}
