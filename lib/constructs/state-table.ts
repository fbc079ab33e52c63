/** The single DynamoDB table holding tenant alert state, history, incidents and guard items. */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLE_PARTITION_KEY, TABLE_SORT_KEY, TABLE_TTL_ATTRIBUTE } from '../../lambda/domain/keys';

export interface StateTableProps {
  /**
   * Use this table instead of creating one. It must have the string keys `pk` and `sk` and TTL on `expiresAt`.
   * @default - a new table
   */
  readonly existingTable?: ITable;
  /**
   * Customer-managed key for a new table; not allowed together with `existingTable`.
   * @default - a new key with rotation, created by the table
   */
  readonly encryptionKey?: IKey;
}

export class StateTableConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateTableConfigError';
  }
}

export class StateTable extends Construct {
  readonly table: ITable;

  constructor(scope: Construct, id: string, props: StateTableProps = {}) {
    super(scope, id);
    if (props.existingTable) {
      if (props.encryptionKey) {
        throw new StateTableConfigError(
          `${this.node.path}: encryptionKey must be omitted when existingTable is given (the existing table keeps its own key), got both`,
        );
      }
      this.table = props.existingTable;
      return;
    }
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_PARTITION_KEY, type: AttributeType.STRING },
      sortKey: { name: TABLE_SORT_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      timeToLiveAttribute: TABLE_TTL_ATTRIBUTE,
      // Alert state and incident history outlive the stack: deleting the stack must not delete them.
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
  }
}
