/** A valid configuration like examples/burnwatch.yaml; each test copies it and breaks or changes one thing. */
import type { RatioSli, SloDefinition } from '../../lambda/domain/model';
import type { BurnwatchProps, SloProps } from '../../lib/config/props';

export function validSlo(overrides: Partial<SloProps> = {}): SloProps {
  return {
    name: 'api-availability',
    objective: 99.9,
    sli: {
      namespace: 'MyService',
      tenantDimension: 'TenantId',
      metrics: {
        requests: { metricName: 'Requests', stat: 'Sum' },
        errors5xx: { metricName: 'Errors5xx', stat: 'Sum' },
        timeouts: { metricName: 'Timeouts', stat: 'Sum' },
      },
      bad: 'errors5xx + timeouts',
      total: 'requests',
    },
    ...overrides,
  };
}

export function validProps(overrides: Partial<BurnwatchProps> = {}): BurnwatchProps {
  return { slos: [validSlo()], ...overrides };
}

/** A deep copy as plain data, so a test can break any field without touching the fixture's types. */
export function mutableProps(): Record<string, any> {
  return JSON.parse(JSON.stringify(validProps())) as Record<string, any>;
}

/** Burn-rate factor straight from the SRE Workbook: budget share x period / long window. */
export function workbookBurnRate(budgetPercent: number, longWindowMinutes: number, periodDays: number): number {
  return ((budgetPercent / 100) * periodDays * 24 * 60) / longWindowMinutes;
}

/** The error an action throws; fails the test when it throws nothing. Runs the action once (constructs cannot be re-added). */
export function thrownBy(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the action to throw');
}

/** The SLO's ratio SLI; fails the test when it is a threshold SLI. */
export function ratioSliOf(slo: SloDefinition): RatioSli {
  if (slo.sli.kind !== 'ratio') throw new Error(`expected a ratio SLI, got ${slo.sli.kind}`);
  return slo.sli;
}
