import { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import type { Log } from '../ports';

/** One Powertools Logger per function, seen by the use cases through the small `Log` port. */
export function createLogger(serviceName: string, persistentKeys: Record<string, string> = {}): { logger: Logger; log: Log } {
  const logger = new Logger({ serviceName, persistentKeys });
  const attrs = (data: Record<string, unknown> | undefined): LogAttributes => (data ?? {}) as LogAttributes;
  const log: Log = {
    info: (message, data) => logger.info(message, attrs(data)),
    warn: (message, data) => logger.warn(message, attrs(data)),
    error: (message, data) => logger.error(message, attrs(data)),
  };
  return { logger, log };
}
