import { openIncident } from '../../lambda/domain/incident';
import {
  DEFAULT_MITIGATION_POLICY,
  MitigationPolicyError,
  NOT_GUARDED,
  learnedSuccessRate,
  planMitigations,
  scaleOutStep,
  validateMitigationPolicy,
} from '../../lambda/domain/mitigation';
import type { AutoScalingGroupResource, DeploymentResource, MitigationPolicy, PlanInput } from '../../lambda/domain/mitigation';
import type { ActionKind, ActionStats, Correlation, EvidenceItem, FailureMode, Incident } from '../../lambda/domain/model';
import { MINUTE_MS } from '../../lambda/domain/model';

const NOW = Date.UTC(2024, 4, 1, 12, 0);
const ASG_ARN = 'arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/api-asg';

function incidentWith(tenantCount: number): Incident {
  const tenants = Array.from({ length: tenantCount }, (_, i) => ({
    tenant: `tenant-${i}`,
    level: 'page' as const,
    burnRates: { '5': 20 },
    budgetRemaining: 0.9,
  }));
  return openIncident({ slo: 'checkout-availability', severity: 'page', tenants, now: NOW });
}

function item(failureMode: FailureMode, resource: string, tenants: readonly string[] = []): EvidenceItem {
  return {
    source: failureMode === 'deployment' ? 'codedeploy' : 'autoscaling',
    failureMode,
    resource,
    at: NOW - 2 * MINUTE_MS,
    endedAt: null,
    summary: `${failureMode} on ${resource}`,
    tenants,
    details: {},
  };
}

function correlationOf(failureMode: FailureMode, items: readonly EvidenceItem[]): Correlation {
  return {
    suspectedCause: items[0] ? `${items[0].summary} 2 min before onset; 3 of 47 tenants` : 'unknown',
    failureMode,
    confidence: items.length > 0 ? 0.8 : 0,
    ranked: items.map((evidence, index) => ({ evidence, score: 0.9 - index * 0.01, reasons: [] })),
  };
}

function asg(overrides: Partial<AutoScalingGroupResource> = {}): AutoScalingGroupResource {
  return { name: 'api-asg', arn: ASG_ARN, desired: 8, min: 2, max: 10, ...overrides };
}

function policyWith(overrides: Partial<MitigationPolicy> = {}, scaleOut: Partial<MitigationPolicy['scaleOut']> = {}): MitigationPolicy {
  return {
    ...DEFAULT_MITIGATION_POLICY,
    mode: 'auto',
    ...overrides,
    scaleOut: { ...DEFAULT_MITIGATION_POLICY.scaleOut, ceilingByResource: { 'api-asg': 40 }, ...scaleOut },
  };
}

function plan(overrides: Partial<PlanInput>): PlanInput {
  return {
    correlation: correlationOf('deployment', [item('deployment', 'api-prod')]),
    incident: incidentWith(3),
    policy: policyWith(),
    resources: { deployments: [], autoScalingGroups: [] },
    history: [],
    ...overrides,
  };
}

describe('planMitigations: deployment', () => {
  it('rolls back the in-flight deployment of the suspected group, not an earlier finished one', () => {
    // Prepare
    const deployments: DeploymentResource[] = [
      { id: 'd-OLD', group: 'api-prod', status: 'Succeeded' },
      { id: 'd-4F2', group: 'api-prod', status: 'InProgress' },
      { id: 'd-OTHER', group: 'billing-prod', status: 'InProgress' },
    ];

    // Act
    const actions = planMitigations(plan({ resources: { deployments, autoScalingGroups: [] } }));

    // Assess
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({
      kind: 'codedeploy-rollback',
      resource: 'api-prod',
      parameters: { deploymentId: 'd-4F2', deploymentGroup: 'api-prod' },
      allowed: false,
      blockedBy: [NOT_GUARDED],
    });
  });

  it.each([
    { status: 'InProgress', kind: 'codedeploy-rollback' },
    { status: 'Created', kind: 'codedeploy-rollback' },
    { status: 'Ready', kind: 'codedeploy-rollback' },
    { status: 'Succeeded', kind: 'notify-only' },
    { status: 'Failed', kind: 'notify-only' },
    { status: 'Stopped', kind: 'notify-only' },
  ])('plans $kind for a deployment that is $status', ({ status, kind }) => {
    // Prepare
    const deployments: DeploymentResource[] = [{ id: 'd-4F2', group: 'api-prod', status }];

    // Act
    const [action] = planMitigations(plan({ resources: { deployments, autoScalingGroups: [] } }));

    // Assess
    expect(action?.kind).toBe(kind);
    if (kind === 'notify-only') expect(action?.reason).toContain(`d-4F2 is ${status}`);
  });
});

