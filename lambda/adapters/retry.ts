/**
 * Retries with capped exponential backoff and full jitter (delay = random * min(max, base * 2^(attempt-1))),
 * so many callers throttled at once spread out instead of retrying in lockstep.
 */

export interface RetryOptions {
  /** Attempts in total, the first one included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1). */
  readonly random: () => number;
  readonly isRetryable: (error: unknown) => boolean;
  /** Called before each retry's wait, e.g. to count throttled retries or log. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** Error names AWS uses for throttling. */
const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);
const SERVER_ERROR_NAMES: ReadonlySet<string> = new Set(['InternalServiceError', 'InternalFailure', 'ServiceUnavailable']);
const TIMEOUT_NAMES: ReadonlySet<string> = new Set(['TimeoutError', 'RequestTimeout', 'ECONNRESET', 'ETIMEDOUT']);

export const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function backoffDelayMs(attempt: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(options.random() * ceiling);
}

/**
 * Runs `fn` until it resolves, the error is not retryable, or `maxAttempts` is reached; then rethrows the
 * last error unchanged so callers see the service's own name and message.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  if (!(Number.isInteger(options.maxAttempts) && options.maxAttempts >= 1)) {
    throw new RangeError(`maxAttempts must be an integer of at least 1; got ${options.maxAttempts}`);
  }
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= options.maxAttempts || !options.isRetryable(error)) throw error;
      const delayMs = backoffDelayMs(attempt, options);
      options.onRetry?.(error, attempt, delayMs);
      await options.sleep(delayMs);
    }
  }
}

interface ErrorFacts {
  readonly names: readonly string[];
  readonly httpStatusCode: number | undefined;
}

/** Reads `name` / `code` / `Code` and `$metadata.httpStatusCode` from whatever was thrown. */
function errorFacts(error: unknown): ErrorFacts {
  if (typeof error !== 'object' || error === null) return { names: [], httpStatusCode: undefined };
  const record = error as Record<string, unknown>;
  const names = ['name', 'code', 'Code'].map((key) => record[key]).filter((value): value is string => typeof value === 'string');
  const metadata = record.$metadata;
  const status =
    typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>).httpStatusCode : undefined;
  return { names, httpStatusCode: typeof status === 'number' ? status : undefined };
}

export function isThrottlingError(error: unknown): boolean {
  return errorFacts(error).names.some((name) => THROTTLING_NAMES.has(name));
}

/** Throttling, server-side (5xx) errors and timeouts: worth another try. Validation and access errors are not. */
export function isRetryableAwsError(error: unknown): boolean {
  const facts = errorFacts(error);
  if (facts.httpStatusCode !== undefined && facts.httpStatusCode >= 500) return true;
  return facts.names.some((name) => THROTTLING_NAMES.has(name) || SERVER_ERROR_NAMES.has(name) || TIMEOUT_NAMES.has(name));
}

