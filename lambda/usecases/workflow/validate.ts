/**
 * Step 6: after the action has had time to work, re-samples the incident's tenants with the evaluator's own code
 * (MetricSource fetch, evaluateTenant) and decides. Recovered means every tenant's burn in the short window of the
 * fastest page rule (1h/5m in the Workbook policy) is below that rule's burn rate and not higher than when the
 * tenant joined the incident: the short window is the one that reacts within minutes of a fix. A tenant whose
 * metrics could not be read counts as not recovered.
 *
 * Each action that took effect teaches the guard store whether it worked (attempts, recoveries, minutes to recover).
 */
import type { BurnRateRule, CountSeries, RuntimeConfig, SloDefinition } from '../../domain/model';
import { MINUTE_MS } from '../../domain/model';
import { evaluateTenant } from '../../domain/rules';
import type { GuardStore, Log, MetricSource, StateStore } from '../../ports';
import { evaluationEnd, fineHorizonMinutes, finePeriodSeconds, sloEvaluationEnd } from '../evaluate-tick';
import { nextRound, sloNamed } from './analyse';
import type { WorkflowRuntimeConfig } from './config';
import { readIncident, recordOnTimeline } from './incident-record';
import type { TenantBurnSample, ValidationRecord, WorkflowDecision, WorkflowState } from './state';
import { MAX_SAMPLED_TENANTS, WorkflowStateError } from './state';

export interface ValidateDeps {
  readonly store: StateStore;
  readonly guards: GuardStore;
  readonly metrics: Pick<MetricSource, 'fetchCounts'>;
  readonly log: Log;
}

const NO_TRAFFIC: CountSeries = { periodSeconds: 60, buckets: [] };

/** The page rule with the shortest long window (the fastest to react); any rule when the SLO has no page rule. */
export function validationRule(slo: SloDefinition): BurnRateRule {
  const byLongWindow = [...slo.rules].sort((a, b) => a.longWindowMinutes - b.longWindowMinutes);
  const rule = byLongWindow.find((candidate) => candidate.severity === 'page') ?? byLongWindow[0];
  if (rule === undefined) throw new WorkflowStateError(`SLO ${slo.name} has no burn-rate rules to validate against`);
  return rule;
}

/** Re-samples every tenant of the incident as of `now`; samples are sorted worst first. */
export async function resampleBurn(
  slo: SloDefinition,
  tenants: readonly string[],
  burnAtOpen: ReadonlyMap<string, number | null>,
  runtime: RuntimeConfig,
  metrics: Pick<MetricSource, 'fetchCounts'>,
  now: number,
): Promise<{ rule: BurnRateRule; evaluatedAt: number; samples: TenantBurnSample[] }> {
  const rule = validationRule(slo);
  // Windows end on a whole slice for a time-slice SLO, as the evaluator's do.
  const end = sloEvaluationEnd(slo, evaluationEnd(now, runtime.evaluator.dataDelayMinutes));
  // Fine data only: the short windows decide, so the hourly tier the evaluator keeps for long windows is not needed.
  const from = end - fineHorizonMinutes(slo) * MINUTE_MS;
  const fetched = await metrics.fetchCounts({ slo, tenants, from, to: end, periodSeconds: finePeriodSeconds(slo) });
  const samples = tenants.map((tenant): TenantBurnSample => {
    const atOpen = burnAtOpen.get(tenant) ?? null;
    const failure = fetched.failures.get(tenant);
    if (failure !== undefined) return { tenant, burnRate: 0, burnRateAtOpen: atOpen, recovered: false, reason: `metrics unavailable: ${failure}` };
    const evaluation = evaluateTenant({
      slo,
      tenant,
      counts: { fine: fetched.series.get(tenant) ?? NO_TRAFFIC, fineFrom: from, coarse: null },
      evaluatedAt: end,
      previouslyActiveRules: [],
    });
    const burnRate = evaluation.rules.find((result) => result.rule.name === rule.name)?.shortBurnRate ?? 0;
    const below = burnRate < rule.burnRate;
    const rising = atOpen !== null && burnRate > atOpen;
    const reason = !below
      ? `short window burn ${burnRate.toFixed(2)} is at or above ${rule.burnRate}`
      : rising
        ? `short window burn ${burnRate.toFixed(2)} is below ${rule.burnRate} but higher than at open (${atOpen.toFixed(2)})`
        : `short window burn ${burnRate.toFixed(2)} is below ${rule.burnRate}${atOpen === null ? '' : ` and not above ${atOpen.toFixed(2)} at open`}`;
    return { tenant, burnRate, burnRateAtOpen: atOpen, recovered: below && !rising, reason };
  });
  samples.sort((a, b) => Number(a.recovered) - Number(b.recovered) || b.burnRate - a.burnRate || a.tenant.localeCompare(b.tenant));
  return { rule, evaluatedAt: end, samples };
}

