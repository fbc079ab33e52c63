/**
 * The key layout of the single Burnwatch table. Pure: every function maps values to keys and nothing else.
 *
 * Every variable part is encoded so that no tenant, SLO, incident or resource name can produce another one's
 * key: the encoded form never contains the `#` separator, so splitting a key on `#` always recovers the same
 * parts. Long parts are shortened to a readable prefix plus a SHA-256 digest so keys stay far below
 * DynamoDB's limits (2048 bytes partition key, 1024 bytes sort key).
 */
import { createHash } from 'node:crypto';

export const TABLE_PARTITION_KEY = 'pk';
export const TABLE_SORT_KEY = 'sk';
/** DynamoDB TTL attribute, epoch seconds. */
export const TABLE_TTL_ATTRIBUTE = 'expiresAt';

/** Joins the parts of a key; never produced by {@link encodeKeyPart}. */
export const KEY_SEPARATOR = '#';
/** Marks a shortened part: `<prefix>~<sha256 hex of the full value>`; never produced by encoding itself. */
export const DIGEST_MARKER = '~';
/** Encoded parts longer than this are shortened, so a key with two parts stays well under 1024 bytes. */
export const MAX_ENCODED_PART_LENGTH = 400;
/** Epoch-ms sort keys are zero-padded to this width so lexical order is time order. */
export const EPOCH_MS_DIGITS = 13;

const SHA256_HEX_LENGTH = 64;
const MAX_EPOCH_MS = 10 ** EPOCH_MS_DIGITS - 1;

export type TableKey = Readonly<Record<typeof TABLE_PARTITION_KEY | typeof TABLE_SORT_KEY, string>>;

export const TENANT_STATE_SORT_KEY = 'STATE';
export const HISTORY_SORT_PREFIX = `HIST${KEY_SEPARATOR}`;
export const INCIDENT_SORT_KEY = 'INCIDENT';
export const OPEN_INCIDENT_SORT_KEY = 'OPEN_INCIDENT';
export const ACTION_QUOTA_PARTITION_KEY = `GUARD${KEY_SEPARATOR}ACTIONS`;
export const RESOURCE_LAST_ACTION_SORT_KEY = 'LAST_ACTION';
export const KILL_SWITCH_KEY: TableKey = { pk: 'CONFIG', sk: 'KILL_SWITCH' };
export const ACTION_STATS_SORT_PREFIX = `ACTION${KEY_SEPARATOR}`;

export class InvalidKeyPartError extends Error {
  override readonly name = 'InvalidKeyPartError';
  constructor(
    readonly field: string,
    readonly allowed: string,
    readonly given: unknown,
  ) {
    super(`${field} must be ${allowed}; given ${describeGiven(given)}`);
  }
}

function describeGiven(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return value === undefined ? 'undefined' : typeof value;
  return value.length > 80 ? `${JSON.stringify(value.slice(0, 80))}... (${value.length} characters)` : JSON.stringify(value);
}

/**
 * Encodes one variable part of a key. encodeURIComponent already escapes `#` and `%`; `~` is escaped too
 * because it marks a shortened part. The result is ASCII, so its length is its size in bytes.
 */
export function encodeKeyPart(value: string, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidKeyPartError(field, 'a non-empty string', value);
  }
  let encoded: string;
  try {
    encoded = encodeURIComponent(value).replace(/~/g, '%7E');
  } catch {
    // Lone UTF-16 surrogates have no UTF-8 form: DynamoDB could not store the name either.
    throw new InvalidKeyPartError(field, 'well-formed Unicode (no lone surrogates)', value);
  }
  if (encoded.length <= MAX_ENCODED_PART_LENGTH) return encoded;
  return `${readablePrefix(encoded)}${DIGEST_MARKER}${createHash('sha256').update(value, 'utf8').digest('hex')}`;
}

/** The start of a too-long encoded part, cut so that no `%XX` escape is split (it only aids reading). */
function readablePrefix(encoded: string): string {
  const length = MAX_ENCODED_PART_LENGTH - DIGEST_MARKER.length - SHA256_HEX_LENGTH;
  const prefix = encoded.slice(0, length);
  const lastEscape = prefix.lastIndexOf('%');
  return lastEscape >= length - 2 ? prefix.slice(0, lastEscape) : prefix;
}

/** Zero-padded epoch ms, so sort keys order by time. */
export function encodeEpochMs(epochMs: number, field: string): string {
  if (!Number.isInteger(epochMs) || epochMs < 0 || epochMs > MAX_EPOCH_MS) {
    throw new InvalidKeyPartError(field, `an integer epoch-ms time from 0 to ${MAX_EPOCH_MS}`, epochMs);
  }
  return String(epochMs).padStart(EPOCH_MS_DIGITS, '0');
}

function join(...parts: string[]): string {
  return parts.join(KEY_SEPARATOR);
}

function tenantPartitionKey(slo: string, tenant: string): string {
  return join('TENANT', encodeKeyPart(slo, 'slo'), encodeKeyPart(tenant, 'tenant'));
}

export function tenantStateKey(slo: string, tenant: string): TableKey {
  return { pk: tenantPartitionKey(slo, tenant), sk: TENANT_STATE_SORT_KEY };
}

export function tenantHistoryKey(slo: string, tenant: string, at: number): TableKey {
  return { pk: tenantPartitionKey(slo, tenant), sk: HISTORY_SORT_PREFIX + encodeEpochMs(at, 'at') };
}

export function incidentKey(incidentId: string): TableKey {
  return { pk: join('INCIDENT', encodeKeyPart(incidentId, 'incidentId')), sk: INCIDENT_SORT_KEY };
}

export function openIncidentPointerKey(slo: string): TableKey {
  return { pk: join('SLO', encodeKeyPart(slo, 'slo')), sk: OPEN_INCIDENT_SORT_KEY };
}

export function actionQuotaKey(hourStart: number): TableKey {
  return { pk: ACTION_QUOTA_PARTITION_KEY, sk: join('HOUR', encodeEpochMs(hourStart, 'hourStart')) };
}

export function resourceLastActionKey(resource: string): TableKey {
  return { pk: join('GUARD', 'RESOURCE', encodeKeyPart(resource, 'resource')), sk: RESOURCE_LAST_ACTION_SORT_KEY };
}

/** All learning items of one failure mode share this partition key; query it with {@link ACTION_STATS_SORT_PREFIX}. */
export function actionStatsPartitionKey(failureMode: string): string {
  return join('LEARN', encodeKeyPart(failureMode, 'failureMode'));
}

export function actionStatsKey(failureMode: string, kind: string): TableKey {
  return { pk: actionStatsPartitionKey(failureMode), sk: ACTION_STATS_SORT_PREFIX + encodeKeyPart(kind, 'kind') };
}
