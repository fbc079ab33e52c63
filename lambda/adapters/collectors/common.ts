/**
 * What the incident workflow's collectors and actions share: the request shape, AWS error classification,
 * a bounded retry of throttling, bounded pagination, and the wrappers that turn any failure into a
 * `CollectorResult` (collectors never throw) or an `ActionResult` (actions never lose the error).
 */
import type {
  ActionKind,
  ActionOutcome,
  ActionResult,
  CollectorResult,
  EvidenceItem,
  EvidenceSource,
  PlannedAction,
} from '../../domain/model';
import { isThrottlingError, sleepMs, withRetry, type RetryOptions } from '../retry';

// ---------------------------------------------------------------------------------------------------------
// Requests and scope
// ---------------------------------------------------------------------------------------------------------

/** What the workflow asks every collector: a time window, the incident's tenants and the user's scope. */
export interface CollectRequest<Scope> {
  /** Start of the window, epoch ms (inclusive). */
  readonly from: number;
  /** End of the window, epoch ms (exclusive). */
  readonly to: number;
  /** Tenants of the incident. */
  readonly tenants: readonly string[];
  /** The resources the user mapped to the SLO in props (explicit names, never discovered). */
  readonly scope: Scope;
}

/** A configured resource that may serve only some tenants; no `tenants` means shared by all tenants. */
export interface TenantMapping {
  readonly tenants?: readonly string[];
}

/** Bad input to an adapter (options, request or scope): names the field, what is allowed and what was given. */
export class AdapterInputError extends Error {
  constructor(
    readonly field: string,
    readonly allowed: string,
    readonly given: unknown,
  ) {
    super(`${field} must be ${allowed}; got ${formatGiven(given)}`);
    this.name = 'AdapterInputError';
  }
}

function formatGiven(given: unknown): string {
  if (typeof given === 'string') return JSON.stringify(given);
  if (given === undefined) return 'undefined';
  try {
    return JSON.stringify(given) ?? String(given);
  } catch {
    return String(given);
  }
}

export function validateWindow(request: { readonly from: unknown; readonly to: unknown }): void {
  if (typeof request.from !== 'number' || !Number.isFinite(request.from)) {
    throw new AdapterInputError('request.from', 'a finite epoch-ms number', request.from);
  }
  if (typeof request.to !== 'number' || !Number.isFinite(request.to) || request.to <= request.from) {
    throw new AdapterInputError('request.to', `a finite epoch-ms number greater than request.from (${request.from})`, request.to);
  }
}

/** Returns `value` when it is a string matching `pattern`, else throws naming the field. */
export function requireString(value: unknown, field: string, pattern: RegExp, allowed: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new AdapterInputError(field, allowed, value);
  return value;
}

/** Returns the scope list at `field`, or an empty list when absent; throws when it is not an array. */
export function scopeList<T>(value: readonly T[] | undefined, field: string): readonly T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new AdapterInputError(field, 'an array', value);
  return value;
}

/**
 * The incident tenants a configured resource is known to affect: `[]` for shared resources, the overlap for
 * tenant-mapped ones, and `null` when the resource serves none of the incident's tenants (not worth a call).
 * With no incident tenants given, a mapped resource is kept with its own tenants.
 */
export function affectedTenants(mapping: TenantMapping, incidentTenants: readonly string[], field: string): readonly string[] | null {
  const mapped = mapping.tenants ?? [];
  if (!Array.isArray(mapped) || !mapped.every((tenant) => typeof tenant === 'string' && tenant !== '')) {
    throw new AdapterInputError(`${field}.tenants`, 'a list of non-empty tenant ids, or absent', mapping.tenants);
  }
  if (mapped.length === 0) return [];
  if (incidentTenants.length === 0) return [...mapped];
  const overlap = mapped.filter((tenant) => incidentTenants.includes(tenant));
  return overlap.length > 0 ? overlap : null;
}

export function epochMs(date: Date | undefined): number | null {
  if (date === undefined) return null;
  const ms = date.getTime();
  return Number.isFinite(ms) ? ms : null;
}

// ---------------------------------------------------------------------------------------------------------
// AWS errors
// ---------------------------------------------------------------------------------------------------------

export type AwsErrorKind = 'access-denied' | 'throttling' | 'other';

const ACCESS_DENIED_NAMES = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation']);
// S3 throttles with SlowDown; other services may only say so through the status or the SDK's retryable trait.
const EXTRA_THROTTLING_NAMES = new Set(['SlowDown']);

interface AwsErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $retryable?: { readonly throttling?: unknown };
}

function asShape(error: unknown): AwsErrorShape {
  return typeof error === 'object' && error !== null ? (error as AwsErrorShape) : {};
}

