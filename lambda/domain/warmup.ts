/**
 * Which cold tenants a tick warms when it cannot warm them all. A cold tenant (new container, new to the list, or
 * out of step) needs its whole fine horizon and its period's hourly series: about 2,300 datapoints with the default
 * policy. CloudWatch serves GetMetricData at most 396,000 datapoints a second per account (180,000 for StartTime
 * within 3 hours), so at 10,000 tenants a full cold read is about a minute of the account's quota and at 100,000
 * about ten: the tick reads what its budget allows and the rest wait for the next tick.
 *
 * Order: tenants with an open alert first (a page before a ticket), so what is burning is evaluated, escalated or
 * resolved first; then the others in list order (stable, so each tick continues where the last one stopped).
 */
import type { Severity, TenantAlertState } from './model';

export interface WarmupCandidate {
  readonly tenant: string;
  /** Datapoints its cold read costs (both tiers as needed). */
  readonly cost: number;
  /** Its stored state, or null when none was found (a new tenant) or it could not be read. */
  readonly state: TenantAlertState | null;
}

export interface WarmupPlan {
  /** Cold tenants to read and evaluate this tick, in the order chosen. */
  readonly admitted: readonly string[];
  /** Cold tenants left for a later tick. */
  readonly waiting: readonly string[];
  /** Datapoints the admitted tenants cost. */
  readonly spent: number;
}

/** The budget a warm-up cannot work with. */
export class WarmupBudgetError extends Error {
  constructor(
    readonly field: string,
    readonly given: unknown,
  ) {
    super(`${field} must be a number of datapoints at least 0; got ${String(given)}`);
    this.name = 'WarmupBudgetError';
  }
}

const LEVEL_RANK: Readonly<Record<Severity, number>> = { page: 0, ticket: 1 };

/** Lower goes first: an alerting tenant by its level, then any other. */
export function warmupRank(state: TenantAlertState | null): number {
  if (state === null || state.level === 'ok') return 2;
  return LEVEL_RANK[state.level];
}

/**
 * Admits cold tenants in rank order (list order within a rank) while their costs fit in `budget`; the first that
 * does not fit ends the admission, so a cheaper tenant never jumps the queue. When `guaranteeOne` is set and nothing
 * fit, the first tenant is admitted anyway: each tick makes progress however small the budget.
 */
export function planWarmup(candidates: readonly WarmupCandidate[], budget: number, guaranteeOne: boolean): WarmupPlan {
  if (!(budget >= 0)) throw new WarmupBudgetError('budget', budget);
  const ordered = candidates
    .map((candidate, index) => ({ candidate, index, rank: warmupRank(candidate.state) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index);
  const admitted: string[] = [];
  const waiting: string[] = [];
  let spent = 0;
  for (const { candidate } of ordered) {
    const fits = waiting.length === 0 && (spent + candidate.cost <= budget || (guaranteeOne && admitted.length === 0));
    if (fits) {
      admitted.push(candidate.tenant);
      spent += candidate.cost;
    } else {
      waiting.push(candidate.tenant);
    }
  }
  return { admitted, waiting, spent };
}
