/**
 * Grouping by a cause found after the fact, through the workflow's Analyse step and merge.ts, on the real DynamoDB
 * adapters (dynalite): a newer incident whose correlation suspects the resource an earlier open incident of the
 * SLO suspects merges into it, and its execution is left with nothing to act on.
 */
import { DynamoGuardStore } from '../../lambda/adapters/dynamo-guard-store';
import { DynamoStateStore } from '../../lambda/adapters/dynamo-state-store';
import type { AlertEvent } from '../../lambda/domain/alert-message';
import { mergedIntoOf, suspectedResourceOf } from '../../lambda/domain/cause-grouping';
import { openIncident, recoverTenant, resolveIfAllRecovered } from '../../lambda/domain/incident';
import { DEFAULT_MITIGATION_POLICY } from '../../lambda/domain/mitigation';
import { MINUTE_MS } from '../../lambda/domain/model';
import type { EvidenceItem, Incident, RuntimeConfig, SloDefinition } from '../../lambda/domain/model';
import type { Log, StateStore } from '../../lambda/ports';
import { analyseIncident } from '../../lambda/usecases/workflow/analyse';
import type { WorkflowRuntimeConfig } from '../../lambda/usecases/workflow/config';
import { EMPTY_SLO_RESOURCES } from '../../lambda/usecases/workflow/config';
import { IncidentMergeConflictError, notifyMerged } from '../../lambda/usecases/workflow/merge';
import type { MergedWorkflowState } from '../../lambda/usecases/workflow/merge';
import type { CollectorOutcome, WorkflowState } from '../../lambda/usecases/workflow/state';
import { INITIAL_PROGRESS, WorkflowPayloadError, parseNotifyPayload } from '../../lambda/usecases/workflow/state';
import { useLocalDynamo } from '../support/dynalite';
import { checkoutSlo, runtimeConfig } from '../support/faults';

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const slo: SloDefinition = checkoutSlo({ name: 'checkout', tenants: { mode: 'list', tenants: ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark'] } });
const runtime: RuntimeConfig = runtimeConfig(slo);
const config: WorkflowRuntimeConfig = {
  schemaVersion: 1,
  policy: { ...DEFAULT_MITIGATION_POLICY, mode: 'auto', allowlist: ['shop/prod'] },
  contextWindowMinutes: 30,
  maxRounds: 3,
  resources: { checkout: { ...EMPTY_SLO_RESOURCES, codedeploy: { deploymentGroups: [{ applicationName: 'shop', deploymentGroupName: 'prod' }] } } },
};

/** A deployment to `resource` started two minutes before `onset`, still in progress. */
function deploymentContext(resource: string, onset: number): CollectorOutcome[] {
  const item: EvidenceItem = { source: 'codedeploy', failureMode: 'deployment', resource, at: onset - 2 * MINUTE_MS, endedAt: null, summary: `deployment d-1A2B to ${resource} (InProgress)`, tenants: [], details: {} };
  return [
    {
      source: 'codedeploy',
      result: { source: 'codedeploy', status: 'ok', items: [item] },
      omittedItems: 0,
      notes: null,
      deployments: [{ id: 'd-1A2B', group: resource, status: 'InProgress' }],
      autoScalingGroups: [],
    },
  ];
}

function stateFor(incident: Incident, collected: CollectorOutcome[], onset = incident.openedAt - 2 * MINUTE_MS): WorkflowState {
  return {
    input: { incidentId: incident.id, slo: slo.name, severity: incident.severity, tenants: incident.tenants.map((t) => t.tenant), onsetAt: onset, openedAt: incident.openedAt },
    executionArn: `arn:aws:states:eu-west-1:123456789012:execution:burnwatch:${incident.id}`,
    settings: { waitAfterActionSeconds: 300 },
    progress: INITIAL_PROGRESS,
    collected,
  };
}

describe('grouping by a cause found after the fact', () => {
  const dynamo = useLocalDynamo('merge');

  /** Incident A (three tenants at T0) and B (umbrella, ten minutes later, following A), as the evaluator opens them. */
  async function setup(wrap: (store: StateStore) => StateStore = (s) => s) {
    const table = await dynamo.freshTable();
    const real = new DynamoStateStore(table.doc, table.name);
    const store = wrap(real);
    const guards = new DynamoGuardStore(table.doc, table.name);
    const open = (tenants: string[], at: number, previousIncidentId: string | null): Incident =>
      openIncident({ slo: slo.name, severity: 'page', tenants: tenants.map((tenant) => ({ tenant, level: 'page', burnRates: { '5': 20 }, budgetRemaining: 0.9 })), now: at, previousIncidentId });
    const a = open(['acme', 'globex', 'initech'], T0, null);
    const b = open(['umbrella'], T0 + 10 * MINUTE_MS, a.id);
    await real.createIncident(a);
    await real.createIncident(b);
    await real.putOpenIncidentPointer({ slo: slo.name, incidentId: b.id, openedAt: b.openedAt, version: 1 }, 0);
    const deps = { store, guards, metrics: { listTenants: async () => [] }, log: quiet };
    const analyse = (incident: Incident, resource: string, now: number) => analyseIncident(stateFor(incident, deploymentContext(resource, incident.openedAt)), runtime, config, deps, now);
    return { store: real, deps, a, b, analyse };
  }

  it('merges a tenant reached by the same deployment ten minutes later into the open incident, with no action of its own', async () => {
    // Prepare: A's workflow found the deployment first
    const { store, a, b, analyse } = await setup();
    const first = await analyse(a, 'shop/prod', T0 + MINUTE_MS);
    // Act
    const second: MergedWorkflowState = await analyse(b, 'shop/prod', T0 + 11 * MINUTE_MS);
    // Assess: A's execution keeps its rollback; B's has none and says where it went
    expect(first.progress.round.hasAction).toBe(true);
    expect(second.merged).toMatchObject({ into: a.id, resource: 'shop/prod', newTenants: ['umbrella'] });
    expect(second.analysis?.plan).toEqual([]);
    expect(second.progress.round).toMatchObject({ hasAction: false, action: null });
    const survivor = await store.getIncident(a.id);
    expect(survivor?.tenants.map((t) => t.tenant)).toEqual(['acme', 'globex', 'initech', 'umbrella']);
    expect(survivor?.tenants[3]).toMatchObject({ joinedAt: T0 + 10 * MINUTE_MS, recoveredAt: null });
    const merged = await store.getIncident(b.id);
    expect(merged?.status).toBe('resolved');
    expect(merged && mergedIntoOf(merged)).toBe(a.id);
    expect(await store.getOpenIncidentPointer(slo.name)).toMatchObject({ incidentId: a.id, openedAt: b.openedAt });
  });

  it('notes the suspected resource in the same write as the rest of the analysis', async () => {
    // Prepare
    const { store, a, analyse } = await setup();
    // Act
    await analyse(a, 'shop/prod', T0 + MINUTE_MS);
    // Assess
    const stored = await store.getIncident(a.id);
    expect(stored && suspectedResourceOf(stored)).toBe('shop/prod');
    expect(stored?.version).toBe(a.version + 1);
  });

  it('changes nothing more when Analyse is retried after the merge was written', async () => {
    // Prepare
    const { store, a, b, analyse } = await setup();
    await analyse(a, 'shop/prod', T0 + MINUTE_MS);
    await analyse(b, 'shop/prod', T0 + 11 * MINUTE_MS);
    const [survivorBefore, mergedBefore] = [await store.getIncident(a.id), await store.getIncident(b.id)];
    // Act
    const retried: MergedWorkflowState = await analyse(b, 'shop/prod', T0 + 12 * MINUTE_MS);
    // Assess: the survivor is untouched and the merge is recorded once on each side
    expect(retried.merged).toMatchObject({ into: a.id, newTenants: ['umbrella'] });
    const [survivor, merged] = [await store.getIncident(a.id), await store.getIncident(b.id)];
    expect(survivor?.version).toBe(survivorBefore?.version);
    expect(survivor?.timeline.filter((e) => e.step === 'incident-merged')).toHaveLength(1);
    expect(merged?.timeline.filter((e) => e.step === 'merged-into')).toHaveLength(1);
    expect(merged?.status).toBe(mergedBefore?.status);
  });

  it.each<[string, string, boolean]>([
    ['an unrelated burn suspecting another resource keeps its own incident', 'shop/canary', false],
    ['a burn suspecting the resource of an incident that has resolved keeps its own incident', 'shop/prod', true],
  ])('%s', async (_name, resource, resolveFirst) => {
    // Prepare
    const { store, a, b, analyse } = await setup();
    await analyse(a, 'shop/prod', T0 + MINUTE_MS);
    if (resolveFirst) {
      const current = (await store.getIncident(a.id)) as Incident;
      const done = resolveIfAllRecovered(['acme', 'globex', 'initech'].reduce((i, t) => recoverTenant(i, t, T0 + 8 * MINUTE_MS, 0.89), current), T0 + 8 * MINUTE_MS);
      await store.updateIncident({ ...done, version: current.version + 1 }, current.version);
    }
    // Act
    const state: MergedWorkflowState = await analyse(b, resource, T0 + 11 * MINUTE_MS);
    // Assess
    expect(state.merged).toBeUndefined();
    expect(state.progress.round.hasAction).toBe(resource === 'shop/prod');
    expect((await store.getIncident(b.id))?.status).toBe('open');
    expect((await store.getOpenIncidentPointer(slo.name))?.incidentId).toBe(b.id);
  });

  it('throws IncidentMergeConflictError when the survivor changes under every attempt', async () => {
    // Prepare: A analysed normally; then every write to A loses
    let conflicting = false;
    let survivorId = '';
    const { a, b, analyse } = await setup((real) =>
      new Proxy(real, {
        get(target, property, receiver) {
          if (property === 'updateIncident' && conflicting) {
            return async (next: Incident, expected: number) => (next.id === survivorId ? ('conflict' as const) : target.updateIncident(next, expected));
          }
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }),
    );
    survivorId = a.id;
    await analyse(a, 'shop/prod', T0 + MINUTE_MS);
    conflicting = true;
    // Act
    const act = analyse(b, 'shop/prod', T0 + 11 * MINUTE_MS);
    // Assess
    await expect(act).rejects.toThrow(IncidentMergeConflictError);
    await expect(act).rejects.toThrow(a.id);
  });

  it('announces the merge once, as escalated on the survivor naming the tenants that joined', async () => {
    // Prepare
    const { store, a, b, analyse } = await setup();
    await analyse(a, 'shop/prod', T0 + MINUTE_MS);
    const merged = await analyse(b, 'shop/prod', T0 + 11 * MINUTE_MS);
    const sent: AlertEvent[] = [];
    // Act
    await notifyMerged(merged, runtime, { store, alerts: { publish: async (event) => (sent.push(event), { messageId: 'm-1' }) }, log: quiet }, T0 + 11 * MINUTE_MS);
    // Assess
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ type: 'escalated', incident: { id: a.id }, newTenants: ['umbrella'] });
    expect(sent[0]?.tenants.map((t) => t.tenant)).toEqual(['acme', 'globex', 'initech', 'umbrella']);
    expect((await store.getIncident(a.id))?.timeline.at(-1)).toMatchObject({ step: 'notified', detail: expect.stringContaining(b.id) });
  });

  it.each<[string, unknown, string]>([
    ['without the merge', undefined, 'payload.state.merged: must be an object, got nothing'],
    ['naming no survivor', { resource: 'shop/prod', newTenants: ['umbrella'], reason: 'same deployment' }, 'payload.state.merged.into: must be a non-empty string, got nothing'],
    ['with a tenant that is not a name', { into: 'inc-a', resource: 'shop/prod', newTenants: [7], reason: 'same deployment' }, 'payload.state.merged.newTenants[0]: must be a non-empty string, got 7'],
  ])('refuses a merged notification %s, naming the field', (_case, merged, problem) => {
    // Prepare
    const incident = openIncident({ slo: slo.name, severity: 'page', tenants: [{ tenant: 'umbrella', level: 'page', burnRates: { '5': 20 }, budgetRemaining: 0.9 }], now: T0 });
    const analysis = { correlation: { suspectedCause: 'deployment', failureMode: 'deployment' }, plan: [], mode: 'auto', alertType: 'opened' };
    const state = { ...stateFor(incident, []), analysis, ...(merged === undefined ? {} : { merged }) };
    // Act
    const parse = () => parseNotifyPayload({ reason: 'merged', state });
    // Assess
    expect(parse).toThrow(WorkflowPayloadError);
    expect(parse).toThrow(problem);
  });
});