export async function validateRecovery(
  state: WorkflowState,
  runtime: RuntimeConfig,
  config: WorkflowRuntimeConfig,
  deps: ValidateDeps,
  now: number,
): Promise<WorkflowState> {
  const { input, progress, analysis } = state;
  if (analysis === undefined) throw new WorkflowStateError('Validate needs the analysis (state.analysis)');
  const slo = sloNamed(runtime, input.slo);
  const incident = await readIncident(deps.store, input.incidentId);
  const rule = validationRule(slo);
  const windowKey = String(rule.shortWindowMinutes);
  const burnAtOpen = new Map(incident.tenants.map((member) => [member.tenant, member.burnRates[windowKey] ?? null]));
  const tenants = [...new Set(input.tenants)];
  const resampled = await resampleBurn(slo, tenants, burnAtOpen, runtime, deps.metrics, now);
  const recoveredCount = resampled.samples.filter((sample) => sample.recovered).length;
  const recovered = recoveredCount === tenants.length;

  // Only an action that took effect is credited (or blamed): a skipped or failed one says nothing about the kind.
  const last = progress.actions[progress.actions.length - 1];
  if (last !== undefined && last.outcome === 'succeeded') {
    await deps.guards.recordActionOutcome(analysis.correlation.failureMode, last.action.kind, recovered, Math.max(0, (now - last.at) / MINUTE_MS));
  }

  const record: ValidationRecord = {
    round: progress.round.number,
    at: now,
    evaluatedAt: resampled.evaluatedAt,
    rule: rule.name,
    shortWindowMinutes: rule.shortWindowMinutes,
    threshold: rule.burnRate,
    recovered,
    tenantsRecovered: recoveredCount,
    tenantsTotal: tenants.length,
    samples: resampled.samples.slice(0, MAX_SAMPLED_TENANTS),
    omittedTenants: Math.max(0, resampled.samples.length - MAX_SAMPLED_TENANTS),
  };
  const next = nextRound(analysis.plan, progress.actions.map((result) => result.action), progress.round.number, config.maxRounds, 'escalated');
  const decision: WorkflowDecision = recovered ? 'recovered' : next.hasAction ? 'next-round' : 'escalate';
  const worst = resampled.samples[0];
  const detail =
    `round ${record.round}: ${recoveredCount} of ${tenants.length} tenant(s) recovered on ${rule.name}` +
    `${worst !== undefined && !worst.recovered ? `; worst ${worst.tenant}: ${worst.reason}` : ''}; decision ${decision}`;
  await recordOnTimeline(deps.store, input.incidentId, now, [['validated', detail]]);
  deps.log.info('Recovery validated', { incidentId: input.incidentId, round: record.round, recovered, tenantsRecovered: recoveredCount, decision });

  return {
    ...state,
    progress: {
      ...progress,
      validations: [...progress.validations, record],
      decision,
      round: decision === 'next-round' ? next : progress.round,
    },
  };
}
