import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Token } from 'aws-cdk-lib';
import { formatProblem } from '../../lib/config/errors';
import { normalizeBurnwatchProps } from '../../lib/config/normalize';
import { validateBurnwatchProps } from '../../lib/config/validate';
import { normalizeWorkflowProps, requiredTimeoutMinutes, WORKFLOW_DEFAULTS } from '../../lib/config/workflow';
import { DEFAULT_MITIGATION_POLICY } from '../../lambda/domain/mitigation';
import { parseWorkflowConfig, WorkflowConfigError } from '../../lambda/usecases/workflow/config';
import { validProps } from '../config/fixtures';

/** Every problem the full validation reports for a `workflow` section, formatted as users read them. */
function problemsOf(workflow: unknown): string[] {
  return validateBurnwatchProps({ ...validProps(), workflow }).map(formatProblem);
}

describe('workflow props validation', () => {
  it('accepts no workflow section, and an empty one', () => {
    // Assess
    expect(problemsOf(undefined)).toEqual([]);
    expect(problemsOf({})).toEqual([]);
  });

  it.each([
    ['an unknown mode', { mitigationMode: 'yolo' }, 'workflow.mitigationMode: must be one of off, recommend, auto, got "yolo"'],
    ['an unknown failure mode', { actionsByFailureMode: { meteor: ['notify-only'] } }, 'workflow.actionsByFailureMode.meteor: must be a failure mode (deployment, capacity, database-failover, cold-start, overload, dependency, unknown), got "meteor"'],
    ['an unknown action', { actionsByFailureMode: { deployment: ['reboot'] } }, 'workflow.actionsByFailureMode.deployment[0]: must be one of codedeploy-rollback, asg-scale-out, notify-only, got "reboot"'],
    ['an empty action list', { actionsByFailureMode: { deployment: [] } }, 'workflow.actionsByFailureMode.deployment: must be a list of codedeploy-rollback, asg-scale-out, notify-only, got []'],
    ['a repeated allowlist entry', { allowlist: ['web', 'web'] }, 'workflow.allowlist[1]: must not repeat an entry (already at index 0), got "web"'],
    ['a negative cooldown', { cooldownMinutes: -1 }, 'workflow.cooldownMinutes: must be a number >= 0 and <= 1440, got -1'],
    ['a fractional hourly quota', { maxActionsPerHour: 2.5 }, 'workflow.maxActionsPerHour: must be an integer from 0 to 100, got 2.5'],
    ['an unknown approval kind', { requireApprovalFor: ['all'] }, 'workflow.requireApprovalFor[0]: must be one of codedeploy-rollback, asg-scale-out, notify-only, got "all"'],
    ['a zero scale-out step', { scaleOut: { stepPercent: 0 } }, 'workflow.scaleOut.stepPercent: must be a number > 0 and <= 1000, got 0'],
    ['a zero minimum step', { scaleOut: { minStep: 0 } }, 'workflow.scaleOut.minStep: must be an integer from 1 to 1000, got 0'],
    ['a context window of a day and a minute', { contextWindowMinutes: 1441 }, 'workflow.contextWindowMinutes: must be an integer from 1 to 1440, got 1441'],
    ['a wait over an hour', { waitAfterActionSeconds: 3601 }, 'workflow.waitAfterActionSeconds: must be an integer from 0 to 3600, got 3601'],
    ['zero rounds', { maxRounds: 0 }, 'workflow.maxRounds: must be an integer from 1 to 10, got 0'],
    ['an approval timeout under a minute', { approvalTimeoutSeconds: 30 }, 'workflow.approvalTimeoutSeconds: must be an integer from 60 to 86400, got 30'],
    ['a misspelt field', { maxRound: 2 }, 'workflow.maxRound: unknown field (allowed: mitigationMode, actionsByFailureMode, allowlist, cooldownMinutes, maxActionsPerHour, requireApprovalFor, scaleOut, contextWindowMinutes, waitAfterActionSeconds, maxRounds, approvalTimeoutSeconds, timeoutMinutes, resources), got 2'],
    [
      'a timeout shorter than the rounds need',
      { timeoutMinutes: 20, maxRounds: 3, waitAfterActionSeconds: 600 },
      // 3 rounds x 600 s = 30 min, plus the 15 min margin
      'workflow.timeoutMinutes: must be at least 45 (maxRounds x (waitAfterActionSeconds) + 15 min), got 20',
    ],
    ['resources of an SLO that does not exist', { resources: { checkout: {} } }, 'workflow.resources.checkout: must name an SLO in slos (api-availability), got "checkout"'],
    ['a group without a name', { resources: { 'api-availability': { autoScalingGroups: [{ tenants: ['acme'] }] } } }, 'workflow.resources["api-availability"].autoScalingGroups[0].name: must be an Auto Scaling group name (1-255 characters), got nothing'],
    ['a deployment group without its application', { resources: { 'api-availability': { deploymentGroups: [{ group: 'prod' }] } } }, 'workflow.resources["api-availability"].deploymentGroups[0].application: must be a CodeDeploy name (1-100 characters), got nothing'],
    ['an RDS identifier starting with a digit', { resources: { 'api-availability': { rdsInstances: [{ identifier: '1db' }] } } }, 'workflow.resources["api-availability"].rdsInstances[0].identifier: must be an RDS identifier (a letter, then letters, digits or hyphens, at most 63), got "1db"'],
    ['a function name with a space', { resources: { 'api-availability': { lambdaFunctions: [{ functionName: 'my fn', namespace: 'App', service: 'api' }] } } }, 'workflow.resources["api-availability"].lambdaFunctions[0].functionName: must be a Lambda function name (letters, digits, - or _, at most 64), got "my fn"'],
    ['an empty tenant list', { resources: { 'api-availability': { rdsClusters: [{ identifier: 'orders', tenants: [] }] } } }, 'workflow.resources["api-availability"].rdsClusters[0].tenants: must be a non-empty list of tenant ids, got []'],
    ['a ceiling for a group that is not mapped', { scaleOut: { ceilings: { web: 10 } } }, 'workflow.scaleOut.ceilings.web: must name an Auto Scaling group mapped in workflow.resources, got "web"'],
    [
      'an allowlisted group without a ceiling in auto mode',
      { mitigationMode: 'auto', allowlist: ['web'], resources: { 'api-availability': { autoScalingGroups: [{ name: 'web' }] } } },
      'workflow.scaleOut.ceilings: must give a ceiling for every allowlisted Auto Scaling group in auto mode (missing: web), got none',
    ],
  ])('reports %s', (_case, workflow, problem) => {
    // Act
    const problems = problemsOf(workflow);
    // Assess
    expect(problems).toEqual([problem]);
  });

  it('reports every problem at once', () => {
    // Act
    const problems = problemsOf({ mitigationMode: 'yolo', maxRounds: 0, cooldownMinutes: -5 });
    // Assess
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(['workflow.mitigationMode', 'workflow.cooldownMinutes', 'workflow.maxRounds']);
  });

  it('skips a deploy-time token where it cannot judge it', () => {
    // Act
    const problems = problemsOf({ cooldownMinutes: Token.asNumber({ Ref: 'Cooldown' }) });
    // Assess
    expect(problems).toEqual([]);
  });
});