describe('planMitigations: capacity', () => {
  interface StepRow {
    readonly case: string;
    readonly desired: number;
    readonly max: number;
    readonly stepPercent: number;
    readonly minStep: number;
    readonly ceiling: number;
    readonly newDesired: number;
    readonly newMax: number;
  }
  it.each<StepRow>([
    // 25 % of 8 = 2 > minStep 1: both rise by 2.
    { case: 'a percentage step', desired: 8, max: 10, stepPercent: 25, minStep: 1, ceiling: 40, newDesired: 10, newMax: 12 },
    // 25 % of 2 = 0.5, rounded up to 1.
    { case: 'a fractional step rounded up', desired: 2, max: 4, stepPercent: 25, minStep: 1, ceiling: 40, newDesired: 3, newMax: 5 },
    // 10 % of 2 = 0.2 -> 1, below minStep 3: the step is 3.
    { case: 'the minimum step', desired: 2, max: 4, stepPercent: 10, minStep: 3, ceiling: 40, newDesired: 5, newMax: 7 },
    // 50 % of 10 = 5: max 12 + 5 = 17 and desired 15 are both cut to the ceiling 14.
    { case: 'a step capped by the ceiling', desired: 10, max: 12, stepPercent: 50, minStep: 1, ceiling: 14, newDesired: 14, newMax: 14 },
    // max already at the ceiling 12; desired 8 + 2 = 10 still fits under it.
    { case: 'max at the ceiling but room for desired', desired: 8, max: 12, stepPercent: 25, minStep: 1, ceiling: 12, newDesired: 10, newMax: 12 },
  ])('scales out with $case', ({ desired, max, stepPercent, minStep, ceiling, newDesired, newMax }) => {
    // Prepare
    const input = plan({
      correlation: correlationOf('capacity', [item('capacity', 'api-asg')]),
      policy: policyWith({}, { stepPercent, minStep, ceilingByResource: { 'api-asg': ceiling } }),
      resources: { deployments: [], autoScalingGroups: [asg({ desired, max })] },
    });

    // Act
    const actions = planMitigations(input);

    // Assess
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({
      kind: 'asg-scale-out',
      resource: ASG_ARN,
      parameters: { autoScalingGroupName: 'api-asg', newDesired, newMax, previousDesired: desired, previousMax: max },
      blockedBy: [NOT_GUARDED],
    });
  });

  it('blocks a scale-out when the group is at its ceiling', () => {
    // Prepare
    const input = plan({
      correlation: correlationOf('capacity', [item('capacity', ASG_ARN)]),
      policy: policyWith({}, { ceilingByResource: { [ASG_ARN]: 12 } }),
      resources: { deployments: [], autoScalingGroups: [asg({ desired: 12, max: 12 })] },
    });

    // Act
    const [action] = planMitigations(input);

    // Assess
    expect(action).toMatchObject({ kind: 'asg-scale-out', allowed: false, parameters: { newDesired: 12, newMax: 12 } });
    expect(action?.blockedBy).toEqual([expect.stringMatching(/^at ceiling: api-asg .* ceiling 12$/)]);
  });

  it('plans one scale-out for a group whatever the number of burning tenants', () => {
    // Prepare: 40 tenants burn, and the evidence names the same group once per tenant.
    const incident = incidentWith(40);
    const items = incident.tenants.map((entry) => item('capacity', 'api-asg', [entry.tenant]));
    const input = plan({
      incident,
      correlation: correlationOf('capacity', items),
      resources: { deployments: [], autoScalingGroups: [asg()] },
    });

    // Act
    const actions = planMitigations(input);

    // Assess
    expect(actions.map((action) => [action.kind, action.resource])).toEqual([['asg-scale-out', ASG_ARN]]);
  });

  it('says why when the suspected group is not among the collected resources', () => {
    // Act
    const [action] = planMitigations(plan({ correlation: correlationOf('capacity', [item('capacity', 'gone-asg')]) }));

    // Assess
    expect(action).toMatchObject({ kind: 'notify-only', resource: 'gone-asg' });
    expect(action?.reason).toContain('no auto scaling group gone-asg was found');
  });
});

