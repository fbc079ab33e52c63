/**
 * GuardStore over the Burnwatch table (key layout in domain/keys.ts). Counters use atomic `ADD` so concurrent
 * workflow executions cannot overspend the hourly action quota or lose a learning sample.
 */
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { GuardStore } from '../ports';
import { DAY_MS, FAILURE_MODES, HOUR_MS, STATE_SCHEMA_VERSION, type ActionKind, type ActionStats, type FailureMode } from '../domain/model';
import {
  ACTION_STATS_SORT_PREFIX,
  KILL_SWITCH_KEY,
  TABLE_PARTITION_KEY,
  TABLE_SORT_KEY,
  TABLE_TTL_ATTRIBUTE,
  actionQuotaKey,
  actionStatsKey,
  actionStatsPartitionKey,
  resourceLastActionKey,
  type TableKey,
} from '../domain/keys';
import {
  ItemReader,
  StoreArgumentError,
  corruptItem,
  isConditionalCheckFailed,
  requireNonNegativeInteger,
  type StoredItem,
} from './dynamo-table-schema';

const ACTION_KIND_SET: Readonly<Record<ActionKind, true>> = { 'codedeploy-rollback': true, 'asg-scale-out': true, 'notify-only': true };
export const ACTION_KINDS = Object.keys(ACTION_KIND_SET) as ActionKind[];

/** Hourly counters outlive their hour by this much, then DynamoDB TTL removes them. */
export const ACTION_QUOTA_RETENTION_MS = 2 * DAY_MS;

export class DynamoGuardStore implements GuardStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    if (typeof tableName !== 'string' || tableName.length === 0) throw new StoreArgumentError('tableName', 'a non-empty string', tableName);
  }

  async tryConsumeActionQuota(hourStart: number, limit: number): Promise<boolean> {
    // A misaligned hour would give every call its own counter and silently lift the quota.
    if (!Number.isInteger(hourStart) || hourStart < 0 || hourStart % HOUR_MS !== 0) {
      throw new StoreArgumentError('hourStart', 'an epoch-ms time at the start of an hour (a multiple of 3600000)', hourStart);
    }
    requireNonNegativeInteger('limit', limit);
    if (limit === 0) return false; // `attribute_not_exists` would otherwise let the first action through.
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: actionQuotaKey(hourStart),
          UpdateExpression: 'ADD #count :one SET #expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count', '#expiresAt': TABLE_TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':expiresAt': (hourStart + ACTION_QUOTA_RETENTION_MS) / 1000 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async getLastActionAt(resource: string): Promise<number | null> {
    const key = resourceLastActionKey(resource);
    const item = await this.get(key);
    if (item === null) return null;
    const r = this.reader(item, key);
    r.keyString('resource', resource);
    return r.time('lastActionAt');
  }

  async recordAction(resource: string, at: number): Promise<void> {
    requireNonNegativeInteger('at', at);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: resourceLastActionKey(resource),
          UpdateExpression: 'SET #lastActionAt = :at, #resource = :resource, #schemaVersion = :schemaVersion',
          ConditionExpression: 'attribute_not_exists(#lastActionAt) OR #lastActionAt < :at',
          ExpressionAttributeNames: { '#lastActionAt': 'lastActionAt', '#resource': 'resource', '#schemaVersion': 'schemaVersion' },
          ExpressionAttributeValues: { ':at': at, ':resource': resource, ':schemaVersion': STATE_SCHEMA_VERSION },
        }),
      );
    } catch (error) {
      // A later action is already recorded: the cooldown must keep counting from that one.
      if (isConditionalCheckFailed(error)) return;
      throw error;
    }
  }

  async isKillSwitchOn(): Promise<boolean> {
    const item = await this.get(KILL_SWITCH_KEY);
    return item === null ? false : this.reader(item, KILL_SWITCH_KEY).boolean('enabled');
  }

  async getActionStats(failureMode: FailureMode): Promise<ActionStats[]> {
    requireFailureMode(failureMode);
    const stats: ActionStats[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, '#sk': TABLE_SORT_KEY },
          ExpressionAttributeValues: { ':pk': actionStatsPartitionKey(failureMode), ':prefix': ACTION_STATS_SORT_PREFIX },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) stats.push(this.readActionStats(item, failureMode));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return stats;
  }

  async recordActionOutcome(failureMode: FailureMode, kind: ActionKind, recovered: boolean, recoveryMinutes: number): Promise<void> {
    requireFailureMode(failureMode);
    if (!ACTION_KINDS.includes(kind)) throw new StoreArgumentError('kind', `one of ${ACTION_KINDS.join(', ')}`, kind);
    if (typeof recovered !== 'boolean') throw new StoreArgumentError('recovered', 'true or false', recovered);
    if (!Number.isFinite(recoveryMinutes) || recoveryMinutes < 0) {
      throw new StoreArgumentError('recoveryMinutes', 'a finite number >= 0', recoveryMinutes);
    }
    // Only recoveries contribute time, so totalRecoveryMinutes / recoveries is the mean time to recover.
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: actionStatsKey(failureMode, kind),
        UpdateExpression:
          'ADD #attempts :one, #recoveries :recoveries, #totalRecoveryMinutes :minutes ' +
          'SET #failureMode = :failureMode, #kind = :kind, #schemaVersion = :schemaVersion',
        ExpressionAttributeNames: {
          '#attempts': 'attempts',
          '#recoveries': 'recoveries',
          '#totalRecoveryMinutes': 'totalRecoveryMinutes',
          '#failureMode': 'failureMode',
          '#kind': 'kind',
          '#schemaVersion': 'schemaVersion',
        },
        ExpressionAttributeValues: {
          ':one': 1,
          ':recoveries': recovered ? 1 : 0,
          ':minutes': recovered ? recoveryMinutes : 0,
          ':failureMode': failureMode,
          ':kind': kind,
          ':schemaVersion': STATE_SCHEMA_VERSION,
        },
      }),
    );
  }

  private readActionStats(item: StoredItem, failureMode: FailureMode): ActionStats {
    const key: TableKey = { pk: String(item[TABLE_PARTITION_KEY]), sk: String(item[TABLE_SORT_KEY]) };
    const r = this.reader(item, key);
    r.keyString('failureMode', failureMode);
    return {
      failureMode,
      kind: r.oneOf('kind', ACTION_KINDS),
      attempts: r.integer('attempts', 0),
      recoveries: r.integer('recoveries', 0),
      totalRecoveryMinutes: r.number('totalRecoveryMinutes'),
    };
  }

  private reader(item: StoredItem, key: TableKey): ItemReader {
    const reader = new ItemReader(item, corruptItem(key));
    reader.schemaVersion(key);
    return reader;
  }

  private async get(key: TableKey): Promise<StoredItem | null> {
    // Strongly consistent: an operator who flips the kill switch expects the very next check to see it.
    const response = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return response.Item ?? null;
  }
}

function requireFailureMode(failureMode: FailureMode): void {
  if (!FAILURE_MODES.includes(failureMode)) {
    throw new StoreArgumentError('failureMode', `one of ${FAILURE_MODES.join(', ')}`, failureMode);
  }
}
