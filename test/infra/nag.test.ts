import { App, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BurnwatchStack } from '../../lib/burnwatch-stack';
import { validProps } from '../config/fixtures';

function acknowledgements(scope: IConstruct): { path: string; id: string; reason: string }[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason })),
  );
}

describe('cdk-nag AwsSolutions checks', () => {
  let app: App;
  let stack: BurnwatchStack;

  beforeAll(() => {
    // The checks read the construct tree, not the bundle: skip esbuild to keep this file fast.
    app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    stack = new BurnwatchStack(app, 'Burnwatch', { burnwatch: validProps() });
  });

  it('leaves no unacknowledged finding', () => {
    // Act
    const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack);

    // Assess: rule name and resources, so a failure says what to fix
    const findings = report.violations.map((violation) => `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('synthesizes with the checks registered the way bin/app.ts registers them', () => {
    // Prepare
    const checkedApp = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new BurnwatchStack(checkedApp, 'Burnwatch', { burnwatch: validProps() });
    Validations.of(checkedApp).addPlugins(new AwsSolutionsChecks(checkedApp, { verbose: true }));

    // Act / Assess
    expect(() => checkedApp.synth()).not.toThrow();
  });

  it('narrows every acknowledgement to one finding on one construct, with a reason', () => {
    // Act
    const acknowledged = acknowledgements(stack);

    // Assess
    expect(acknowledged.map(({ path, id }) => `${path} ${id}`).sort()).toEqual(
      [
        'Burnwatch/Evaluator/Function AwsSolutions-L1',
        'Burnwatch/Evaluator/FunctionRole AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        'Burnwatch/Evaluator/FunctionRole AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
        'Burnwatch/Evaluator/FunctionRole AwsSolutions-IAM5[Resource::*]',
        'Burnwatch/IncidentWorkflow/StateMachine/Role AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        'Burnwatch/IncidentWorkflow/StateMachine/Role AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
        'Burnwatch/IncidentWorkflow/StateMachine/Role AwsSolutions-IAM5[Resource::*]',
      ].sort(),
    );
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(60);
  });
});
