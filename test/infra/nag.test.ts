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

const ALL_CHANNELS = {
  email: [{ address: 'oncall@example.com', filter: { severity: ['page' as const] } }],
  https: [{ url: 'https://hooks.example.com/burnwatch' }],
  slack: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' },
  pagerDuty: { routingKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:burnwatch/pagerduty-AbCdEf' },
  operatorEmails: ['sre-lead@example.com'],
};

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

  it('leaves no unacknowledged finding with every alert channel configured', () => {
    // Prepare: email, HTTPS, Slack, PagerDuty and operator emails
    const channelsApp = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const channels = new BurnwatchStack(channelsApp, 'Burnwatch', { burnwatch: validProps({ alerts: ALL_CHANNELS }) });

    // Act
    const report = new AwsSolutionsChecks(channelsApp, { verbose: true }).validateScope(channels);

    // Assess
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
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
    const ids = acknowledged.map(({ id }) => id);

    // Assess: only these kinds of finding are accepted, each narrowed to what it covers
    const accepted = [
      /^AwsSolutions-L1$/, // the pinned NODEJS_22_X runtime (a newer one exists)
      /^AwsSolutions-IAM5\[Resource::\*\]$/, // read APIs that AWS only allows on "*" (justified per construct)
      /^AwsSolutions-IAM5\[Action::kms:(GenerateDataKey|ReEncrypt)\*\]$/, // key grants made by CDK
      /^AwsSolutions-IAM5\[Action::s3:Abort\*\]$/, // bucket.grantPut: clean up a failed multipart upload
      /^AwsSolutions-IAM5\[Resource::<IncidentWorkflowForensicBucket[0-9A-F]+\.Arn>\/\*\]$/, // objects of the forensic bucket only
      /^AwsSolutions-IAM5\[Resource::<IncidentWorkflowForensicBucket[0-9A-F]+\.Arn>\/reports\/\*\]$/, // the monthly report's objects only
      /^AwsSolutions-S1$/, // server access logs on the forensic bucket
      /^AwsSolutions-IAM5\[Resource::<IncidentWorkflow[A-Za-z]+Function[0-9A-F]+\.Arn>:\*\]$/, // versions of the workflow's own functions
    ];
    expect(ids.filter((id) => !accepted.some((pattern) => pattern.test(id)))).toEqual([]);
    // Never on the stack as a whole: each acknowledgement names the construct it covers.
    for (const { path } of acknowledged) expect(path.split('/').length).toBeGreaterThan(2);
    // The functions that act on the account (rollback, scale-out) get no Resource::* beyond what the reason explains.
    expect(acknowledged.filter(({ path }) => path === 'Burnwatch/Evaluator/FunctionRole').map(({ id }) => id).sort()).toEqual([
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      'AwsSolutions-IAM5[Resource::*]',
    ]);
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(60);
  });
});