export function classifyAwsError(error: unknown): AwsErrorKind {
  const shape = asShape(error);
  const name = typeof shape.name === 'string' ? shape.name : '';
  const status = shape.$metadata?.httpStatusCode;
  if (ACCESS_DENIED_NAMES.has(name) || status === 403) return 'access-denied';
  if (isThrottlingError(error) || EXTRA_THROTTLING_NAMES.has(name) || status === 429 || shape.$retryable?.throttling === true) {
    return 'throttling';
  }
  return 'other';
}

/** `<service>: <error name>: <message>`, the one-line reason responders read. */
export function describeAwsError(service: string, error: unknown): string {
  const shape = asShape(error);
  const name = typeof shape.name === 'string' && shape.name !== '' ? shape.name : 'Error';
  const raw = typeof shape.message === 'string' ? shape.message : typeof error === 'object' ? '' : String(error);
  const message = raw.trim() === '' ? '(no message)' : raw;
  return `${service}: ${name}: ${message}`;
}

// ---------------------------------------------------------------------------------------------------------
// Bounded retry and pagination
// ---------------------------------------------------------------------------------------------------------

/** Bounded retry of throttled calls: capped exponential backoff with full jitter (see ../retry). */
export type RetryPolicy = Pick<RetryOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'sleep' | 'random'>;

export interface AdapterOptions {
  /**
   * Retry of throttled calls. It stacks on the SDK client's own retries: build the client with
   * `maxAttempts: 1` to make this the only bound.
   * @default { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2000, sleep: setTimeout, random: Math.random }
   */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Pages read per listing (one resource, one API) before stopping, so time and cost stay bounded.
   * @default 10
   */
  readonly maxPages?: number;
  /**
   * Items kept per listing before stopping.
   * @default 1000
   */
  readonly maxItems?: number;
}

export interface ResolvedAdapterOptions {
  readonly retry: RetryPolicy;
  readonly maxPages: number;
  readonly maxItems: number;
}

/** An integer option from 1 to `max`, or its default; a named error otherwise. */
export function integerOption(value: number | undefined, fallback: number, field: string, max: number): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < 1 || resolved > max) {
    throw new AdapterInputError(field, `an integer from 1 to ${max}`, value);
  }
  return resolved;
}

/** A finite number option of at least `min`, or its default; a named error otherwise. */
export function numberAtLeast(value: number | undefined, fallback: number, field: string, min: number): number {
  const resolved = value ?? fallback;
  if (!Number.isFinite(resolved) || resolved < min) throw new AdapterInputError(field, `a finite number >= ${min}`, value);
  return resolved;
}

/** Applies the documented defaults and validates every option. */
export function resolveAdapterOptions(options: AdapterOptions = {}): ResolvedAdapterOptions {
  const retry = options.retry ?? {};
  return {
    retry: {
      maxAttempts: integerOption(retry.maxAttempts, 3, 'options.retry.maxAttempts', 10),
      baseDelayMs: numberAtLeast(retry.baseDelayMs, 250, 'options.retry.baseDelayMs', 0),
      maxDelayMs: numberAtLeast(retry.maxDelayMs, 2_000, 'options.retry.maxDelayMs', 0),
      sleep: retry.sleep ?? sleepMs,
      random: retry.random ?? Math.random,
    },
    maxPages: integerOption(options.maxPages, 10, 'options.maxPages', 1_000),
    maxItems: integerOption(options.maxItems, 1_000, 'options.maxItems', 100_000),
  };
}

/** Facts about one collector run, returned with its result so a truncated look is never mistaken for a full one. */
export interface CollectionNotes {
  /** API calls made, retries included. */
  readonly calls: number;
  readonly throttledRetries: number;
  /** One line per listing that stopped at `maxPages` / `maxItems` while the API had more. */
  readonly capsHit: readonly string[];
  /** Configured resources the API did not know. */
  readonly missing: readonly string[];
  /** Set when the result is `unavailable` because of an API error. */
  readonly errorKind?: AwsErrorKind;
}

/** A `CollectorResult` plus the notes of the run (extra fields; still assignable to `CollectorResult`). */
export type CollectorReport = CollectorResult & { readonly details: CollectionNotes };

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken: string | undefined;
}

/** One run of API calls against one service: retries throttling, bounds pagination, keeps the notes. */
export class ApiSession {
  private calls = 0;
  private throttledRetries = 0;
  private readonly capsHit: string[] = [];
  private readonly missing: string[] = [];

  constructor(
    readonly service: string,
    private readonly options: ResolvedAdapterOptions,
  ) {}

