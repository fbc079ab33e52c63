/** aws-local-stepfunctions 3.x calls Promise.withResolvers (Node 22+); Node 20 lacks it. Kept free of imports so test setup can load it cheaply. */
export function ensurePromiseWithResolvers(): void {
  type Resolvers = { promise: Promise<unknown>; resolve: (value: unknown) => void; reject: (reason?: unknown) => void };
  const promiseCtor = Promise as unknown as { withResolvers?: () => Resolvers };
  if (typeof promiseCtor.withResolvers === 'function') return;
  promiseCtor.withResolvers = (): Resolvers => {
    let settle: Pick<Resolvers, 'resolve' | 'reject'> | undefined;
    const promise = new Promise<unknown>((resolve, reject) => {
      settle = { resolve, reject };
    });
    return { promise, ...(settle as Pick<Resolvers, 'resolve' | 'reject'>) };
  };
}
