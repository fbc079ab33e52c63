/**
 * Where alerts go, as configuration a team can write in `burnwatch.yaml`: email and HTTPS subscriptions with
 * filters, a Slack channel through AWS Chatbot, PagerDuty through a Secrets Manager secret, and the operators who
 * hear about Burnwatch itself. Queue and function subscriptions take constructs, so they are stack props instead.
 */
import { validateAlertFilter } from '../../lambda/domain/alert-message';
import type { AlertFilter } from '../../lambda/domain/alert-message';
import type { ConfigPath } from './errors';
import type { ConfigChecker } from './validate';

export interface EmailSubscriptionProps {
  readonly address: string;
  /**
   * Only alerts whose attributes match (e.g. `{ severity: [page] }`, `{ tenant: [acme] }`).
   * @default - every alert
   */
  readonly filter?: AlertFilter;
}

export interface HttpsSubscriptionProps {
  /** An `https://` endpoint that confirms the SNS subscription. */
  readonly url: string;
  /**
   * @default - every alert
   */
  readonly filter?: AlertFilter;
}

export interface SlackProps {
  /** Slack workspace (team) id from the AWS Chatbot console, e.g. `T0123ABCD`. */
  readonly workspaceId: string;
  /** Slack channel id, e.g. `C0123ABCD`. */
  readonly channelId: string;
  /**
   * @default - every alert
   */
  readonly filter?: AlertFilter;
}

export interface PagerDutyProps {
  /** ARN of the Secrets Manager secret holding the Events API v2 routing key (never the key itself). */
  readonly routingKeySecretArn: string;
  /**
   * @default { severity: ['page'] }
   */
  readonly filter?: AlertFilter;
  /**
   * @default 'https://events.pagerduty.com/v2/enqueue'
   */
  readonly eventsUrl?: string;
}

/** Alert delivery. Every field is optional: with none, alerts go to the topic only (see the `AlertTopicArn` output). */
export interface AlertsProps {
  /**
   * @default - no email subscriptions
   */
  readonly email?: readonly EmailSubscriptionProps[];
  /**
   * @default - no HTTPS subscriptions
   */
  readonly https?: readonly HttpsSubscriptionProps[];
  /**
   * @default - no Slack channel
   */
  readonly slack?: SlackProps;
  /**
   * @default - no PagerDuty integration
   */
  readonly pagerDuty?: PagerDutyProps;
  /**
   * Who hears when Burnwatch itself is broken (missed ticks, errors, dead letters), on a topic of their own.
   * @default - no email subscription on the operator topic
   */
  readonly operatorEmails?: readonly string[];
}

const ALERTS_FIELDS = ['email', 'https', 'slack', 'pagerDuty', 'operatorEmails'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const EMAIL_ALLOWED = 'must be an email address like oncall@example.com';

function checkFilter(c: ConfigChecker, path: ConfigPath, value: unknown): void {
  if (value === undefined) return;
  for (const problem of validateAlertFilter(value, [...path])) c.fail(problem.path, problem.allowed, problem.given);
}

export function checkAlerts(c: ConfigChecker, path: ConfigPath, value: unknown): void {
  const alerts = c.object(path, value, ALERTS_FIELDS, `an object with some of ${ALERTS_FIELDS.join(', ')}`, false);
  if (alerts === undefined) return;
  const at = (...rest: (string | number)[]): ConfigPath => [...path, ...rest];
  c.list(at('email'), alerts.email, 'a list of { address, filter? }', false)?.forEach((entry, index) => {
    const email = c.object(at('email', index), entry, ['address', 'filter'], 'an object with address and optional filter', true);
    c.string(at('email', index, 'address'), email?.address, { required: true, pattern: EMAIL, allowed: EMAIL_ALLOWED });
    checkFilter(c, at('email', index, 'filter'), email?.filter);
  });
  c.list(at('https'), alerts.https, 'a list of { url, filter? }', false)?.forEach((entry, index) => {
    const https = c.object(at('https', index), entry, ['url', 'filter'], 'an object with url and optional filter', true);
    c.string(at('https', index, 'url'), https?.url, { required: true, pattern: /^https:\/\/[^\s/]+/, allowed: 'must be an https:// URL', maxLength: 2048 });
    checkFilter(c, at('https', index, 'filter'), https?.filter);
  });
  const slack = c.object(at('slack'), alerts.slack, ['workspaceId', 'channelId', 'filter'], 'an object with workspaceId, channelId and optional filter', false);
  if (slack !== undefined) {
    c.string(at('slack', 'workspaceId'), slack.workspaceId, { required: true, pattern: /^[0-9A-Z]+$/, allowed: 'must be a Slack workspace id (upper-case letters and digits, e.g. T0123ABCD)' });
    c.string(at('slack', 'channelId'), slack.channelId, { required: true, pattern: /^[A-Za-z0-9]+$/, allowed: 'must be a Slack channel id (letters and digits, e.g. C0123ABCD)' });
    checkFilter(c, at('slack', 'filter'), slack.filter);
  }
  const pagerDuty = c.object(at('pagerDuty'), alerts.pagerDuty, ['routingKeySecretArn', 'filter', 'eventsUrl'], 'an object with routingKeySecretArn and optional filter, eventsUrl', false);
  if (pagerDuty !== undefined) {
    c.string(at('pagerDuty', 'routingKeySecretArn'), pagerDuty.routingKeySecretArn, {
      required: true,
      pattern: SECRET_ARN,
      allowed: 'must be the ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>); the routing key itself never goes in config',
      maxLength: 2048,
    });
    c.string(at('pagerDuty', 'eventsUrl'), pagerDuty.eventsUrl, { pattern: /^https:\/\/[^\s/]+/, allowed: 'must be an https:// URL', maxLength: 2048 });
    checkFilter(c, at('pagerDuty', 'filter'), pagerDuty.filter);
  }
  c.list(at('operatorEmails'), alerts.operatorEmails, 'a list of email addresses', false)?.forEach((address, index) => {
    c.string(at('operatorEmails', index), address, { required: true, pattern: EMAIL, allowed: EMAIL_ALLOWED });
  });
}
