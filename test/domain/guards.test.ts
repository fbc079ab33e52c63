import { applyGuards, isAllowlisted } from '../../lambda/domain/guards';
import type { GuardContext } from '../../lambda/domain/guards';
import { DEFAULT_MITIGATION_POLICY, NOT_GUARDED, planMitigations } from '../../lambda/domain/mitigation';
import type { MitigationPolicy } from '../../lambda/domain/mitigation';
import { openIncident } from '../../lambda/domain/incident';
import type { PlannedAction } from '../../lambda/domain/model';
import { MINUTE_MS } from '../../lambda/domain/model';

const NOW = Date.UTC(2024, 4, 1, 12, 0);
const ASG_ARN = 'arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/api-asg';

/** Auto mode with the group and the deployment group allowlisted and a ceiling of 40: nothing blocks. */
const OPEN_POLICY: MitigationPolicy = {
  ...DEFAULT_MITIGATION_POLICY,
  mode: 'auto',
  allowlist: [ASG_ARN, 'api-prod'],
  cooldownMinutes: 15,
  maxActionsPerHour: 3,
  scaleOut: { stepPercent: 25, minStep: 1, ceilingByResource: { 'api-asg': 40 } },
};

function scaleOut(overrides: Partial<PlannedAction['parameters']> = {}, resource = ASG_ARN): PlannedAction {
  return {
    kind: 'asg-scale-out',
    resource,
    parameters: { autoScalingGroupName: 'api-asg', previousMax: 10, previousDesired: 8, newMax: 12, newDesired: 10, step: 2, ...overrides },
    allowed: false,
    blockedBy: [NOT_GUARDED],
    requiresApproval: false,
    reason: 'scale api-asg out by 2',
  };
}

function rollback(): PlannedAction {
  return {
    kind: 'codedeploy-rollback',
    resource: 'api-prod',
    parameters: { deploymentId: 'd-4F2', deploymentGroup: 'api-prod', autoRollbackEnabled: true },
    allowed: false,
    blockedBy: [NOT_GUARDED],
    requiresApproval: false,
    reason: 'stop deployment d-4F2',
  };
}

function notify(): PlannedAction {
  return { ...rollback(), kind: 'notify-only', parameters: { failureMode: 'deployment' }, reason: 'notify responders' };
}

function context(overrides: Partial<GuardContext> = {}, policy: Partial<MitigationPolicy> = {}): GuardContext {
  return {
    policy: { ...OPEN_POLICY, ...policy },
    now: NOW,
    killSwitchOn: false,
    lastActionAt: {},
    quotaAvailable: true,
    incidentAlreadyMitigating: false,
    ...overrides,
  };
}

describe('applyGuards: each guard blocks on its own', () => {
  it('allows an action no guard objects to', () => {
    // Act
    const [guarded] = applyGuards([scaleOut()], context());

    // Assess
    expect(guarded).toMatchObject({ allowed: true, blockedBy: [], requiresApproval: false });
  });

  interface GuardRow {
    readonly guard: string;
    readonly action: () => PlannedAction;
    readonly context: GuardContext;
    readonly blockedBy: RegExp;
  }
  it.each<GuardRow>([
    { guard: 'recommend mode', action: scaleOut, context: context({}, { mode: 'recommend' }), blockedBy: /^mode: recommend$/ },
    { guard: 'the kill switch', action: rollback, context: context({ killSwitchOn: true }), blockedBy: /^kill switch: on; an operator/ },
    {
      guard: 'the allowlist',
      action: rollback,
      context: context({}, { allowlist: [ASG_ARN] }),
      blockedBy: /^allowlist: api-prod is not in the mitigation allowlist$/,
    },
    {
      guard: 'the cooldown, 5 of 15 minutes after the last action',
      action: scaleOut,
      context: context({ lastActionAt: { [ASG_ARN]: NOW - 5 * MINUTE_MS } }),
      blockedBy: /^cooldown: .*api-asg was changed 5 min ago; the cooldown is 15 min \(10 min left\)$/,
    },
    {
      guard: 'the account-wide hourly rate limit',
      action: scaleOut,
      context: context({ quotaAvailable: false }),
      blockedBy: /^rate limit: the account-wide limit of 3 actions per hour is reached$/,
    },
    {
      guard: 'the ceiling, for a max raised beyond it',
      action: () => scaleOut({ newMax: 41, newDesired: 12 }),
      context: context(),
      blockedBy: /^ceiling: max 41 \/ desired 12 would go beyond the ceiling 40 of api-asg$/,
    },
    {
      guard: 'the ceiling, for a group without one',
      action: () => scaleOut({ autoScalingGroupName: 'batch-asg' }, 'arn:batch-asg'),
      context: context({}, { allowlist: ['*'] }),
      blockedBy: /^ceiling: no ceiling is configured for batch-asg in scaleOut.ceilingByResource$/,
    },
    {
      guard: 'an incident already being mitigated',
      action: rollback,
      context: context({ incidentAlreadyMitigating: true }),
      blockedBy: /^already mitigating: /,
    },
  ])('blocks with $guard', ({ action, context: guardContext, blockedBy }) => {
    // Act
    const [guarded] = applyGuards([action()], guardContext);

    // Assess
    expect(guarded?.allowed).toBe(false);
    expect(guarded?.blockedBy).toEqual([expect.stringMatching(blockedBy)]);
  });

  it.each([
    { case: 'the cooldown has just passed', lastActionAt: NOW - 15 * MINUTE_MS },
    { case: 'the resource was never changed', lastActionAt: null },
  ])('lets an action through when $case', ({ lastActionAt }) => {
    // Act
    const [guarded] = applyGuards([scaleOut()], context({ lastActionAt: { [ASG_ARN]: lastActionAt } }));

    // Assess
    expect(guarded?.allowed).toBe(true);
  });

  it.each([
    { entry: 'arn:aws:autoscaling:eu-west-1:123456789012:*', allowed: true },
    { entry: 'arn:aws:autoscaling:us-east-1:*', allowed: false },
    { entry: '*', allowed: true },
    { entry: 'api-asg', allowed: true },
    { entry: 'api-as', allowed: false },
  ])('allowlist entry $entry allows the group: $allowed', ({ entry, allowed }) => {
    // Act / Assess
    expect(isAllowlisted([ASG_ARN, 'api-asg'], [entry])).toBe(allowed);
  });
});

