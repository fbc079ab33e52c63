import { planWarmup, warmupRank, WarmupBudgetError } from '../../lambda/domain/warmup';
import type { WarmupCandidate } from '../../lambda/domain/warmup';
import type { Severity } from '../../lambda/domain/model';
import { tenantState } from '../support/state-fixture';

/** A candidate costing `cost` datapoints whose stored level is `level` (null: no state stored). */
function candidate(tenant: string, cost: number, level: 'ok' | Severity | null): WarmupCandidate {
  return { tenant, cost, state: level === null ? null : tenantState({ tenant, level, activeRules: level === 'ok' ? [] : ['1h/5m'] }) };
}

describe('warmupRank', () => {
  it.each([
    ['a paging tenant', 'page', 0],
    ['a ticket tenant', 'ticket', 1],
    ['an ok tenant', 'ok', 2],
    ['a tenant with no stored state', null, 2],
  ] as const)('ranks %s %d', (_name, level, rank) => {
    // Prepare / Act / Assess
    expect(warmupRank(candidate('t', 1, level).state)).toBe(rank);
  });
});

describe('planWarmup', () => {
  const list = [candidate('a', 100, 'ok'), candidate('b', 100, null), candidate('c', 100, 'ticket'), candidate('d', 100, 'page'), candidate('e', 100, 'ok')];

  it.each([
    ['a budget for every tenant admits them all, alerting first', 500, true, ['d', 'c', 'a', 'b', 'e'], [], 500],
    ['a budget for two admits the page and the ticket', 200, true, ['d', 'c'], ['a', 'b', 'e'], 200],
    ['a budget a datapoint short of three admits two', 299, true, ['d', 'c'], ['a', 'b', 'e'], 200],
    ['a budget below one tenant admits the first anyway when progress is guaranteed', 10, true, ['d'], ['c', 'a', 'b', 'e'], 100],
    ['a budget below one tenant admits nobody without the guarantee', 10, false, [], ['d', 'c', 'a', 'b', 'e'], 0],
    ['a spent budget still admits one with the guarantee', 0, true, ['d'], ['c', 'a', 'b', 'e'], 100],
  ])('%s', (_name, budget, guaranteeOne, admitted, waiting, spent) => {
    // Act
    const plan = planWarmup(list, budget, guaranteeOne);

    // Assess
    expect(plan).toEqual({ admitted, waiting, spent });
  });

  it('stops at the first tenant that does not fit, so a cheaper one behind it does not jump the queue', () => {
    // Prepare: x (ok, 300) does not fit in 250; y (ok, 50) would, but it is behind x in the list.
    const candidates = [candidate('x', 300, 'ok'), candidate('y', 50, 'ok')];

    // Act
    const plan = planWarmup(candidates, 250, false);

    // Assess
    expect(plan).toEqual({ admitted: [], waiting: ['x', 'y'], spent: 0 });
  });

  it.each([[-1], [Number.NaN]])('refuses a budget of %p, naming it', (budget) => {
    // Act / Assess
    expect(() => planWarmup(list, budget, true)).toThrow(WarmupBudgetError);
    expect(() => planWarmup(list, budget, true)).toThrow(`budget must be a number of datapoints at least 0; got ${budget}`);
  });
});
