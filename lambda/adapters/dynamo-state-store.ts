/**
 * StateStore over one DynamoDB table (key layout in domain/keys.ts). Every write that can race is conditional
 * on the stored version, so two overlapping evaluator ticks or workflow steps never overwrite each other:
 * the loser gets `conflict`, re-reads and retries.
 */
import { GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import type { OpenIncidentPointer, StateStore, TenantStatesRead, WriteOutcome } from '../ports';
import {
  ALERT_LEVELS,
  FAILURE_MODES,
  STATE_SCHEMA_VERSION,
  type Incident,
  type IncidentStatus,
  type IncidentTenant,
  type Severity,
  type TenantAlertState,
  type TimelineEntry,
} from '../domain/model';
import {
  KEY_SEPARATOR,
  TABLE_PARTITION_KEY,
  TABLE_SORT_KEY,
  TABLE_TTL_ATTRIBUTE,
  TENANT_STATE_SORT_KEY,
  incidentKey,
  openIncidentPointerKey,
  tenantHistoryKey,
  tenantStateKey,
  type TableKey,
} from '../domain/keys';
import {
  CorruptItemError,
  ItemReader,
  UnsupportedSchemaVersionError,
  batchGetWithRetry,
  StoreArgumentError,
  corruptItem,
  invalidItem,
  isConditionalCheckFailed,
  requireNonNegativeInteger,
  type FieldProblem,
  type Sleep,
  type StoredItem,
} from './dynamo-table-schema';
import { mapWithConcurrency } from './concurrency';
import { sleepMs } from './retry';

/** BatchGetItem accepts at most this many keys per request. */
export const BATCH_GET_MAX_KEYS = 100;
/** Chunks read at once: a few in flight keep a large SLO fast without inviting throttling. */
const BATCH_GET_CONCURRENCY = 4;

const SEVERITY_SET: Readonly<Record<Severity, true>> = { page: true, ticket: true };
const SEVERITIES = Object.keys(SEVERITY_SET) as Severity[];
const INCIDENT_STATUS_SET: Readonly<Record<IncidentStatus, true>> = { open: true, mitigating: true, resolved: true };
const INCIDENT_STATUSES = Object.keys(INCIDENT_STATUS_SET) as IncidentStatus[];

export interface DynamoStateStoreOptions {
  /** Retries of the keys BatchGetItem leaves unprocessed (per chunk of 100) before giving up. @default 5 */
  readonly maxBatchGetRetries?: number;
  /** Backoff before the first retry of unprocessed keys, doubled on each further retry, ms. @default 50 */
  readonly batchGetBaseDelayMs?: number;
  /** @default a setTimeout-based sleep */
  readonly sleep?: Sleep;
}

export { UnprocessedKeysError } from './dynamo-table-schema';

export class DynamoStateStore implements StateStore {
  private readonly maxBatchGetRetries: number;
  private readonly batchGetBaseDelayMs: number;
  private readonly sleep: Sleep;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoStateStoreOptions = {},
  ) {
    if (typeof tableName !== 'string' || tableName.length === 0) throw new StoreArgumentError('tableName', 'a non-empty string', tableName);
    this.maxBatchGetRetries = options.maxBatchGetRetries ?? 5;
    this.batchGetBaseDelayMs = options.batchGetBaseDelayMs ?? 50;
    this.sleep = options.sleep ?? sleepMs;
    requireNonNegativeInteger('maxBatchGetRetries', this.maxBatchGetRetries);
    requireNonNegativeInteger('batchGetBaseDelayMs', this.batchGetBaseDelayMs);
  }

  async getTenantStates(slo: string, tenants: readonly string[]): Promise<TenantStatesRead> {
    // Matched by pk: the response does not keep request order, and pk is what identifies the tenant.
    const requested = new Map<string, { readonly tenant: string; readonly key: TableKey }>();
    for (const tenant of tenants) {
      const key = tenantStateKey(slo, tenant);
      requested.set(key.pk, { tenant, key });
    }
    const keys = [...requested.values()].map(({ key }) => key);
    const chunks: TableKey[][] = [];
    for (let start = 0; start < keys.length; start += BATCH_GET_MAX_KEYS) chunks.push(keys.slice(start, start + BATCH_GET_MAX_KEYS));
    const items = (await mapWithConcurrency(chunks, BATCH_GET_CONCURRENCY, (chunk) => this.batchGet(chunk))).flat();

    const states = new Map<string, TenantAlertState>();
    const unreadable = new Map<string, string>();
    for (const item of items) {
      const pk = String(item[TABLE_PARTITION_KEY]);
      const match = requested.get(pk);
      if (match === undefined) throw new CorruptItemError({ pk, sk: String(item[TABLE_SORT_KEY]) }, TABLE_PARTITION_KEY, 'one of the requested keys', pk);
      try {
        states.set(match.tenant, readTenantState(item, match.key, corruptItem(match.key), slo, match.tenant));
      } catch (error) {
        // One corrupt item (or one written by a newer schema) fails its own tenant only, and is never overwritten;
        // anything else (a bug, a throttle) still fails the read.
        if (!(error instanceof CorruptItemError || error instanceof UnsupportedSchemaVersionError)) throw error;
        unreadable.set(match.tenant, `${error.name}: ${error.message}`);
      }
    }
    return { states, unreadable };
  }

  /**
   * Every tenant's current state, or one SLO's, for reports such as `burnwatch status`. A Scan (it reads the
   * whole table, history included), so it is for people and tools, never for the evaluator's tick.
   */
  async listTenantStates(slo?: string): Promise<TenantAlertState[]> {
    // Encoded key parts never contain the separator, so the partition key up to it is a prefix of exactly these items.
    const examplePk = tenantStateKey(slo ?? 'slo', 'tenant').pk;
    const prefixEnd = slo === undefined ? examplePk.indexOf(KEY_SEPARATOR) : examplePk.lastIndexOf(KEY_SEPARATOR);
    const prefix = examplePk.slice(0, prefixEnd + 1);
    const states: TenantAlertState[] = [];
    let startKey: StoredItem | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(#pk, :prefix) AND #sk = :sk',
          ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, '#sk': TABLE_SORT_KEY },
          ExpressionAttributeValues: { ':prefix': prefix, ':sk': TENANT_STATE_SORT_KEY },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) states.push(readListedTenantState(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return states;
  }

  async putTenantState(next: TenantAlertState, expectedVersion: number): Promise<WriteOutcome> {
    requireNextVersion(next.version, expectedVersion);
    return this.conditionalPut(tenantStateItem(next, tenantStateKey(next.slo, next.tenant)), expectedVersion);
  }

  async appendHistory(state: TenantAlertState, expiresAt: number): Promise<void> {
    // Catches a seconds/milliseconds mix-up, which would otherwise expire the item at once.
    if (!Number.isInteger(expiresAt) || expiresAt <= state.updatedAt) {
      throw new StoreArgumentError('expiresAt', `an integer epoch-ms time after state.updatedAt (${state.updatedAt})`, expiresAt);
    }
    const item = tenantStateItem(state, tenantHistoryKey(state.slo, state.tenant, state.updatedAt));
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...item, [TABLE_TTL_ATTRIBUTE]: Math.ceil(expiresAt / 1000) } }));
  }

  async getIncident(id: string): Promise<Incident | null> {
    const key = incidentKey(id);
    const item = await this.get(key);
    return item === null ? null : readIncident(item, key, corruptItem(key), id);
  }

  async createIncident(incident: Incident): Promise<WriteOutcome> {
    return this.conditionalPut(incidentItem(incident), 0);
  }

  async updateIncident(next: Incident, expectedVersion: number): Promise<WriteOutcome> {
    requireNextVersion(next.version, expectedVersion);
    return this.conditionalPut(incidentItem(next), expectedVersion);
  }

  async getOpenIncidentPointer(slo: string): Promise<OpenIncidentPointer | null> {
    const key = openIncidentPointerKey(slo);
    const item = await this.get(key);
    return item === null ? null : readPointer(item, key, corruptItem(key), slo);
  }

  async putOpenIncidentPointer(pointer: OpenIncidentPointer, expectedVersion: number): Promise<WriteOutcome> {
    requireNextVersion(pointer.version, expectedVersion);
    const key = openIncidentPointerKey(pointer.slo);
    return this.conditionalPut(toItem(readPointer({ ...pointer }, key, invalidItem(key), pointer.slo), key), expectedVersion);
  }

  private async get(key: TableKey): Promise<StoredItem | null> {
    // Strongly consistent: the version read here is the one the next conditional write is checked against.
    const response = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return response.Item ?? null;
  }

  /** Writes the item if the stored version is `expectedVersion`, where 0 means the item must not exist. */
  private async conditionalPut(item: StoredItem, expectedVersion: number): Promise<WriteOutcome> {
    const condition: Pick<PutCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> =
      expectedVersion === 0
        ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY } }
        : {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': expectedVersion },
          };
    try {
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item, ...condition }));
      return 'written';
    } catch (error) {
      if (isConditionalCheckFailed(error)) return 'conflict';
      throw error;
    }
  }

  private batchGet(keys: readonly TableKey[]): Promise<StoredItem[]> {
    return batchGetWithRetry(this.doc, this.tableName, keys, { maxRetries: this.maxBatchGetRetries, baseDelayMs: this.batchGetBaseDelayMs, sleep: this.sleep });
  }

}

