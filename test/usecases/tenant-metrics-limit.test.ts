/**
 * Per-tenant metrics are billed custom metrics: one invocation publishes its worst `tenantMetricsLimit` tenants, and
 * a shard its part of that, so a sharded tick publishes about as many as one invocation would.
 */
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { MINUTE_MS } from '../../lambda/domain/model';
import { tenantsOfShard } from '../../lambda/domain/shards';
import { evaluateTick, newEvaluatorCache } from '../../lambda/usecases/evaluate-tick';
import type { TickOptions } from '../../lambda/usecases/evaluate-tick';
import { CHECKOUT_NAMESPACE, checkoutSlo, quietLog, recordingDeps, tickConfig } from '../support/tick-fixture';

const T0 = Date.UTC(2026, 10, 20, 0, 30, 0);
const TENANTS = Array.from({ length: 24 }, (_, index) => `tenant-${String(index).padStart(2, '0')}`);
const slo = checkoutSlo(TENANTS, 7);

/** The tenants whose per-tenant metrics one tick with `options` published. */
async function publishedTenants(options: TickOptions): Promise<string[]> {
  const cw = new LocalCloudWatch({ clock: () => T0 });
  const from = T0 - 8 * 24 * 60 * MINUTE_MS;
  const minutes = 8 * 24 * 60 + 30;
  TENANTS.forEach((tenant, index) => {
    const dims = { Service: 'checkout', TenantId: tenant };
    cw.putMinutes(CHECKOUT_NAMESPACE, 'Requests', dims, from, new Float64Array(minutes).fill(1_000));
    // A different error rate for every tenant, so the ranking by burn rate has no ties.
    cw.putMinutes(CHECKOUT_NAMESPACE, 'Errors', dims, from, new Float64Array(minutes).fill(index));
  });
  const metrics = new CloudWatchMetricSource(cw.client(), { sleep: async () => undefined, logger: quietLog });
  const documents: Record<string, unknown>[] = [];
  const deps = { ...recordingDeps(metrics).deps, emitMetrics: (emitted: readonly Record<string, unknown>[]) => documents.push(...emitted) };
  await evaluateTick(tickConfig(slo), deps, newEvaluatorCache(), T0, options);
  return documents.filter((document) => 'Tenant' in document).map((document) => document.Tenant as string);
}

describe('per-tenant metrics of a tick', () => {
  it.each([
    // tenants published (the worst by burn rate: the highest error counts), options
    ['one invocation, the default limit of 100', 24, {}],
    ['one invocation with a limit of 8', 8, { tenantMetricsLimit: 8 }],
    ['a shard of 4 with a limit of 8: ceil(8 / 4)', 2, { tenantMetricsLimit: 8, shard: { index: 1, count: 4 } }],
    ['a shard of 3 with a limit of 8: ceil(8 / 3)', 3, { tenantMetricsLimit: 8, shard: { index: 0, count: 3 } }],
  ] as const)('%s publishes %p tenants', async (_name, count, options) => {
    // Act
    const published = await publishedTenants(options);

    // Assess: as many as the limit allows, each the worst of the tenants evaluated
    const evaluated = 'shard' in options ? tenantsOfShard(TENANTS, options.shard) : TENANTS;
    const worst = [...evaluated].sort().reverse().slice(0, count);
    expect(published).toHaveLength(Math.min(count, evaluated.length));
    expect([...published].sort()).toEqual([...worst.slice(0, published.length)].sort());
  });
});
