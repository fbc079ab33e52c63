/** Composes Burnwatch: key, state table, incident workflow and evaluator. Stateful resources are retained. */
import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { normalizeBurnwatchProps } from './config/normalize';
import type { NormalizedBurnwatchConfig } from './config/normalize';
import type { BurnwatchProps } from './config/props';
import { BurnwatchKey } from './constructs/encryption-key';
import { Evaluator } from './constructs/evaluator';
import { IncidentWorkflow } from './constructs/incident-workflow';
import { StateTable } from './constructs/state-table';
import { applyBurnwatchNagSuppressions } from './nag-suppressions';

export interface BurnwatchStackProps extends StackProps {
  /** What to watch and how; validated before any resource is created. */
  readonly burnwatch: BurnwatchProps;
  /**
   * Keep state in this table instead of a new one (string keys `pk`/`sk`, TTL on `expiresAt`).
   * @default - a new encrypted table, retained when the stack is deleted
   */
  readonly existingStateTable?: ITable;
}

export class BurnwatchStack extends Stack {
  readonly config: NormalizedBurnwatchConfig;
  readonly encryption: BurnwatchKey;
  readonly stateTable: StateTable;
  readonly incidentWorkflow: IncidentWorkflow;
  readonly evaluator: Evaluator;

  constructor(scope: Construct, id: string, props: BurnwatchStackProps) {
    super(scope, id, props);
    // First: a bad config must fail with every problem listed, before any construct exists.
    this.config = normalizeBurnwatchProps(props.burnwatch);

    this.encryption = new BurnwatchKey(this, 'Encryption');
    const key = this.encryption.key;
    this.stateTable = new StateTable(this, 'State', {
      existingTable: props.existingStateTable,
      encryptionKey: props.existingStateTable ? undefined : key,
    });
    this.incidentWorkflow = new IncidentWorkflow(this, 'IncidentWorkflow', {
      table: this.stateTable.table,
      logEncryptionKey: key,
    });
    this.evaluator = new Evaluator(this, 'Evaluator', {
      runtimeConfig: this.config.runtime,
      settings: this.config.evaluatorFunction,
      table: this.stateTable.table,
      workflow: this.incidentWorkflow.stateMachine,
      logEncryptionKey: key,
    });

    // For the command line and operators: where state lives and what to look at.
    new CfnOutput(this, 'StateTableName', { value: this.stateTable.table.tableName });
    new CfnOutput(this, 'IncidentWorkflowArn', { value: this.incidentWorkflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'EvaluatorFunctionName', { value: this.evaluator.function.functionName });

    applyBurnwatchNagSuppressions(this);
  }
}