describe('workflow props normalisation', () => {
  it('applies every documented default', () => {
    // Act
    const normalized = normalizeWorkflowProps(undefined);
    // Assess
    expect(normalized.runtime).toEqual({
      schemaVersion: 1,
      policy: { ...DEFAULT_MITIGATION_POLICY, mode: 'recommend' },
      contextWindowMinutes: 30,
      maxRounds: 3,
      resources: {},
    });
    expect(normalized.waitAfterActionSeconds).toBe(300);
    expect(normalized.approvalTimeoutSeconds).toBe(3600);
    expect(normalized.timeout.toMinutes()).toBe(WORKFLOW_DEFAULTS.timeoutMinutes);
    expect(normalized.mutableAutoScalingGroups).toEqual([]);
    expect(normalized.mutableDeploymentGroups).toEqual([]);
  });

  it('merges given failure modes over the default actions and maps resources to the collectors\' scopes', () => {
    // Act
    const normalized = normalizeWorkflowProps({
      actionsByFailureMode: { deployment: ['notify-only'] },
      resources: {
        checkout: {
          autoScalingGroups: [{ name: 'web', tenants: ['acme'] }],
          deploymentGroups: [{ application: 'shop', group: 'prod' }],
          rdsClusters: [{ identifier: 'orders' }],
          lambdaFunctions: [{ functionName: 'api', namespace: 'Shop', service: 'api' }],
        },
      },
    });
    // Assess
    expect(normalized.runtime.policy.actionsByFailureMode).toEqual({ ...DEFAULT_MITIGATION_POLICY.actionsByFailureMode, deployment: ['notify-only'] });
    expect(normalized.runtime.resources.checkout).toEqual({
      autoscaling: { groups: [{ name: 'web', tenants: ['acme'] }] },
      codedeploy: { deploymentGroups: [{ applicationName: 'shop', deploymentGroupName: 'prod' }] },
      rds: { instances: [], clusters: [{ identifier: 'orders' }] },
      lambda: { functions: [{ functionName: 'api', namespace: 'Shop', service: 'api' }] },
    });
  });

  it.each([
    ['auto mode, allowlisted by name', 'auto', ['web', 'shop/prod'], ['web'], [{ application: 'shop', group: 'prod' }]],
    ['auto mode, allowlisted by prefix', 'auto', ['web*'], ['web', 'web-2'], []],
    ['auto mode, a group allowlisted by its ARN', 'auto', ['arn:aws:autoscaling:eu-west-1:1:autoScalingGroup:uuid:autoScalingGroupName/web-2'], ['web-2'], []],
    ['auto mode, nothing allowlisted', 'auto', [], [], []],
    ['recommend mode, everything allowlisted', 'recommend', ['*'], [], []],
  ] as const)('lets actions change only mapped, allowlisted resources in auto mode: %s', (_case, mode, allowlist, groups, deployments) => {
    // Act
    const normalized = normalizeWorkflowProps({
      mitigationMode: mode,
      allowlist,
      resources: {
        checkout: {
          autoScalingGroups: [{ name: 'web' }, { name: 'web-2' }],
          deploymentGroups: [{ application: 'shop', group: 'prod' }],
        },
      },
    });
    // Assess
    expect(normalized.mutableAutoScalingGroups).toEqual(groups);
    expect(normalized.mutableDeploymentGroups).toEqual(deployments);
  });

  it.each([
    // 3 x 300 s = 15 min + 15 min margin = 30 min: under the 60-minute floor
    [{}, 60],
    // 3 x (300 + 3600) s = 195 min + 15 min margin
    [{ requireApprovalFor: ['asg-scale-out'] as const }, 210],
    // 10 x 600 s = 100 min + 15 min margin
    [{ maxRounds: 10, waitAfterActionSeconds: 600 }, 115],
    // Given explicitly
    [{ timeoutMinutes: 90 }, 90],
  ])('derives the execution timeout from the rounds: %p -> %p minutes', (props, minutes) => {
    // Act
    const normalized = normalizeWorkflowProps(props);
    // Assess
    expect(normalized.timeout.toMinutes()).toBe(minutes);
  });

  it('computes the rounds\' need as rounds x (wait + approval) plus a margin', () => {
    // Assess
    expect(requiredTimeoutMinutes({ maxRounds: 2, waitAfterActionSeconds: 120, approvalTimeoutSeconds: 600, approvals: true })).toBe(Math.ceil((2 * 720) / 60) + 15);
    expect(requiredTimeoutMinutes({ maxRounds: 2, waitAfterActionSeconds: 120, approvalTimeoutSeconds: 600, approvals: false })).toBe(Math.ceil((2 * 120) / 60) + 15);
  });

  it('is part of the normalised Burnwatch config, and its runtime form survives the handlers\' parser', () => {
    // Act
    const { workflow } = normalizeBurnwatchProps({ ...validProps(), workflow: { mitigationMode: 'auto', maxRounds: 2 } });
    const parsed = parseWorkflowConfig(JSON.stringify(workflow.runtime));
    // Assess
    expect(parsed).toEqual(workflow.runtime);
    expect(parsed.policy.mode).toBe('auto');
  });
});

