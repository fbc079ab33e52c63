/**
 * Incident grouping of evaluator ticks on the real DynamoDB adapter (dynalite): this tick's transitions are given as
 * the evaluator hands them over, so each grouping rule of the spec is one tick or a few.
 */
import { DynamoStateStore } from '../../lambda/adapters/dynamo-state-store';
import type { AlertEvent } from '../../lambda/domain/alert-message';
import { absorbIncident, closeAsMerged } from '../../lambda/domain/incident';
import { MINUTE_MS, STATE_SCHEMA_VERSION } from '../../lambda/domain/model';
import type { AlertLevel, AlertTransition, Incident, RuntimeConfig, TenantAlertState, TenantEvaluation } from '../../lambda/domain/model';
import type { IncidentWorkflowInput, Log, StateStore, WorkflowStarter } from '../../lambda/ports';
import type { EvaluatorDeps } from '../../lambda/usecases/evaluate-tick';
import { IncidentWriteConflictError, applyIncidents } from '../../lambda/usecases/incident-grouping';
import type { PendingTransition } from '../../lambda/usecases/incident-grouping';
import { useLocalDynamo } from '../support/dynalite';
import { checkoutSlo, runtimeConfig } from '../support/faults';
import { identityEvaluation } from '../support/slo-fixture';

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'slowco', 'tyrell', 'cyberdyne'];
const slo = checkoutSlo({ tenants: { mode: 'list', tenants: TENANTS } });
const base = runtimeConfig(slo);
// Grouping interval 5 min; a burn on more than half of the SLO's tenants is one shared incident.
const config: RuntimeConfig = { ...base, evaluator: { ...base.evaluator, groupingIntervalMinutes: 5, groupingTenantShare: 0.5 } };
const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

class RecordingStarter implements WorkflowStarter {
  readonly names: string[] = [];
  async start(_input: IncidentWorkflowInput, executionName: string): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const alreadyStarted = this.names.includes(executionName);
    this.names.push(executionName);
    return { executionArn: `arn:aws:states:eu-west-1:123456789012:execution:wf:${executionName}`, alreadyStarted };
  }
  /** Distinct executions: what Step Functions would run, since a repeated name is answered as already started. */
  get executions(): string[] {
    return [...new Set(this.names)];
  }
}

function state(tenant: string, level: AlertLevel, incidentId: string | null, at: number, budgetRemaining = 0.9, version = 1): TenantAlertState {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    slo: slo.name,
    tenant,
    level,
    levelSince: level === 'ok' ? null : at,
    lastFiringAt: level === 'ok' ? null : at,
    activeRules: [],
    incidentId,
    burnRates: { '5': level === 'page' ? 20 : level === 'ticket' ? 2 : 0 },
    budgetRemaining,
    timeToExhaustionMinutes: null,
    updatedAt: at,
    version,
  };
}

/** Grouping reads only the identity of the evaluation. */
const evaluation = (tenant: string, at: number): TenantEvaluation => identityEvaluation(slo, tenant, at);

function starts(tenant: string, level: 'ticket' | 'page', at: number): PendingTransition {
  return { prev: state(tenant, 'ok', null, at - MINUTE_MS), next: state(tenant, level, null, at), transition: 'opened', evaluation: evaluation(tenant, at) };
}

function change(tenant: string, from: AlertLevel, to: AlertLevel, incidentId: string, at: number, budgetRemaining = 0.9): PendingTransition {
  const transition: AlertTransition = to === 'ok' ? 'resolved' : 'escalated';
  return {
    prev: state(tenant, from, incidentId, at - MINUTE_MS),
    next: state(tenant, to, to === 'ok' ? null : incidentId, at, budgetRemaining),
    transition,
    evaluation: evaluation(tenant, at),
  };
}