  /** Calls `send`, retrying only throttling, at most `retry.maxAttempts` attempts; rethrows the last error. */
  call<T>(send: () => Promise<T>): Promise<T> {
    return withRetry(
      () => {
        this.calls++;
        return send();
      },
      {
        ...this.options.retry,
        isRetryable: (error) => classifyAwsError(error) === 'throttling',
        onRetry: () => {
          this.throttledRetries++;
        },
      },
    );
  }

  /**
   * Reads pages until the API has no more, `stopAt` says the rest is outside the window (that item is not
   * kept), or a cap is hit (noted under `label`). `maxItems` narrows the session's cap for this one listing.
   */
  async paginate<T>(
    label: string,
    fetchPage: (nextToken: string | undefined) => Promise<Page<T>>,
    stopAt?: (item: T) => boolean,
    maxItems: number = this.options.maxItems,
  ): Promise<T[]> {
    const { maxPages } = this.options;
    const items: T[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const token = nextToken;
      const page = await this.call(() => fetchPage(token));
      pages++;
      for (const item of page.items) {
        if (stopAt?.(item) === true) return items;
        if (items.length >= maxItems) {
          this.capsHit.push(`${label}: stopped at maxItems (${maxItems})`);
          return items;
        }
        items.push(item);
      }
      nextToken = page.nextToken;
      if (nextToken !== undefined && pages >= maxPages) {
        this.capsHit.push(`${label}: stopped at maxPages (${maxPages}) with ${items.length} items`);
        return items;
      }
    } while (nextToken !== undefined);
    return items;
  }

  noteMissing(resource: string): void {
    this.missing.push(resource);
  }

  notes(): CollectionNotes {
    return {
      calls: this.calls,
      throttledRetries: this.throttledRetries,
      capsHit: [...this.capsHit],
      missing: [...this.missing],
    };
  }
}

/**
 * Runs a collector body: its evidence becomes an `ok` result; any error (API, validation, bug) becomes
 * `unavailable` with `<service>: <error name>: <message>`, so the workflow goes on with the other sources.
 */
export async function collectSafely(
  source: EvidenceSource,
  session: ApiSession,
  body: () => Promise<readonly EvidenceItem[]>,
): Promise<CollectorReport> {
  try {
    const items = await body();
    return { source, status: 'ok', items, details: session.notes() };
  } catch (error) {
    return {
      source,
      status: 'unavailable',
      reason: describeAwsError(session.service, error),
      details: { ...session.notes(), errorKind: classifyAwsError(error) },
    };
  }
}

/** Splits `items` into chunks of at most `size` (API batch limits). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------------------------

/** An action was refused before (or instead of) its mutating call; nothing was changed. */
export class ActionRefusedError extends Error {
  constructor(
    readonly kind: ActionKind,
    readonly resource: string,
    readonly reason: string,
  ) {
    super(`refused ${kind} on ${JSON.stringify(resource)}: ${reason}`);
    this.name = 'ActionRefusedError';
  }
}

/** The action must be of this adapter's kind and allowed by the guards; anything else is refused. */
export function assertExecutable(action: PlannedAction, kind: ActionKind): void {
  if (action.kind !== kind) {
    throw new ActionRefusedError(kind, action.resource, `action.kind must be ${JSON.stringify(kind)}; got ${JSON.stringify(action.kind)}`);
  }
  if (!action.allowed) {
    const blockedBy = action.blockedBy.length > 0 ? action.blockedBy.join('; ') : 'no reason given';
    throw new ActionRefusedError(kind, action.resource, `the guards did not allow it (${blockedBy})`);
  }
}

export function stringParameter(action: PlannedAction, name: string, pattern: RegExp, allowed: string): string {
  const value = action.parameters[name];
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new ActionRefusedError(action.kind, action.resource, `parameters.${name} must be ${allowed}; got ${formatGiven(value)}`);
  }
  return value;
}

export function positiveIntegerParameter(action: PlannedAction, name: string): number {
  const value = action.parameters[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ActionRefusedError(action.kind, action.resource, `parameters.${name} must be an integer >= 1; got ${formatGiven(value)}`);
  }
  return value;
}

/**
 * Runs an action body. Its outcome becomes the `ActionResult`; an API error (after the session's bounded
 * retry of throttling) becomes outcome `failed` with the error's name and message. A refusal is rethrown:
 * it is a planning or guard problem, not an execution result.
 */
export async function executeSafely(
  session: ApiSession,
  action: PlannedAction,
  now: number,
  body: () => Promise<{ readonly outcome: ActionOutcome; readonly detail: string }>,
): Promise<ActionResult> {
  try {
    const { outcome, detail } = await body();
    return { action, outcome, detail, at: now };
  } catch (error) {
    if (error instanceof ActionRefusedError) throw error;
    return { action, outcome: 'failed', detail: describeAwsError(session.service, error), at: now };
  }
}
