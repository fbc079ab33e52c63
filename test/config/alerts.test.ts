import { Template } from 'aws-cdk-lib/assertions';
import { App } from 'aws-cdk-lib';
import { validateBurnwatchProps } from '../../lib/config/validate';
import { formatProblem } from '../../lib/config/errors';
import { BurnwatchStack } from '../../lib/burnwatch-stack';
import { mutableProps } from './fixtures';

function problemsWithAlerts(alerts: unknown): string[] {
  const props = mutableProps();
  props.alerts = alerts;
  return validateBurnwatchProps(props).map(formatProblem);
}

describe('alerts config', () => {
  it.each([
    ['an email address without @', { email: [{ address: 'oncall' }] }, 'alerts.email[0].address: must be an email address like oncall@example.com, got "oncall"'],
    ['an http (not https) endpoint', { https: [{ url: 'http://hooks.example.com' }] }, 'alerts.https[0].url: must be an https:// URL, got "http://hooks.example.com"'],
    ['a lower-case Slack workspace id', { slack: { workspaceId: 't0123', channelId: 'C1' } }, 'alerts.slack.workspaceId: must be a Slack workspace id'],
    ['a Slack channel without its id', { slack: { workspaceId: 'T0123' } }, 'alerts.slack.channelId: must be a Slack channel id'],
    ['a routing key instead of a secret ARN', { pagerDuty: { routingKeySecretArn: 'R0ABCDEF0123456789' } }, 'alerts.pagerDuty.routingKeySecretArn: must be the ARN of a Secrets Manager secret'],
    ['an unknown severity in a filter', { email: [{ address: 'a@b.co', filter: { severity: ['critical'] } }] }, 'alerts.email[0].filter.severity[0]: must be one of'],
    ['an unknown field', { emails: [] }, 'alerts.emails: unknown field (allowed: email, https, slack, pagerDuty, operatorEmails)'],
    ['a bad operator email', { operatorEmails: ['sre'] }, 'alerts.operatorEmails[0]: must be an email address'],
  ])('refuses %s, naming the field', (_label, alerts, message) => {
    const problems = problemsWithAlerts(alerts);
    expect(problems.some((p) => p.includes(message))).toBe(true);
  });

  it('accepts every channel together', () => {
    expect(
      problemsWithAlerts({
        email: [{ address: 'oncall@example.com', filter: { severity: ['page'], eventType: ['opened', 'escalated'] } }],
        https: [{ url: 'https://hooks.example.com/burnwatch' }],
        slack: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' },
        pagerDuty: { routingKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:burnwatch/pd-AbCdEf' },
        operatorEmails: ['sre-lead@example.com'],
      }),
    ).toEqual([]);
  });

  it('turns the config into filtered subscriptions, a PagerDuty queue and an operator subscription', () => {
    // Prepare
    const props = mutableProps();
    props.alerts = {
      email: [{ address: 'oncall@example.com', filter: { severity: ['page'] } }],
      pagerDuty: { routingKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:burnwatch/pd-AbCdEf' },
      operatorEmails: ['sre-lead@example.com'],
    };
    // Act
    const template = Template.fromStack(new BurnwatchStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Burnwatch', { burnwatch: props as never }));
    // Assess
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', FilterPolicy: { severity: ['page'] } });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'sre-lead@example.com' });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', FilterPolicy: { severity: ['page'] } });
    expect(JSON.stringify(template.toJSON())).not.toContain('R0ABCDEF');
  });
});
