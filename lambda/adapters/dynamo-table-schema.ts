/**
 * The Burnwatch table as the DynamoDB adapters see it: table creation (for dynalite in tests and the demo; the
 * CDK construct creates the real table with the same key schema), the item schema version, the errors for
 * items that cannot be read or written, and a reader that validates items field by field.
 */
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { STATE_SCHEMA_VERSION } from '../domain/model';
import { TABLE_PARTITION_KEY, TABLE_SORT_KEY, type TableKey } from '../domain/keys';
import { sleepMs } from './retry';

/** An item as the DocumentClient returns it: attribute name to plain JS value, nothing trusted yet. */
export type StoredItem = Readonly<Record<string, unknown>>;

/** Builds the error for one bad field; reads and writes report bad fields with different errors. */
export type FieldProblem = (field: string, expected: string, actual: unknown) => Error;

export type Sleep = (ms: number) => Promise<void>;

function describeKey(key: TableKey): string {
  return `pk=${JSON.stringify(key.pk)} sk=${JSON.stringify(key.sk)}`;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the attribute is missing)';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 120)}...` : text;
}

/** An item was written by newer code with a layout this code does not know. */
export class UnsupportedSchemaVersionError extends Error {
  override readonly name = 'UnsupportedSchemaVersionError';
  constructor(
    readonly key: TableKey,
    readonly schemaVersion: number,
    readonly supportedVersion: number,
  ) {
    super(
      `Item ${describeKey(key)} has schemaVersion ${schemaVersion}; this code reads schemaVersion ` +
        `${supportedVersion} and older (written by newer code: deploy it here too, or roll the writer back)`,
    );
  }
}

/** An item read from the table does not have the shape its key promises. */
export class CorruptItemError extends Error {
  override readonly name = 'CorruptItemError';
  constructor(
    readonly key: TableKey,
    readonly field: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`Item ${describeKey(key)}: field "${field}" must be ${expected}; found ${describeValue(actual)}`);
  }
}

/** A value handed to an adapter would be stored as an item no reader could accept; nothing was written. */
export class InvalidItemError extends Error {
  override readonly name = 'InvalidItemError';
  constructor(
    readonly key: TableKey,
    readonly field: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`Refusing to write item ${describeKey(key)}: field "${field}" must be ${expected}; given ${describeValue(actual)}`);
  }
}

/** An argument to an adapter method or constructor is out of range. */
export class StoreArgumentError extends Error {
  override readonly name = 'StoreArgumentError';
  constructor(
    readonly argument: string,
    readonly allowed: string,
    readonly given: unknown,
  ) {
    super(`${argument} must be ${allowed}; given ${describeValue(given)}`);
  }
}

export const corruptItem =
  (key: TableKey): FieldProblem =>
  (field, expected, actual) =>
    new CorruptItemError(key, field, expected, actual);

export const invalidItem =
  (key: TableKey): FieldProblem =>
  (field, expected, actual) =>
    new InvalidItemError(key, field, expected, actual);

export function requireNonNegativeInteger(argument: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new StoreArgumentError(argument, 'a non-negative integer', value);
}

/** True for the error DynamoDB returns when a write's condition did not hold: another writer got there first. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * Reads typed fields from an untrusted item. A `fallback` is used only when the attribute is missing: that is
 * how items written before a field existed are upgraded. Every other mismatch is reported through `problem`.
 */
export class ItemReader {
  /** `path` names the enclosing field in errors; `inList` when `item` holds the entries of a list. */
  constructor(
    private readonly item: StoredItem,
    private readonly problem: FieldProblem,
    private readonly path = '',
    private readonly inList = false,
  ) {}

  /** The item's schema version (missing: 0, written before versions were recorded). */
  schemaVersion(key: TableKey): number {
    const version = this.integer('schemaVersion', 0, 0);
    if (version > STATE_SCHEMA_VERSION) throw new UnsupportedSchemaVersionError(key, version, STATE_SCHEMA_VERSION);
    return version;
  }

  string(field: string, fallback?: string): string {
    return this.read(field, fallback, 'a string', (v): v is string => typeof v === 'string');
  }

  /** A string that must equal the value encoded in the item's key. */
  keyString(field: string, expected: string): string {
    const value = this.string(field);
    if (value !== expected) this.fail(field, `${JSON.stringify(expected)} (the value in the item's key)`, value);
    return value;
  }

  stringOrNull(field: string, fallback?: null): string | null {
    return this.read(field, fallback, 'a string or null', (v): v is string | null => v === null || typeof v === 'string');
  }

  number(field: string, fallback?: number): number {
    return this.read(field, fallback, 'a finite number', isFiniteNumber);
  }

  numberOrNull(field: string, fallback?: null): number | null {
    return this.read(field, fallback, 'a finite number or null', (v): v is number | null => v === null || isFiniteNumber(v));
  }

  integer(field: string, minimum: number, fallback?: number): number {
    return this.read(field, fallback, `an integer >= ${minimum}`, (v): v is number => Number.isInteger(v) && (v as number) >= minimum);
  }

  /** Epoch milliseconds. */
  time(field: string): number {
    return this.integer(field, 0);
  }

  timeOrNull(field: string, fallback?: null): number | null {
    return this.read(field, fallback, 'an integer epoch-ms time >= 0 or null', (v): v is number | null => v === null || (Number.isInteger(v) && (v as number) >= 0));
  }

