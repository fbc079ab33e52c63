/**
 * The workflow's steps one at a time, with the real DynamoDB adapters on dynalite and plain objects for the
 * other ports: the decisions each step makes that the end-to-end runs do not isolate.
 */
import { ActionRefusedError } from '../../lambda/adapters/collectors/common';
import { DynamoGuardStore } from '../../lambda/adapters/dynamo-guard-store';
import { DynamoStateStore } from '../../lambda/adapters/dynamo-state-store';
import type { AlertEvent } from '../../lambda/domain/alert-message';
import { appendTimeline, openIncident } from '../../lambda/domain/incident';
import { DEFAULT_MITIGATION_POLICY } from '../../lambda/domain/mitigation';
import { HOUR_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { ActionResult, CountSeries, EvidenceItem, Incident, PlannedAction, RuntimeConfig, SloDefinition } from '../../lambda/domain/model';
import type { CountsRequest, CountsResult, Log } from '../../lambda/ports';
import { actOnIncident } from '../../lambda/usecases/workflow/act';
import { analyseIncident, nextRound } from '../../lambda/usecases/workflow/analyse';
import { capEvidence, collectContext } from '../../lambda/usecases/workflow/collect';
import type { WorkflowRuntimeConfig } from '../../lambda/usecases/workflow/config';
import { EMPTY_SLO_RESOURCES } from '../../lambda/usecases/workflow/config';
import { notifyIncident } from '../../lambda/usecases/workflow/notify';
import type { ActionRunners, Collectors } from '../../lambda/usecases/workflow/ports';
import { FailureRecordingError, recordFailure } from '../../lambda/usecases/workflow/record';
import type { CollectorOutcome, WorkflowState } from '../../lambda/usecases/workflow/state';
import { INITIAL_PROGRESS, parseWorkflowState, WorkflowPayloadError } from '../../lambda/usecases/workflow/state';
import { validateRecovery } from '../../lambda/usecases/workflow/validate';
import { useLocalDynamo } from '../support/dynalite';
import { checkoutSlo, runtimeConfig } from '../support/faults';

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
const ONSET = T0 - 6 * MINUTE_MS;
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:burnwatch:run-1';
const OTHER_EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:burnwatch:run-0';
const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

const slo: SloDefinition = checkoutSlo({ name: 'checkout', tenants: { mode: 'list', tenants: ['acme', 'globex', 'initech', 'umbrella'] } });
const runtime: RuntimeConfig = runtimeConfig(slo);
const config: WorkflowRuntimeConfig = {
  schemaVersion: 1,
  policy: { ...DEFAULT_MITIGATION_POLICY, mode: 'auto', allowlist: ['shop/prod'] },
  contextWindowMinutes: 30,
  maxRounds: 3,
  resources: { checkout: { ...EMPTY_SLO_RESOURCES, codedeploy: { deploymentGroups: [{ applicationName: 'shop', deploymentGroupName: 'prod' }] } } },
};

/** Burn-rate factor from the Workbook: error ratio over the error budget. */
const burnRate = (bad: number, total: number): number => bad / total / 0.001;

function rollback(overrides: Partial<PlannedAction> = {}): PlannedAction {
  return {
    kind: 'codedeploy-rollback',
    resource: 'shop/prod',
    parameters: { deploymentId: 'd-1A2B', deploymentGroup: 'shop/prod', autoRollbackEnabled: true },
    allowed: true,
    blockedBy: [],
    requiresApproval: false,
    reason: 'stop deployment d-1A2B',
    ...overrides,
  };
}

function deploymentEvidence(at: number): EvidenceItem {
  return { source: 'codedeploy', failureMode: 'deployment', resource: 'shop/prod', at, endedAt: null, summary: 'deployment d-1A2B to shop/prod (InProgress)', tenants: [], details: {} };
}

const collected: CollectorOutcome[] = [
  {
    source: 'codedeploy',
    result: { source: 'codedeploy', status: 'ok', items: [deploymentEvidence(ONSET - 2 * MINUTE_MS)] },
    omittedItems: 0,
    notes: null,
    deployments: [{ id: 'd-1A2B', group: 'shop/prod', status: 'InProgress' }],
    autoScalingGroups: [],
  },
];

function stateFor(incident: Incident, overrides: Partial<WorkflowState> = {}): WorkflowState {
  return {
    input: { incidentId: incident.id, slo: slo.name, severity: incident.severity, tenants: incident.tenants.map((t) => t.tenant), onsetAt: ONSET, openedAt: incident.openedAt },
    executionArn: EXECUTION,
    settings: { waitAfterActionSeconds: 300 },
    progress: INITIAL_PROGRESS,
    collected,
    ...overrides,
  };
}

/** A state in round 1 with the rollback as its action, as Analyse leaves it. */
function roundOne(incident: Incident, action: PlannedAction = rollback()): WorkflowState {
  return stateFor(incident, {
    analysis: {
      correlation: { suspectedCause: 'deployment d-1A2B', failureMode: 'deployment', confidence: 0.7, ranked: [], unavailable: [], omittedCauses: 0 },
      plan: [action],
      mode: 'auto',
      alertType: 'opened',
      sloTenantCount: 4,
      analysedAt: T0,
    },
    progress: { ...INITIAL_PROGRESS, round: { number: 1, action, hasAction: true, needsApproval: action.requiresApproval, alertType: 'opened' } },
  });
}

describe('workflow steps', () => {
  const dynamo = useLocalDynamo('steps');

  async function setup(tenants: readonly string[] = ['acme'], incidentChange: (incident: Incident) => Incident = (i) => i) {
    const table = await dynamo.freshTable();
    const store = new DynamoStateStore(table.doc, table.name);
    const guards = new DynamoGuardStore(table.doc, table.name);
    const opened = openIncident({
      slo: slo.name,
      severity: 'page',
      tenants: tenants.map((tenant) => ({ tenant, level: 'page', burnRates: { '5': 20 }, budgetRemaining: 0.9 })),
      now: T0 - 2 * MINUTE_MS,
    });
    const changed = incidentChange(opened);
    const incident = { ...changed, version: 1 };
    await store.createIncident(incident);
    return { table, store, guards, incident };
  }

  describe('parseWorkflowState', () => {
    it('lists every problem of a malformed state with its path', () => {
      // Act
      const error = (() => {
        try {
          parseWorkflowState({ input: { incidentId: '', slo: 'checkout', severity: 'sev1', tenants: [], onsetAt: -1, openedAt: T0 }, settings: {}, progress: { round: {}, actions: {}, validations: [], decision: 'maybe' } }, 'Act');
        } catch (caught) {
          return caught as WorkflowPayloadError;
        }
        throw new Error('expected a WorkflowPayloadError');
      })();
      // Assess
      expect(error).toBeInstanceOf(WorkflowPayloadError);
      expect(error.problems).toEqual([
        'state.input.incidentId: must be a non-empty string, got ""',
        'state.input.severity: must be one of page | ticket, got "sev1"',
        'state.input.tenants: must be a non-empty list of tenant ids, got []',
        'state.input.onsetAt: must be epoch milliseconds, got -1',
        'state.executionArn: must be a non-empty string, got nothing',
        'state.settings.waitAfterActionSeconds: must be an integer >= 0, got nothing',
        'state.progress.round.number: must be an integer >= 0, got nothing',
        'state.progress.round.hasAction: must be true or false, got nothing',
        'state.progress.round.needsApproval: must be true or false, got nothing',
        'state.progress.round.alertType: must be one of opened | escalated, got nothing',
        'state.progress.actions: must be an array, got {}',
        'state.progress.decision: must be one of pending | recovered | next-round | escalate, got "maybe"',
      ]);
    });

    it('reads a round without an action (Step Functions drops nulls) as action null', async () => {
      // Prepare
      const { incident } = await setup();
      const raw = JSON.parse(JSON.stringify(stateFor(incident))) as { progress: { round: Record<string, unknown> } };
      delete raw.progress.round.action;
      // Act
      const state = parseWorkflowState(raw, 'Analyse', { collected: true });
      // Assess
      expect(state.progress.round.action).toBeNull();
    });
  });

  describe('collectContext', () => {
    it('reports a source with nothing mapped as not checked, without calling its collector', async () => {
      // Prepare
      const calls: string[] = [];
      const collectors = { rds: { collect: async () => { calls.push('rds'); throw new Error('not expected'); } } } as unknown as Collectors;
      const input = { incidentId: 'i-1', slo: 'checkout', severity: 'page' as const, tenants: ['acme'], onsetAt: ONSET, openedAt: T0 };
      // Act
      const outcome = await collectContext('rds', input, config, collectors, T0);
      // Assess
      expect(outcome.result).toEqual({ source: 'rds', status: 'unavailable', reason: 'no RDS instances or clusters are mapped to SLO checkout in workflow.resources' });
      expect(calls).toEqual([]);
    });

    it('asks the collector for [onset - context window, now), the incident tenants and the SLO scope', async () => {
      // Prepare
      const requests: unknown[] = [];
      const collectors = {
        codedeploy: { collect: async (request: unknown) => { requests.push(request); return { source: 'codedeploy', status: 'ok', items: [], details: { calls: 1, throttledRetries: 0, capsHit: [], missing: [] }, deployments: [] }; } },
      } as unknown as Collectors;
      const input = { incidentId: 'i-1', slo: 'checkout', severity: 'page' as const, tenants: ['acme', 'globex'], onsetAt: ONSET, openedAt: T0 };
      // Act
      await collectContext('codedeploy', input, config, collectors, T0);
      // Assess
      expect(requests).toEqual([{ from: ONSET - 30 * MINUTE_MS, to: T0, tenants: ['acme', 'globex'], scope: config.resources.checkout!.codedeploy }]);
    });

    it.each([
      // Offsets from the onset in minutes; the three closest are kept, in time order
      [[-50, -20, -3, 1, 40], 3, [-20, -3, 1], 2],
      [[-5, 5], 3, [-5, 5], 0],
    ])('keeps the evidence closest to the onset: %p, limit %p', (offsets, limit, kept, omitted) => {
      // Act
      const capped = capEvidence(offsets.map((m) => deploymentEvidence(ONSET + m * MINUTE_MS)), ONSET, limit);
      // Assess
      expect(capped.kept.map((item) => (item.at - ONSET) / MINUTE_MS)).toEqual(kept);
      expect(capped.omitted).toBe(omitted);
    });
  });

  describe('analyseIncident', () => {
    const deps = (store: DynamoStateStore, guards: DynamoGuardStore) => ({ store, guards, metrics: { listTenants: async () => [] }, log: quiet });

    it('plans the rollback as round 1 and records cause, plan and this execution on the incident', async () => {
      // Prepare
      const { store, guards, incident } = await setup();
      // Act
      const state = await analyseIncident(stateFor(incident), runtime, config, deps(store, guards), T0);
      // Assess
      expect(state.progress.round).toMatchObject({ number: 1, hasAction: true, needsApproval: false, action: { kind: 'codedeploy-rollback', resource: 'shop/prod', allowed: true } });
      const stored = await store.getIncident(incident.id);
      expect(stored).toMatchObject({ failureMode: 'deployment', executionArn: EXECUTION, version: incident.version + 1 });
      expect(stored?.suspectedCause).toContain('deployment d-1A2B to shop/prod');
    });

    it('announces an escalation when the incident was raised to page before this execution', async () => {
      // Prepare
      const { store, guards, incident } = await setup(['acme'], (i) => appendTimeline(i, T0 - MINUTE_MS, 'severity-raised', 'severity raised from ticket to page'));
      // Act
      const state = await analyseIncident(stateFor(incident), runtime, config, deps(store, guards), T0);
      // Assess
      expect(state.analysis?.alertType).toBe('escalated');
    });

    it('leaves round 1 without an action, and the owner in place, when another execution is mitigating the incident', async () => {
      // Prepare
      const { store, guards, incident } = await setup(['acme'], (i) => ({ ...i, status: 'mitigating', executionArn: OTHER_EXECUTION }));
      // Act
      const state = await analyseIncident(stateFor(incident), runtime, config, deps(store, guards), T0);
      // Assess
      expect(state.progress.round.hasAction).toBe(false);
      expect(state.analysis?.plan[0]?.blockedBy.some((blocked) => blocked.startsWith('already mitigating:'))).toBe(true);
      expect((await store.getIncident(incident.id))?.executionArn).toBe(OTHER_EXECUTION);
    });

    it('blocks every action when the operator turned the kill switch on', async () => {
      // Prepare
      const { store, guards, incident, table } = await setup();
      await table.putRaw({ pk: 'CONFIG', sk: 'KILL_SWITCH' }, { enabled: true, schemaVersion: 1 });
      // Act
      const state = await analyseIncident(stateFor(incident), runtime, config, deps(store, guards), T0);
      // Assess
      expect(state.progress.round.hasAction).toBe(false);
      expect(state.analysis?.plan[0]?.blockedBy).toEqual([expect.stringMatching(/^kill switch: on/)]);
    });
  });

  describe('nextRound', () => {
    const a = rollback({ resource: 'shop/a', parameters: { deploymentId: 'd-A', deploymentGroup: 'shop/a' } });
    const b = rollback({ resource: 'shop/b', parameters: { deploymentId: 'd-B', deploymentGroup: 'shop/b' } });
    const blocked = rollback({ resource: 'shop/c', allowed: false, blockedBy: ['allowlist: shop/c is not in the mitigation allowlist'] });
    const note: PlannedAction = { ...rollback(), kind: 'notify-only', resource: 'slo/checkout' };

    it.each([
      ['the first runnable action first', [note, blocked, a, b], [], 0, 3, 'shop/a'],
      ['the next untried action after a round', [a, b], [a], 1, 3, 'shop/b'],
      ['no action once every runnable one was tried', [a, blocked], [a], 1, 3, null],
      ['no action beyond maxRounds', [a, b], [a], 1, 1, null],
    ] as const)('picks %s', (_case, plan, tried, previous, maxRounds, resource) => {
      // Act
      const round = nextRound(plan, tried, previous, maxRounds, 'escalated');
      // Assess
      expect(round.number).toBe(previous + 1);
      expect(round.action?.resource ?? null).toBe(resource);
      expect(round.hasAction).toBe(resource !== null);
    });
  });

  describe('actOnIncident', () => {
    function runners(outcome: (action: PlannedAction, now: number) => Promise<ActionResult>): { runners: ActionRunners; calls: PlannedAction[] } {
      const calls: PlannedAction[] = [];
      const execute = async (action: PlannedAction, now: number): Promise<ActionResult> => {
        calls.push(action);
        return outcome(action, now);
      };
      return { runners: { 'codedeploy-rollback': { execute }, 'asg-scale-out': { execute } }, calls };
    }
    const succeeded = async (action: PlannedAction, now: number): Promise<ActionResult> => ({ action, outcome: 'succeeded', detail: 'stopped', at: now });

    it('runs the action, claims the incident for this execution and starts the cooldown', async () => {
      // Prepare
      const { store, guards, incident } = await setup();
      const { runners: actions, calls } = runners(succeeded);
      // Act
      const state = await actOnIncident(roundOne(incident), config, { store, guards, actions, log: quiet }, T0);
      // Assess
      expect(calls).toHaveLength(1);
      expect(state.progress.actions.map((result) => result.outcome)).toEqual(['succeeded']);
      expect(await guards.getLastActionAt('shop/prod')).toBe(T0);
      expect(await store.getIncident(incident.id)).toMatchObject({ status: 'mitigating', executionArn: EXECUTION });
    });

    it.each([
      ['the kill switch was turned on after the plan', async (s: Awaited<ReturnType<typeof setup>>) => s.table.putRaw({ pk: 'CONFIG', sk: 'KILL_SWITCH' }, { enabled: true, schemaVersion: 1 }), /^blocked now by kill switch: on/],
      ['another incident changed the resource within the cooldown', async (s: Awaited<ReturnType<typeof setup>>) => s.guards.recordAction('shop/prod', T0 - 5 * MINUTE_MS), /^blocked now by cooldown: shop\/prod was changed 5 min ago; the cooldown is 15 min/],
      ['the hourly quota is used up', async (s: Awaited<ReturnType<typeof setup>>) => {
        for (let i = 0; i < config.policy.maxActionsPerHour; i += 1) await s.guards.tryConsumeActionQuota(Math.floor(T0 / HOUR_MS) * HOUR_MS, config.policy.maxActionsPerHour);
      }, /^blocked now by rate limit: the account-wide limit of 3 actions per hour is used up/],
      ['another execution started mitigating', async (s: Awaited<ReturnType<typeof setup>>) => {
        const current = (await s.store.getIncident(s.incident.id))!;
        await s.store.updateIncident({ ...current, status: 'mitigating', executionArn: OTHER_EXECUTION, version: current.version + 1 }, current.version);
      }, /^blocked now by already mitigating/],
    ])('skips the action, changing nothing, when %s', async (_case, arrange, detail) => {
      // Prepare
      const setupResult = await setup();
      await arrange(setupResult);
      const { runners: actions, calls } = runners(succeeded);
      // Act
      const state = await actOnIncident(roundOne(setupResult.incident), config, { store: setupResult.store, guards: setupResult.guards, actions, log: quiet }, T0);
      // Assess
      expect(calls).toEqual([]);
      expect(state.progress.actions[0]?.outcome).toBe('skipped');
      expect(state.progress.actions[0]?.detail).toMatch(detail);
    });

    it('reports an action its adapter refuses as skipped, with the reason, and starts no cooldown', async () => {
      // Prepare
      const { store, guards, incident } = await setup();
      const { runners: actions } = runners(async (action) => {
        throw new ActionRefusedError(action.kind, action.resource, 'the deployment group was replaced since the plan');
      });
      // Act
      const state = await actOnIncident(roundOne(incident), config, { store, guards, actions, log: quiet }, T0);
      // Assess
      expect(state.progress.actions[0]).toMatchObject({ outcome: 'skipped', detail: 'refused: the deployment group was replaced since the plan' });
      expect(await guards.getLastActionAt('shop/prod')).toBeNull();
    });

    it('does not run an action needing approval when the reviewer answered approved=false', async () => {
      // Prepare
      const { store, guards, incident } = await setup();
      const state = roundOne(incident, rollback({ requiresApproval: true }));
      const answered: WorkflowState = { ...state, progress: { ...state.progress, round: { ...state.progress.round, approval: { approved: false, comment: 'freeze' } } } };
      const { runners: actions, calls } = runners(succeeded);
      // Act
      const after = await actOnIncident(answered, config, { store, guards, actions, log: quiet }, T0);
      // Assess
      expect(calls).toEqual([]);
      expect(after.progress.actions[0]?.detail).toBe('not approved: the reviewer answered approved=false (freeze)');
    });
  });

  describe('validateRecovery', () => {
    /** Per tenant: bad events per minute before and from `change` on; 1,000 requests a minute. */
    function metrics(badPerMinute: Record<string, { before: number; after: number }>, change: number, failures: Record<string, string> = {}) {
      return {
        fetchCounts: async (request: CountsRequest): Promise<CountsResult> => {
          const series = new Map<string, CountSeries>();
          for (const tenant of request.tenants) {
            if (failures[tenant] !== undefined) continue;
            const buckets = [];
            for (let start = request.from; start < request.to; start += MINUTE_MS) {
              const rate = badPerMinute[tenant] ?? { before: 0, after: 0 };
              buckets.push({ start, total: 1000, bad: start < change ? rate.before : rate.after });
            }
            series.set(tenant, { periodSeconds: 60, buckets });
          }
          return { series, failures: new Map(Object.entries(failures)), stats: { calls: 1, metricsRequested: 0, datapoints: 0, throttledRetries: 0 } };
        },
      };
    }
    // Validation at T0 + 5 min re-samples the 5m window [T0 - 1 min, T0 + 4 min): data delay 1 minute.
    const NOW = T0 + 5 * MINUTE_MS;
    const acted = (state: WorkflowState): WorkflowState => ({
      ...state,
      progress: { ...state.progress, actions: [{ action: rollback(), outcome: 'succeeded', detail: 'stopped', at: T0 }] },
    });

    it.each([
      // 20 bad/min before T0 (burn 20), none after: 20 bad of 5,000 in the window
      ['recovered: below the page factor and below the burn at open', { before: 20, after: 0 }, burnRate(20, 5000), true],
      // Still 20 bad/min: burn 20 >= 14.4
      ['not recovered: still at or above the page factor', { before: 20, after: 20 }, burnRate(100, 5000), false],
      // 5 bad/min before and 25 after the action: (5 + 4 x 25) / 5,000 -> 21, above 14.4
      ['not recovered: burning harder after the action', { before: 5, after: 25 }, burnRate(5 + 4 * 25, 5000), false],
    ])('judges a tenant %s', async (_case, bad, expectedBurn, recovered) => {
      // Prepare
      const { store, guards, incident } = await setup();
      // Act
      const state = await validateRecovery(acted(roundOne(incident)), runtime, config, { store, guards, metrics: metrics({ acme: bad }, T0), log: quiet }, NOW);
      // Assess
      const record = state.progress.validations[0]!;
      expect(record.rule).toBe('1h/5m');
      expect(record.threshold).toBeCloseTo(14.4, 6);
      expect(record.samples[0]?.burnRate).toBeCloseTo(expectedBurn, 6);
      expect(record.samples[0]?.recovered).toBe(recovered);
    });

    it('counts a tenant below the page factor but burning faster than at open as not recovered', async () => {
      // Prepare: opened at burn 5; now (5 + 4 x 10) / 5,000 -> 9, below 14.4 but above 5
      const { store, guards, incident } = await setup(['acme'], (i) => ({ ...i, tenants: i.tenants.map((t) => ({ ...t, burnRates: { '5': 5 } })) }));
      // Act
      const state = await validateRecovery(acted(roundOne(incident)), runtime, config, { store, guards, metrics: metrics({ acme: { before: 5, after: 10 } }, T0), log: quiet }, NOW);
      // Assess
      const [sample] = state.progress.validations[0]!.samples;
      expect(sample?.burnRate).toBeCloseTo(burnRate(5 + 4 * 10, 5000), 6);
      expect(sample?.recovered).toBe(false);
      expect(sample?.reason).toContain('higher than at open');
    });

    it('requires every tenant to recover, and counts one whose metrics failed as not recovered', async () => {
      // Prepare
      const { store, guards, incident } = await setup(['acme', 'globex']);
      const source = metrics({ acme: { before: 20, after: 0 } }, T0, { globex: 'Forbidden: no access' });
      // Act
      const state = await validateRecovery(acted(roundOne(incident)), runtime, { ...config, maxRounds: 1 }, { store, guards, metrics: source, log: quiet }, NOW);
      // Assess
      const record = state.progress.validations[0]!;
      expect(record).toMatchObject({ recovered: false, tenantsRecovered: 1, tenantsTotal: 2 });
      expect(record.samples[0]).toMatchObject({ tenant: 'globex', recovered: false, reason: 'metrics unavailable: Forbidden: no access' });
      expect(state.progress.decision).toBe('escalate');
      expect(await guards.getActionStats('deployment')).toEqual([{ failureMode: 'deployment', kind: 'codedeploy-rollback', attempts: 1, recoveries: 0, totalRecoveryMinutes: 0 }]);
    });

    it('moves to the next planned action while rounds are left', async () => {
      // Prepare
      const { store, guards, incident } = await setup();
      const second = rollback({ resource: 'shop/canary', parameters: { deploymentId: 'd-9Z', deploymentGroup: 'shop/canary' }, requiresApproval: true });
      const state = acted(roundOne(incident));
      const withPlan: WorkflowState = { ...state, analysis: { ...state.analysis!, plan: [rollback(), second] } };
      // Act
      const after = await validateRecovery(withPlan, runtime, config, { store, guards, metrics: metrics({ acme: { before: 20, after: 20 } }, T0), log: quiet }, NOW);
      // Assess
      expect(after.progress.decision).toBe('next-round');
      expect(after.progress.round).toMatchObject({ number: 2, hasAction: true, needsApproval: true, alertType: 'escalated', action: { resource: 'shop/canary' } });
    });
  });

  describe('notify and failures', () => {
    it('raises the incident to page when the burn did not recover', async () => {
      // Prepare
      const { store, incident } = await setup(['acme'], (i) => ({ ...i, severity: 'ticket', tenants: i.tenants.map((t) => ({ ...t, level: 'ticket' })) }));
      const sent: AlertEvent[] = [];
      const alerts = { publish: async (event: AlertEvent) => { sent.push(event); return { messageId: 'm-1' }; } };
      // Act
      await notifyIncident('not-recovered', roundOne(incident), runtime, { store, alerts, log: quiet }, T0);
      // Assess
      expect(sent.map((event) => [event.type, event.incident.severity])).toEqual([['escalated', 'page']]);
      const stored = await store.getIncident(incident.id);
      expect(stored?.severity).toBe('page');
      expect(stored?.timeline.map((entry) => entry.step)).toEqual(['opened', 'escalated', 'notified']);
    });

    it('tries every part of recording a failure and then lists each part that failed', async () => {
      // Prepare
      const { store, incident } = await setup();
      const state = { ...roundOne(incident), failure: { step: 'Act', error: 'TypeError', cause: 'x is undefined' } };
      const alerts = { publish: async (): Promise<{ messageId: string }> => { throw new Error('SNS is down'); } };
      const forensics = { write: async (): Promise<never> => { throw new Error('S3 is down'); } };
      // Act
      const error = await recordFailure(state, runtime, { store, alerts, forensics, log: quiet }, T0).then(
        () => { throw new Error('expected recordFailure to throw'); },
        (caught: unknown) => caught as FailureRecordingError,
      );
      // Assess
      expect(error).toBeInstanceOf(FailureRecordingError);
      expect(error.problems).toEqual(['alert: Error: SNS is down', 'forensic bundle: Error: S3 is down']);
      expect((await store.getIncident(incident.id))?.timeline.find((entry) => entry.step === 'workflow-failed')?.detail).toBe('Act: TypeError: x is undefined');
    });
  });
});
