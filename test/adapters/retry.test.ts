import { CloudWatchServiceException } from '@aws-sdk/client-cloudwatch';
import { backoffDelayMs, isRetryableAwsError, isThrottlingError, withRetry } from '../../lambda/adapters/retry';

function awsError(name: string, httpStatusCode: number): CloudWatchServiceException {
  return new CloudWatchServiceException({ name, message: `${name} happened`, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });
}

/** A sleep that records the waits and returns at once: no real time passes in these tests. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

describe('withRetry', () => {
  it('retries a throttled call and returns the result of the attempt that succeeds', async () => {
    // Prepare
    const { sleep, waits } = recordingSleep();
    const fn = jest
      .fn<Promise<string>, [number]>()
      .mockRejectedValueOnce(awsError('Throttling', 400))
      .mockRejectedValueOnce(awsError('ThrottlingException', 400))
      .mockResolvedValueOnce('answer');

    // Act
    const result = await withRetry(fn, { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 5000, sleep, random: () => 0.5, isRetryable: isRetryableAwsError });

    // Assess: full jitter waits random * min(max, base * 2^(attempt - 1)) = 0.5 * 100, then 0.5 * 200.
    expect(result).toBe('answer');
    expect(fn.mock.calls.map(([attempt]) => attempt)).toEqual([1, 2, 3]);
    expect(waits).toEqual([50, 100]);
  });

  it('gives up after maxAttempts and rethrows the last error unchanged', async () => {
    // Prepare
    const { sleep, waits } = recordingSleep();
    const last = awsError('Throttling', 400);
    const fn = jest.fn<Promise<string>, [number]>().mockRejectedValue(last);

    // Act
    const attempt = withRetry(fn, { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 5000, sleep, random: () => 0.5, isRetryable: isRetryableAwsError });

    // Assess
    await expect(attempt).rejects.toBe(last);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(waits).toHaveLength(2);
  });

  it('does not retry an error that is not retryable', async () => {
    // Prepare
    const { sleep, waits } = recordingSleep();
    const fn = jest.fn<Promise<string>, [number]>().mockRejectedValue(awsError('ValidationError', 400));

    // Act
    const attempt = withRetry(fn, { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 5000, sleep, random: () => 0.5, isRetryable: isRetryableAwsError });

    // Assess
    await expect(attempt).rejects.toThrow('ValidationError happened');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(waits).toEqual([]);
  });

  it('tells onRetry about each retry before waiting', async () => {
    // Prepare
    const { sleep } = recordingSleep();
    const onRetry = jest.fn();
    const throttled = awsError('Throttling', 400);
    const fn = jest.fn<Promise<string>, [number]>().mockRejectedValueOnce(throttled).mockResolvedValueOnce('ok');

    // Act
    await withRetry(fn, { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 5000, sleep, random: () => 0.25, isRetryable: isRetryableAwsError, onRetry });

    // Assess
    expect(onRetry).toHaveBeenCalledWith(throttled, 1, 25);
  });

  it('refuses maxAttempts below 1', async () => {
    // Act
    const attempt = withRetry(async () => 'x', { maxAttempts: 0, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined, random: () => 0, isRetryable: () => true });

    // Assess
    await expect(attempt).rejects.toThrow('maxAttempts must be an integer of at least 1; got 0');
  });
});

describe('backoffDelayMs', () => {
  it.each([
    { attempt: 1, random: 0.999, expected: Math.floor(0.999 * 100) },
    { attempt: 4, random: 0.5, expected: 0.5 * 100 * 2 ** 3 },
    // 100 * 2^9 = 51,200 is above the 5,000 ceiling.
    { attempt: 10, random: 0.5, expected: 0.5 * 5000 },
    { attempt: 3, random: 0, expected: 0 },
  ])('waits $expected ms before retry $attempt with random $random', ({ attempt, random, expected }) => {
    // Act
    const delay = backoffDelayMs(attempt, { baseDelayMs: 100, maxDelayMs: 5000, random: () => random });

    // Assess
    expect(delay).toBe(expected);
  });
});

describe('isRetryableAwsError', () => {
  const named = (name: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(name), { name, ...extra });

  it.each([
    { case: 'Throttling', error: awsError('Throttling', 400), retryable: true, throttling: true },
    { case: 'ThrottlingException', error: awsError('ThrottlingException', 400), retryable: true, throttling: true },
    { case: 'TooManyRequestsException', error: awsError('TooManyRequestsException', 429), retryable: true, throttling: true },
    { case: 'RequestLimitExceeded', error: awsError('RequestLimitExceeded', 400), retryable: true, throttling: true },
    { case: 'a 503 with any name', error: awsError('Unknown', 503), retryable: true, throttling: false },
    { case: 'InternalServiceError', error: named('InternalServiceError'), retryable: true, throttling: false },
    { case: 'ServiceUnavailable', error: named('ServiceUnavailable'), retryable: true, throttling: false },
    { case: 'a TimeoutError', error: named('TimeoutError'), retryable: true, throttling: false },
    { case: 'a reset connection (code ECONNRESET)', error: named('Error', { code: 'ECONNRESET' }), retryable: true, throttling: false },
    { case: 'a ValidationError', error: awsError('ValidationError', 400), retryable: false, throttling: false },
    { case: 'AccessDenied', error: awsError('AccessDenied', 403), retryable: false, throttling: false },
    { case: 'a plain TypeError', error: new TypeError('bug'), retryable: false, throttling: false },
    { case: 'a thrown string', error: 'Throttling', retryable: false, throttling: false },
  ])('treats $case as retryable: $retryable, throttling: $throttling', ({ error, retryable, throttling }) => {
    // Act
    const verdict = { retryable: isRetryableAwsError(error), throttling: isThrottlingError(error) };

    // Assess
    expect(verdict).toEqual({ retryable, throttling });
  });
});