/** Every conditional write moves the version forward by exactly one, so a version names one write. */
function requireNextVersion(nextVersion: number, expectedVersion: number): void {
  requireNonNegativeInteger('expectedVersion', expectedVersion);
  if (nextVersion !== expectedVersion + 1) {
    throw new StoreArgumentError('version', `expectedVersion + 1 (${expectedVersion + 1})`, nextVersion);
  }
}

/**
 * The item for a value that passed the same validation a reader applies (so no unreadable item is ever
 * written); only the fields the reader knows are stored, stamped with the current schema version.
 */
function toItem(valid: object, key: TableKey): StoredItem {
  return { ...valid, schemaVersion: STATE_SCHEMA_VERSION, ...key };
}

function tenantStateItem(state: TenantAlertState, key: TableKey): StoredItem {
  return toItem(readTenantState({ ...state }, key, invalidItem(key), state.slo, state.tenant), key);
}

function incidentItem(incident: Incident): StoredItem {
  const key = incidentKey(incident.id);
  return toItem(readIncident({ ...incident }, key, invalidItem(key), incident.id), key);
}

/** Fallbacks are the safe defaults for fields that items from schema 0 may lack; they are recomputed on the next tick. */
function readTenantState(item: StoredItem, key: TableKey, problem: FieldProblem, slo: string, tenant: string): TenantAlertState {
  const r = new ItemReader(item, problem);
  r.schemaVersion(key);
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    slo: r.keyString('slo', slo),
    tenant: r.keyString('tenant', tenant),
    level: r.oneOf('level', ALERT_LEVELS),
    levelSince: r.timeOrNull('levelSince', null),
    lastFiringAt: r.timeOrNull('lastFiringAt', null),
    activeRules: r.stringList('activeRules', []),
    incidentId: r.stringOrNull('incidentId', null),
    burnRates: r.numberRecord('burnRates', {}),
    budgetRemaining: r.number('budgetRemaining'),
    timeToExhaustionMinutes: r.numberOrNull('timeToExhaustionMinutes', null),
    updatedAt: r.time('updatedAt'),
    version: r.integer('version', 0),
  };
}