describe('planMitigations: learned order', () => {
  const stats = (kind: ActionKind, attempts: number, recoveries: number, failureMode: FailureMode = 'capacity'): ActionStats => ({
    failureMode,
    kind,
    attempts,
    recoveries,
    totalRecoveryMinutes: recoveries * 10,
  });

  it.each<{ case: string; history: ActionStats[]; order: ActionKind[] }>([
    { case: 'nothing was tried: the policy order', history: [], order: ['asg-scale-out', 'notify-only'] },
    // scale-out (1+1)/(10+2) = 0.17 is below untried notify-only (0+1)/(0+2) = 0.5.
    { case: 'scale-out rarely helped', history: [stats('asg-scale-out', 10, 1)], order: ['notify-only', 'asg-scale-out'] },
    // scale-out (4+1)/(5+2) = 0.71 beats notify-only (1+1)/(4+2) = 0.33.
    {
      case: 'scale-out usually helped',
      history: [stats('asg-scale-out', 5, 4), stats('notify-only', 4, 1)],
      order: ['asg-scale-out', 'notify-only'],
    },
    {
      case: 'only another failure mode has a history',
      history: [stats('asg-scale-out', 10, 0, 'deployment')],
      order: ['asg-scale-out', 'notify-only'],
    },
  ])('orders actions by learned success rate when $case', ({ history, order }) => {
    // Prepare
    const input = plan({
      correlation: correlationOf('capacity', [item('capacity', 'api-asg')]),
      policy: policyWith({ actionsByFailureMode: { capacity: ['asg-scale-out', 'notify-only'] } }),
      resources: { deployments: [], autoScalingGroups: [asg()] },
      history,
    });

    // Act
    const actions = planMitigations(input);

    // Assess
    expect(actions.map((action) => action.kind)).toEqual(order);
  });

  it.each([
    { recoveries: 0, attempts: 0, fraction: '1/2', rate: 1 / 2 },
    { recoveries: 4, attempts: 5, fraction: '5/7', rate: 5 / 7 },
    { recoveries: 0, attempts: 8, fraction: '1/10', rate: 1 / 10 },
  ])('rates $recoveries recoveries in $attempts attempts as $fraction', ({ recoveries, attempts, rate }) => {
    // Act / Assess
    expect(learnedSuccessRate(recoveries, attempts)).toBeCloseTo(rate, 10);
  });

  it.each([
    { desired: 8, stepPercent: 25, minStep: 1, step: 2 },
    { desired: 3, stepPercent: 25, minStep: 1, step: 1 },
    { desired: 0, stepPercent: 25, minStep: 2, step: 2 },
    { desired: 30, stepPercent: 10, minStep: 1, step: 3 },
  ])('steps $desired instances by $step at $stepPercent % with a minimum of $minStep', ({ desired, stepPercent, minStep, step }) => {
    // Act / Assess
    expect(scaleOutStep(desired, { stepPercent, minStep })).toBe(step);
  });
});

describe('planMitigations: other modes and inputs', () => {
  it('plans nothing when mitigation is off', () => {
    // Act / Assess
    expect(planMitigations(plan({ policy: policyWith({ mode: 'off' }) }))).toEqual([]);
  });

  it('plans one notify-only for the SLO when the cause is unknown', () => {
    // Act
    const actions = planMitigations(plan({ correlation: correlationOf('unknown', []) }));

    // Assess
    expect(actions.map((action) => [action.kind, action.resource])).toEqual([['notify-only', 'slo/checkout-availability']]);
  });

  it('rejects a policy listing every problem at once', () => {
    // Prepare
    const policy = policyWith({ mode: 'sometimes' as MitigationPolicy['mode'], cooldownMinutes: -1 }, { minStep: 0 });

    // Act
    const act = (): void => validateMitigationPolicy(policy);

    // Assess
    expect(act).toThrow(MitigationPolicyError);
    expect(act).toThrow(/mode must be one of off, recommend, auto; got "sometimes"/);
    expect(act).toThrow(/cooldownMinutes must be a number of at least 0; got -1/);
    expect(act).toThrow(/scaleOut.minStep must be a whole number of at least 1; got 0/);
  });

  it('accepts the default policy', () => {
    // Act / Assess
    expect(() => validateMitigationPolicy(DEFAULT_MITIGATION_POLICY)).not.toThrow();
    expect(DEFAULT_MITIGATION_POLICY.mode).toBe('recommend');
  });
});
