/** SDK-shaped service errors for the adapter tests, built with each client's own ServiceException class. */
import type { RetryPolicy } from '../../../lambda/adapters/collectors/common';

interface ServiceErrorOptions {
  name: string;
  $fault: 'client' | 'server';
  $metadata: { httpStatusCode?: number };
  message?: string;
}
type ServiceErrorClass<E> = new (options: ServiceErrorOptions) => E;

export function serviceError<E>(Exception: ServiceErrorClass<E>, name: string, httpStatusCode: number, message: string): E {
  return new Exception({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message });
}

/** Retry without waiting, so tests never sleep. */
export const NO_WAIT: Partial<RetryPolicy> = { sleep: async () => undefined, random: () => 0 };

/** 2026-01-15T12:00:00Z, the start of the window in the adapter tests. */
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
export const MIN = 60_000;