describe('applyIncidents', () => {
  const dynamo = useLocalDynamo('grouping');

  async function setup(wrap: (store: StateStore) => StateStore = (s) => s) {
    const table = await dynamo.freshTable();
    const real = new DynamoStateStore(table.doc, table.name);
    const store = wrap(real);
    const workflow = new RecordingStarter();
    const alerts: AlertEvent[] = [];
    const deps: EvaluatorDeps = { metrics: undefined as never, store, workflow, log: quiet, notifier: { publish: async (event) => alerts.push(event) } };
    const tick = (pending: readonly PendingTransition[], now: number) => applyIncidents(slo, config, deps, TENANTS.length, pending, now);
    return { store: real, workflow, alerts, tick };
  }

  async function incident(store: StateStore, id: string | undefined): Promise<Incident> {
    const found = await store.getIncident(id ?? '');
    if (found === null) throw new Error(`incident ${id} not found`);
    return found;
  }

  describe('the spec\'s grouping table', () => {
    it('groups three tenants burning within two minutes into one incident with one workflow execution', async () => {
      // Prepare
      const { store, workflow, tick } = await setup();
      // Act
      const first = await tick([starts('acme', 'page', T0)], T0);
      const second = await tick([starts('globex', 'page', T0 + MINUTE_MS)], T0 + MINUTE_MS);
      const third = await tick([starts('initech', 'page', T0 + 2 * MINUTE_MS)], T0 + 2 * MINUTE_MS);
      // Assess
      const id = first.opened[0];
      expect(second.joined).toEqual([id]);
      expect(third.joined).toEqual([id]);
      expect((await incident(store, id)).tenants.map((t) => t.tenant)).toEqual(['acme', 'globex', 'initech']);
      expect(workflow.executions).toEqual([id]);
    });

    it('opens its own incident for an unrelated tenant an hour later, linked to the previous one', async () => {
      // Prepare
      const { store, workflow, tick } = await setup();
      const first = await tick([starts('acme', 'page', T0)], T0);
      // Act
      const later = await tick([starts('stark', 'page', T0 + 60 * MINUTE_MS)], T0 + 60 * MINUTE_MS);
      // Assess
      expect(later.opened).toHaveLength(1);
      expect(later.opened[0]).not.toBe(first.opened[0]);
      const own = await incident(store, later.opened[0]);
      expect(own.timeline.find((e) => e.step === 'follows')?.detail).toMatch(new RegExp(`^${first.opened[0]}: `));
      expect(workflow.executions).toHaveLength(2);
    });

    it('keeps one incident and one execution when two ticks overlap on the same burns', async () => {
      // Prepare
      const { store, workflow, tick } = await setup();
      const burns = [starts('acme', 'page', T0), starts('globex', 'page', T0)];
      // Act
      const [a, b] = await Promise.all([tick(burns, T0), tick(burns, T0)]);
      // Assess
      const ids = new Set([...a.opened, ...a.joined, ...b.opened, ...b.joined]);
      expect(ids.size).toBe(1);
      const [id] = [...ids];
      expect(workflow.executions).toEqual([id]);
      expect((await incident(store, id)).tenants.map((t) => t.tenant)).toEqual(['acme', 'globex']);
    });

    it('keeps the incident open while others burn when one tenant recovers, and resolves it with the last', async () => {
      // Prepare
      const { store, alerts, tick } = await setup();
      const id = (await tick([starts('acme', 'page', T0), starts('globex', 'page', T0)], T0)).opened[0] ?? '';
      // Act
      const one = await tick([change('acme', 'page', 'ok', id, T0 + 20 * MINUTE_MS)], T0 + 20 * MINUTE_MS);
      const open = await incident(store, id);
      const last = await tick([change('globex', 'page', 'ok', id, T0 + 30 * MINUTE_MS)], T0 + 30 * MINUTE_MS);
      // Assess
      expect(one.resolved).toEqual([]);
      expect(open.status).toBe('open');
      expect(last.resolved).toEqual([id]);
      expect(alerts.map((a) => a.type)).toEqual(['resolved']);
    });

    it('lets a tenant joining later from a shared cause answer to the surviving incident after a merge', async () => {
      // Prepare: A (acme) and B (umbrella, ten minutes later) merged by the workflow into A
      const { store, alerts, tick } = await setup();
      const a = (await tick([starts('acme', 'page', T0)], T0)).opened[0] ?? '';
      const b = (await tick([starts('umbrella', 'page', T0 + 10 * MINUTE_MS)], T0 + 10 * MINUTE_MS)).opened[0] ?? '';
      const [stored, merged] = [await incident(store, a), await incident(store, b)];
      await store.updateIncident(absorbIncident(stored, merged, 'shop/prod', T0 + 11 * MINUTE_MS).incident, stored.version);
      await store.updateIncident(closeAsMerged(merged, a, 'shop/prod', T0 + 11 * MINUTE_MS), merged.version);
      // Act: acme recovers; then umbrella, whose state still names B
      await tick([change('acme', 'page', 'ok', a, T0 + 20 * MINUTE_MS)], T0 + 20 * MINUTE_MS);
      const last = await tick([change('umbrella', 'page', 'ok', b, T0 + 25 * MINUTE_MS, 0.88)], T0 + 25 * MINUTE_MS);
      // Assess
      expect(last.resolved).toEqual([a]);
      const survivor = await incident(store, a);
      expect(survivor.tenants.find((t) => t.tenant === 'umbrella')).toMatchObject({ recoveredAt: T0 + 25 * MINUTE_MS });
      expect(alerts.map((e) => `${e.type} ${e.incident.id}`)).toEqual([`resolved ${a}`]);
    });
  });

  describe('a tenant of an open incident escalating to page while a shared incident opens', () => {
    async function slowBurn() {
      const rig = await setup();
      const ticket = (await rig.tick([starts('slowco', 'ticket', T0 - 3 * 60 * MINUTE_MS)], T0 - 3 * 60 * MINUTE_MS)).opened[0] ?? '';
      return { ...rig, ticket };
    }
    const failover = (at: number) => ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark'].map((tenant) => starts(tenant, 'page', at));

    it('moves into the shared incident opened in the same tick: one page, and its ticket resolves as moved', async () => {
      // Prepare
      const { store, workflow, alerts, tick, ticket } = await slowBurn();
      // Act
      const outcome = await tick([...failover(T0), change('slowco', 'ticket', 'page', ticket, T0, 0.86)], T0);
      // Assess
      const shared = outcome.opened[0] ?? '';
      expect(outcome.incidentOf.get('slowco')).toBe(shared);
      expect((await incident(store, shared)).tenants.map((t) => t.tenant)).toContain('slowco');
      const old = await incident(store, ticket);
      expect(old.status).toBe('resolved');
      expect(old.timeline.find((e) => e.step === 'tenant-moved')?.detail).toMatch(new RegExp(`^${shared}: slowco moved there after 180 min here; lost 4\\.00%`));
      expect(workflow.executions).toEqual([ticket, shared]);
      expect(alerts.map((e) => `${e.type} ${e.incident.id}`)).toEqual([`resolved ${ticket}`]);
    });

    it('moves into a shared incident opened within the grouping interval and is named in its escalated alert', async () => {
      // Prepare
      const { store, workflow, alerts, tick, ticket } = await slowBurn();
      const shared = (await tick(failover(T0), T0)).opened[0] ?? '';
      // Act
      const outcome = await tick([change('slowco', 'ticket', 'page', ticket, T0 + 3 * MINUTE_MS, 0.86)], T0 + 3 * MINUTE_MS);
      // Assess
      expect(outcome.incidentOf.get('slowco')).toBe(shared);
      expect((await incident(store, ticket)).status).toBe('resolved');
      expect(workflow.executions).toEqual([ticket, shared]);
      const escalated = alerts.find((e) => e.type === 'escalated');
      expect(escalated?.incident.id).toBe(shared);
      expect(escalated?.newTenants).toEqual(['slowco']);
    });

    it('stays in its own incident and pages there when no shared incident is open', async () => {
      // Prepare
      const { store, workflow, tick, ticket } = await slowBurn();
      // Act
      const outcome = await tick([change('slowco', 'ticket', 'page', ticket, T0, 0.86)], T0);
      // Assess
      expect(outcome.incidentOf.get('slowco')).toBe(ticket);
      expect((await incident(store, ticket)).severity).toBe('page');
      expect(workflow.executions).toEqual([ticket, `${ticket}-page`]);
    });

    it('leaves its old incident open while its other tenants still burn there', async () => {
      // Prepare
      const { store, tick } = await setup();
      const ticket = (await tick([starts('slowco', 'ticket', T0 - 60 * MINUTE_MS), starts('tyrell', 'ticket', T0 - 60 * MINUTE_MS)], T0 - 60 * MINUTE_MS)).opened[0] ?? '';
      // Act
      await tick([...failover(T0), change('slowco', 'ticket', 'page', ticket, T0, 0.86)], T0);
      // Assess
      const old = await incident(store, ticket);
      expect(old.status).toBe('open');
      expect(old.tenants.find((t) => t.tenant === 'tyrell')?.recoveredAt).toBeNull();
    });
  });

  describe('conflicts', () => {
    it('throws IncidentWriteConflictError instead of dropping a recovery when every incident write conflicts', async () => {
      // Prepare: an incident opened normally, then a store whose incident updates always lose
      let conflicting = false;
      const { tick } = await setup((real) =>
        new Proxy(real, {
          get(target, property, receiver) {
            if (property === 'updateIncident' && conflicting) return async () => 'conflict' as const;
            const value: unknown = Reflect.get(target, property, receiver);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
      );
      const id = (await tick([starts('acme', 'page', T0), starts('globex', 'page', T0)], T0)).opened[0] ?? '';
      conflicting = true;
      // Act
      const act = tick([change('acme', 'page', 'ok', id, T0 + 20 * MINUTE_MS)], T0 + 20 * MINUTE_MS);
      // Assess
      await expect(act).rejects.toThrow(IncidentWriteConflictError);
      await expect(act).rejects.toThrow(id);
    });
  });
});