  boolean(field: string): boolean {
    return this.read(field, undefined, 'true or false', (v): v is boolean => typeof v === 'boolean');
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], fallback?: T): T {
    return this.read(field, fallback, `one of ${allowed.join(', ')}`, (v): v is T => allowed.includes(v as T));
  }

  oneOfOrNull<T extends string>(field: string, allowed: readonly T[], fallback?: null): T | null {
    return this.read(field, fallback, `one of ${allowed.join(', ')} or null`, (v): v is T | null => v === null || allowed.includes(v as T));
  }

  stringList(field: string, fallback?: readonly string[]): readonly string[] {
    return this.list(field, fallback, (reader, index) => reader.string(String(index)));
  }

  numberRecord(field: string, fallback?: Readonly<Record<string, number>>): Readonly<Record<string, number>> {
    const record = this.read(field, fallback, 'a map', isPlainObject);
    const nested = this.nested(field, record);
    return Object.fromEntries(Object.keys(record).map((name) => [name, nested.number(name)]));
  }

  /** A list of maps, each read by `readEntry` with field names prefixed by the list's path. */
  objectList<T>(field: string, readEntry: (reader: ItemReader) => T, fallback?: readonly T[]): readonly T[] {
    return this.list(field, fallback, (reader, index) => {
      const entry = reader.read(String(index), undefined, 'a map', isPlainObject);
      return readEntry(reader.nested(String(index), entry));
    });
  }

  private list<T>(field: string, fallback: readonly T[] | undefined, readEntry: (reader: ItemReader, index: number) => T): readonly T[] {
    const value = this.item[field];
    if (value === undefined && fallback !== undefined) return fallback;
    if (!Array.isArray(value)) return this.fail(field, 'a list', value);
    const listReader = new ItemReader({ ...value }, this.problem, this.fieldName(field), true);
    return value.map((_, index) => readEntry(listReader, index));
  }

  private nested(field: string, item: StoredItem): ItemReader {
    return new ItemReader(item, this.problem, `${this.fieldName(field)}.`);
  }

  private read<T>(field: string, fallback: T | undefined, expected: string, isValid: (value: unknown) => value is T): T {
    const value = this.item[field];
    if (value === undefined && fallback !== undefined) return fallback;
    if (!isValid(value)) return this.fail(field, expected, value);
    return value;
  }

  /** List entries are named like `tenants[2].level`, map entries like `burnRates.5`. */
  private fieldName(field: string): string {
    return this.inList ? `${this.path}[${field}]` : `${this.path}${field}`;
  }

  private fail(field: string, expected: string, actual: unknown): never {
    throw this.problem(this.fieldName(field), expected, actual);
  }
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isPlainObject(value: unknown): value is StoredItem {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface CreateTableOptions {
  /** @default a setTimeout-based sleep */
  readonly sleep?: Sleep;
  /** DescribeTable polls before giving up on the table becoming ACTIVE. @default 50 */
  readonly maxPolls?: number;
  /** Wait between polls, ms. @default 100 */
  readonly pollIntervalMs?: number;
}

export class TableNotActiveError extends Error {
  override readonly name = 'TableNotActiveError';
}

/**
 * Creates the Burnwatch table (pk/sk strings, on demand) and waits until it is ACTIVE. TTL on `expiresAt` is
 * enabled by the CDK construct; dynalite does not implement UpdateTimeToLive, so it is not set here.
 */
export async function createBurnwatchTable(client: DynamoDBClient, name: string, options: CreateTableOptions = {}): Promise<void> {
  const wait = options.sleep ?? sleepMs;
  const maxPolls = options.maxPolls ?? 50;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [
        { AttributeName: TABLE_PARTITION_KEY, AttributeType: 'S' },
        { AttributeName: TABLE_SORT_KEY, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: TABLE_PARTITION_KEY, KeyType: 'HASH' },
        { AttributeName: TABLE_SORT_KEY, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  let status: string | undefined;
  for (let poll = 0; poll < maxPolls; poll += 1) {
    status = (await client.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus;
    if (status === 'ACTIVE') return;
    await wait(pollIntervalMs);
  }
  throw new TableNotActiveError(`Table ${name} is still ${status ?? 'unknown'} after ${maxPolls} polls of ${pollIntervalMs} ms`);
}

/** BatchGetItem left keys unprocessed (partial throttling) after every retry. */
export class UnprocessedKeysError extends Error {
  override readonly name = 'UnprocessedKeysError';
  constructor(
    readonly tableName: string,
    readonly unprocessedKeys: number,
    readonly retries: number,
  ) {
    super(`BatchGetItem on ${tableName} still left ${unprocessedKeys} keys unprocessed after ${retries} retries`);
  }
}

/** How a batch read retries the keys DynamoDB left unprocessed. */
export interface BatchGetRetry {
  readonly maxRetries: number;
  /** The first wait; each retry doubles it. */
  readonly baseDelayMs: number;
  readonly sleep: Sleep;
}

/** One strongly consistent BatchGetItem request, retrying unprocessed keys with exponential backoff. */
export async function batchGetWithRetry(
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly TableKey[],
  retry: BatchGetRetry,
): Promise<StoredItem[]> {
  const items: StoredItem[] = [];
  let pending: readonly StoredItem[] = keys;
  for (let attempt = 0; ; attempt += 1) {
    const response = await doc.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: [...pending], ConsistentRead: true } } }));
    items.push(...(response.Responses?.[tableName] ?? []));
    pending = response.UnprocessedKeys?.[tableName]?.Keys ?? [];
    if (pending.length === 0) return items;
    if (attempt >= retry.maxRetries) throw new UnprocessedKeysError(tableName, pending.length, retry.maxRetries);
    await retry.sleep(retry.baseDelayMs * 2 ** attempt);
  }
}