describe('parseWorkflowConfig', () => {
  it.each([
    [undefined, 'must be set to the JSON workflow config, got nothing'],
    ['{', 'must be JSON, got a parse error'],
    ['[]', 'must be a JSON object, got []'],
    ['{"schemaVersion":2,"contextWindowMinutes":0,"maxRounds":3,"policy":{},"resources":{}}', 'schemaVersion: must be 1, got 2'],
  ])('rejects %p naming the problem', (raw, message) => {
    // Act / Assess
    expect(() => parseWorkflowConfig(raw)).toThrow(WorkflowConfigError);
    expect(() => parseWorkflowConfig(raw)).toThrow(message);
  });

  it('lists every problem of a config with several', () => {
    // Act
    const error = (() => {
      try {
        parseWorkflowConfig('{"schemaVersion":1,"contextWindowMinutes":0,"maxRounds":11,"policy":null,"resources":{"checkout":{"autoscaling":{}}}}');
      } catch (caught) {
        return caught as WorkflowConfigError;
      }
      throw new Error('expected a WorkflowConfigError');
    })();
    // Assess
    expect(error.problems).toEqual([
      'contextWindowMinutes: must be an integer from 1 to 1440, got 0',
      'maxRounds: must be an integer from 1 to 10, got 11',
      'policy: must be a mitigation policy object, got null',
      'resources.checkout.autoscaling.groups: must be an array, got nothing',
      'resources.checkout.codedeploy.deploymentGroups: must be an array, got nothing',
      'resources.checkout.rds.instances: must be an array, got nothing',
      'resources.checkout.rds.clusters: must be an array, got nothing',
      'resources.checkout.lambda.functions: must be an array, got nothing',
    ]);
  });
});

describe('workflow props documentation', () => {
  const source = readFileSync(join(__dirname, '..', '..', 'lib', 'config', 'workflow.ts'), 'utf8');
  /** Each optional prop with the TSDoc block right above it. */
  const optionalProps = [...source.matchAll(/(\/\*\*(?:(?!\*\/)[\s\S])*\*\/)?\s*readonly (\w+)\?: /g)].map((match) => ({ name: match[2]!, doc: match[1] ?? '' }));

  it('has an @default on every optional prop', () => {
    // Assess
    expect(optionalProps.length).toBeGreaterThan(15);
    expect(optionalProps.filter((prop) => !prop.doc.includes('@default')).map((prop) => prop.name)).toEqual([]);
  });

  it.each(Object.entries(WORKFLOW_DEFAULTS).filter(([name]) => name !== 'timeoutMinutes'))('documents %s with the default the normaliser applies (%p)', (name, value) => {
    // Act
    const documented = /@default (\S+)/.exec(optionalProps.find((prop) => prop.name === name)?.doc ?? '')?.[1];
    // Assess
    expect(documented).toBe(typeof value === 'string' ? `'${value}'` : String(value));
  });
});
