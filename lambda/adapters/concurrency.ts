/**
 * Runs async work over a list with at most `limit` calls in flight, so a large SLO does not open hundreds
 * of GetMetricData calls at once (and get throttled for it).
 */

/**
 * Maps `items` through `fn` with at most `limit` calls running at a time. Results keep the order of
 * `items`. The first rejection rejects the whole map; no new item starts after it.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!(Number.isInteger(limit) && limit >= 1)) {
    throw new RangeError(`limit must be an integer of at least 1; got ${limit}`);
  }
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