describe('applyGuards: combinations', () => {
  it('plans nothing in mode off', () => {
    // Act / Assess
    expect(applyGuards([scaleOut(), notify()], context({}, { mode: 'off' }))).toEqual([]);
  });

  it('lists every guard that blocks, not just the first', () => {
    // Act
    const [guarded] = applyGuards([scaleOut()], context({ killSwitchOn: true, incidentAlreadyMitigating: true }, { mode: 'recommend' }));

    // Assess
    expect(guarded?.blockedBy).toEqual([
      'mode: recommend',
      expect.stringMatching(/^kill switch:/),
      expect.stringMatching(/^already mitigating:/),
    ]);
  });

  it('allows no more actions in one plan than the hourly limit', () => {
    // Prepare
    const actions = [scaleOut(), rollback()];

    // Act
    const guarded = applyGuards(actions, context({}, { maxActionsPerHour: 1 }));

    // Assess
    expect(guarded.map((action) => action.allowed)).toEqual([true, false]);
    expect(guarded[1]?.blockedBy).toEqual([expect.stringMatching(/^rate limit: this plan already uses the 1 actions allowed per hour$/)]);
  });

  it('marks an allowed action that needs a human as requiring approval', () => {
    // Act
    const [scale, back] = applyGuards([scaleOut(), rollback()], context({}, { requireApprovalFor: ['codedeploy-rollback'] }));

    // Assess
    expect(scale).toMatchObject({ allowed: true, requiresApproval: false });
    expect(back).toMatchObject({ allowed: true, requiresApproval: true });
  });

  it.each([
    { case: 'recommend mode', guardContext: context({}, { mode: 'recommend' }) },
    { case: 'the kill switch', guardContext: context({ killSwitchOn: true }) },
    { case: 'an empty allowlist', guardContext: context({}, { allowlist: [] }) },
  ])('lets a notify-only action through under $case, since it changes nothing', ({ guardContext }) => {
    // Act
    const [guarded] = applyGuards([notify()], guardContext);

    // Assess
    expect(guarded).toMatchObject({ allowed: true, blockedBy: [] });
  });

  it('replaces its own reasons when applied again but keeps a planning block', () => {
    // Prepare
    const atCeiling: PlannedAction = { ...scaleOut({ newMax: 40, newDesired: 40, previousMax: 40, previousDesired: 40 }), blockedBy: ['at ceiling: api-asg'] };
    const cooling = context({ lastActionAt: { [ASG_ARN]: NOW - 5 * MINUTE_MS } });
    const first = applyGuards([scaleOut(), atCeiling], cooling);

    // Act
    const later = applyGuards(first, { ...cooling, now: NOW + 20 * MINUTE_MS });

    // Assess
    expect(first.map((action) => action.allowed)).toEqual([false, false]);
    expect(later[0]).toMatchObject({ allowed: true, blockedBy: [] });
    expect(later[1]).toMatchObject({ allowed: false, blockedBy: ['at ceiling: api-asg'] });
  });

  it('guards a plan end to end: recommend mode only recommends the rollback', () => {
    // Prepare
    const incident = openIncident({
      slo: 'checkout-availability',
      severity: 'page',
      tenants: [{ tenant: 'acme', level: 'page', burnRates: {}, budgetRemaining: 0.9 }],
      now: NOW,
    });
    const evidence = {
      source: 'codedeploy' as const,
      failureMode: 'deployment' as const,
      resource: 'api-prod',
      at: NOW - 2 * MINUTE_MS,
      endedAt: null,
      summary: 'deployment d-4F2 to api-prod',
      tenants: [],
      details: {},
    };
    const planned = planMitigations({
      correlation: { suspectedCause: 'deployment d-4F2', failureMode: 'deployment', confidence: 0.9, ranked: [{ evidence, score: 0.9, reasons: [] }] },
      incident,
      policy: { ...OPEN_POLICY, mode: 'recommend' },
      resources: { deployments: [{ id: 'd-4F2', group: 'api-prod', status: 'InProgress' }], autoScalingGroups: [] },
      history: [],
    });

    // Act
    const guarded = applyGuards(planned, context({}, { mode: 'recommend' }));

    // Assess
    expect(guarded).toEqual([expect.objectContaining({ kind: 'codedeploy-rollback', allowed: false, blockedBy: ['mode: recommend'] })]);
  });
});