/** A state item found by a Scan: its slo and tenant attributes must be the ones its key encodes. */
function readListedTenantState(item: StoredItem): TenantAlertState {
  const found: TableKey = { pk: String(item[TABLE_PARTITION_KEY]), sk: String(item[TABLE_SORT_KEY]) };
  const problem = corruptItem(found);
  const r = new ItemReader(item, problem);
  const slo = r.string('slo');
  const tenant = r.string('tenant');
  const key = tenantStateKey(slo, tenant);
  if (key.pk !== found.pk) throw problem(TABLE_PARTITION_KEY, `the key of its slo and tenant (${key.pk})`, found.pk);
  return readTenantState(item, key, problem, slo, tenant);
}

function readIncident(item: StoredItem, key: TableKey, problem: FieldProblem, id: string): Incident {
  const r = new ItemReader(item, problem);
  r.schemaVersion(key);
  return {
    id: r.keyString('id', id),
    slo: r.string('slo'),
    severity: r.oneOf('severity', SEVERITIES),
    status: r.oneOf('status', INCIDENT_STATUSES),
    openedAt: r.time('openedAt'),
    resolvedAt: r.timeOrNull('resolvedAt', null),
    tenants: r.objectList('tenants', readIncidentTenant),
    executionArn: r.stringOrNull('executionArn', null),
    suspectedCause: r.stringOrNull('suspectedCause', null),
    failureMode: r.oneOfOrNull('failureMode', FAILURE_MODES, null),
    forensicUri: r.stringOrNull('forensicUri', null),
    timeline: r.objectList('timeline', readTimelineEntry, []),
    version: r.integer('version', 0),
  };
}

function readIncidentTenant(r: ItemReader): IncidentTenant {
  return {
    tenant: r.string('tenant'),
    joinedAt: r.time('joinedAt'),
    level: r.oneOf('level', SEVERITIES),
    burnRates: r.numberRecord('burnRates', {}),
    budgetRemainingAtJoin: r.number('budgetRemainingAtJoin'),
    recoveredAt: r.timeOrNull('recoveredAt', null),
    budgetLost: r.numberOrNull('budgetLost', null),
  };
}

function readTimelineEntry(r: ItemReader): TimelineEntry {
  return { at: r.time('at'), step: r.string('step'), detail: r.string('detail') };
}

function readPointer(item: StoredItem, key: TableKey, problem: FieldProblem, slo: string): OpenIncidentPointer {
  const r = new ItemReader(item, problem);
  r.schemaVersion(key);
  return {
    slo: r.keyString('slo', slo),
    incidentId: r.string('incidentId'),
    openedAt: r.time('openedAt'),
    version: r.integer('version', 0),
  };
}
