/**
 * Least privilege over the whole synthesized stack, with everything turned on: auto mitigations on allowlisted
 * groups, approvals, every alert channel (PagerDuty, Slack, email, HTTPS, operator emails), and the evaluator both
 * sharded (Express fan-out) and as one invocation per tick (its schedule then holds a Lambda permission).
 *
 * Every policy document in the template is found by walking each resource's properties for a `Statement` list, so
 * a policy on a new kind of resource is checked without anyone listing it here. The rules:
 *
 * - **Read-only action**: its operation name starts with `Describe`, `Get`, `List` or `BatchGet`, or is `Query` or
 *   `Scan`. Every other action mutates (conservative: `ConditionCheckItem` or `ReceiveMessage` count as mutating).
 * - **Broad resource**: `*`, or an ARN whose resource part is only wildcards after its type (`stateMachine:*`).
 *   An ARN with a named resource (`autoScalingGroup:*:autoScalingGroupName/web`, `<bucket ARN>/*`, `<function ARN>:*`)
 *   is specific.
 * - An identity policy may allow an action on a broad resource only if the action is in ACTIONS_ONLY_ON_STAR (the one
 *   table of actions AWS allows on `*` only, each with its reason; a mutating one only in the policies it names), or
 *   if it mutates and a tag condition scopes it.
 *   No `NotAction`/`NotResource`, no whole-service action (`s3:*`, `*`) in identity policies.
 * - A key policy's Resource is always `*` (it means the key itself), so key policies are judged by principal: the
 *   account root (CDK's default, which hands the decision to IAM) or a service limited to this account, a source
 *   ARN or an encryption context (no confused deputy).
 * - A wildcard principal (`*`, `{AWS: '*'}`) only in a statement whose condition is one of WILDCARD_PRINCIPAL_CONDITIONS;
 *   never `NotPrincipal`. Trust policies name services only.
 * - `iam:PassRole` only as listed in ALLOWED_PASS_ROLE, on that role's ARN.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BurnwatchStack } from '../../lib/burnwatch-stack';
import type { BurnwatchProps, EvaluatorProps } from '../../lib/config/props';
import { validProps } from '../config/fixtures';

type Properties = Record<string, any>;
interface CfnResource {
  readonly Type: string;
  readonly Properties?: Properties;
}
type Condition = Record<string, Record<string, unknown>>;
interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Condition?: Condition;
}
type PolicyKind = 'identity' | 'trust' | 'key' | 'resource';
interface PolicyDocument {
  readonly kind: PolicyKind;
  /** Logical id, type and property path, e.g. `AlertsTopicPolicy... (AWS::SNS::TopicPolicy) PolicyDocument`. */
  readonly where: string;
  readonly logicalId: string;
  readonly statements: readonly Statement[];
}

// ---------------------------------------------------------------------------------------------------------------
// The acknowledged exceptions: each one here is a decision a reviewer can read.

/** A mutating action allowed on `*`: what bounds it, and (when only some roles may hold it) which policies those are. */
interface StarWrite {
  readonly bound: string;
  /** Logical ids of the only identity policies that may grant it. */
  readonly onlyIn?: RegExp;
}

const NO_RESOURCE_LEVEL = 'the action supports no resource-level permissions';
const TRACING = `Active tracing on every function and state machine; ${NO_RESOURCE_LEVEL}.`;
const LOG_DELIVERY = `Step Functions (vended) log delivery to the execution log group, AWS's documented logging policy; ${NO_RESOURCE_LEVEL}.`;
const STATE_MACHINES_ONLY: StarWrite = {
  bound: 'held by the state machine roles only, which Step Functions alone can assume (source account and state machine ARN conditions).',
  onlyIn: /^(IncidentWorkflow|EvaluatorFanout)StateMachineRoleDefaultPolicy[0-9A-F]{8}$/,
};

/**
 * Actions an identity policy may allow on `*`, because AWS supports no resource-level permission for them.
 * `mutates` is given exactly for the actions the read-only rule calls mutating, and says what bounds them.
 */
const ACTIONS_ONLY_ON_STAR: Readonly<Record<string, { readonly reason: string; readonly mutates?: StarWrite }>> = {
  'cloudwatch:GetMetricData': { reason: `SLI reads by the evaluator, the collectors and the validation step; ${NO_RESOURCE_LEVEL}.` },
  'cloudwatch:ListMetrics': { reason: `Tenant discovery on the SLI's tenant dimension; ${NO_RESOURCE_LEVEL}.` },
  'autoscaling:DescribeAutoScalingGroups': { reason: `Capacity as context and the re-read before a scale-out; ${NO_RESOURCE_LEVEL}.` },
  'autoscaling:DescribeScalingActivities': { reason: `Launch failures as context; ${NO_RESOURCE_LEVEL}.` },
  'rds:DescribeEvents': { reason: `Failovers and reboots as context, filtered by source id in the request; ${NO_RESOURCE_LEVEL}.` },
  'xray:GetSamplingRules': { reason: TRACING },
  'xray:GetSamplingTargets': { reason: TRACING },
  'xray:PutTraceSegments': { reason: TRACING, mutates: { bound: 'writes trace data only; it cannot read or change another resource.' } },
  'xray:PutTelemetryRecords': { reason: TRACING, mutates: { bound: 'writes the tracer\'s own telemetry only.' } },
  'logs:DescribeLogGroups': { reason: LOG_DELIVERY },
  'logs:DescribeResourcePolicies': { reason: LOG_DELIVERY },
  'logs:GetLogDelivery': { reason: LOG_DELIVERY },
  'logs:ListLogDeliveries': { reason: LOG_DELIVERY },
  'logs:CreateLogDelivery': { reason: LOG_DELIVERY, mutates: STATE_MACHINES_ONLY },
  'logs:UpdateLogDelivery': { reason: LOG_DELIVERY, mutates: STATE_MACHINES_ONLY },
  'logs:DeleteLogDelivery': { reason: LOG_DELIVERY, mutates: STATE_MACHINES_ONLY },
  'logs:PutResourcePolicy': { reason: LOG_DELIVERY, mutates: STATE_MACHINES_ONLY },
};

/**
 * Where a Burnwatch role may hand a role to a service at run time: the policy (logical id prefix), the role it passes
 * (logical id prefix) and why. None: roles are handed to services by CloudFormation at deploy time (the schedule's
 * events role, the Slack channel's role), never by Burnwatch's own functions or state machines.
 */
const ALLOWED_PASS_ROLE: readonly { readonly policy: string; readonly role: string; readonly why: string }[] = [];

/** Conditions that make a wildcard principal acceptable: each narrows "anyone" to nothing or to named principals. */
const WILDCARD_PRINCIPAL_CONDITIONS: readonly { readonly name: string; readonly accepts: (statement: Statement) => boolean }[] = [
  {
    name: 'TLS only: Deny every request made without TLS (aws:SecureTransport false)',
    accepts: (s) => s.Effect === 'Deny' && sameJson(s.Condition, { Bool: { 'aws:SecureTransport': 'false' } }),
  },
  {
    name: 'Named publishers only: Deny sns:Publish to every principal whose ARN is not a listed role (services exempt)',
    accepts: (s) => {
      const listed = s.Condition?.ArnNotEquals?.['aws:PrincipalArn'];
      return (
        s.Effect === 'Deny' &&
        sameJson(actionsOf(s), ['sns:Publish']) &&
        Array.isArray(listed) &&
        listed.length > 0 &&
        s.Condition?.Bool?.['aws:PrincipalIsAWSService'] === 'false' &&
        Object.keys(s.Condition ?? {}).length === 2
      );
    },
  },
];

/**
 * Findings the test knows about and that are fixed outside this helper's files, each with the fix. The test asserts
 * the findings equal this list exactly: a new finding fails, and so does a fixed one until it is removed here.
 */
const OPEN_FINDINGS: readonly { readonly finding: RegExp; readonly fix: string }[] = [
  {
    finding: /^AlertsKey[0-9A-F]{8} \(AWS::KMS::Key\) KeyPolicy: service sns\.amazonaws\.com without a source or encryption-context condition$/,
    fix:
      'CDK\'s SqsSubscription (PagerDuty queue) grants SNS kms:Decrypt/GenerateDataKey on the alerts key without a condition. The ' +
      'feature flag @aws-cdk/aws-sns-subscriptions:restrictSqsDescryption adds aws:SourceArn = the topic, but the topic is encrypted ' +
      'with the same key, so the flag makes a dependency cycle (key policy -> topic -> key); the queue needs its own key to close this.',
  },
];

// ---------------------------------------------------------------------------------------------------------------
// The rules, as functions.

const READ_ONLY = /^(Describe|Get|List|BatchGet)|^(Query|Scan)$/;
/** `service:Operation` is read-only by the rule in the file comment; a wildcard operation by its literal prefix. */
function isReadOnly(action: string): boolean {
  const operation = action.split(':')[1] ?? '';
  return READ_ONLY.test(operation);
}

/** Whether an action pattern (with `*` and `?`) covers an action, case-insensitively as IAM compares them. */
function covers(pattern: string, action: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 'i').test(action);
}

/** A value as text, references shown as `${Id}` / `${Id.Attr}`, so ARNs can be read and matched. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
  if (v.Ref !== undefined) return `\${${v.Ref}}`;
  if (v['Fn::GetAtt'] !== undefined) return `\${${v['Fn::GetAtt'].join('.')}}`;
  if (v['Fn::Join'] !== undefined) return v['Fn::Join'][1].map(text).join(v['Fn::Join'][0]);
  return JSON.stringify(value);
}

/** `*`, or an ARN naming no resource: only wildcards after its resource type. */
function isBroadResource(resource: string): boolean {
  if (resource === '*') return true;
  // An attribute of a resource in this template names that resource (suffixes like `/*` or `:*` stay within it).
  if (resource.startsWith('${') && !resource.startsWith('${AWS::')) return false;
  // References inside an ARN (`${AWS::Region}`) hold colons of their own: count them as one named part.
  const parts = resource.replace(/\$\{[^}]*\}/g, 'ref').split(':');
  if (parts[0] !== 'arn' || parts.length < 6) return false;
  const resourcePart = parts.slice(5).join(':').replace(/^[A-Za-z-]+[:/]/, '');
  return /^[*:/]*$/.test(resourcePart);
}

const listOf = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const actionsOf = (s: Statement): string[] => listOf(s.Action) as string[];
const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const label = (doc: PolicyDocument, s: Statement): string => `${doc.where}${s.Sid ? ` [${s.Sid}]` : ''}`;

function hasTagCondition(s: Statement): boolean {
  return Object.values(s.Condition ?? {}).some((keys) => Object.keys(keys).some((key) => /(^|:)ResourceTag\//.test(key)));
}

function isWildcardPrincipal(principal: unknown): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  return Object.values(principal).some((value) => listOf(value).includes('*'));
}

/** Every policy document of the template, wherever it sits in a resource's properties. */
function policyDocuments(resources: Readonly<Record<string, CfnResource>>): PolicyDocument[] {
  const found: PolicyDocument[] = [];
  const walk = (logicalId: string, type: string, value: unknown, path: string[]): void => {
    if (typeof value !== 'object' || value === null) return;
    const statements = (value as { Statement?: unknown }).Statement;
    if (Array.isArray(statements)) {
      const kind: PolicyKind =
        type === 'AWS::IAM::Policy' || type === 'AWS::IAM::ManagedPolicy' || (type === 'AWS::IAM::Role' && path[0] === 'Policies')
          ? 'identity'
          : type === 'AWS::IAM::Role'
            ? 'trust'
            : type === 'AWS::KMS::Key'
              ? 'key'
              : 'resource';
      found.push({ kind, where: `${logicalId} (${type}) ${path.join('.')}`, logicalId, statements: statements as Statement[] });
      return;
    }
    for (const [key, child] of Object.entries(value)) walk(logicalId, type, child, [...path, key]);
  };
  for (const [logicalId, resource] of Object.entries(resources)) walk(logicalId, resource.Type, resource.Properties, []);
  return found;
}

function identityFindings(doc: PolicyDocument): string[] {
  const findings: string[] = [];
  for (const s of doc.statements) {
    if (s.NotAction !== undefined || s.NotResource !== undefined) findings.push(`${label(doc, s)}: NotAction/NotResource`);
    if (s.Effect !== 'Allow') continue;
    for (const action of actionsOf(s)) {
      if (action === '*' || /^[a-z0-9-]+:\*$/i.test(action)) findings.push(`${label(doc, s)}: whole-service action ${action}`);
      for (const resource of listOf(s.Resource).map(text)) {
        if (!isBroadResource(resource)) continue;
        const onStar = ACTIONS_ONLY_ON_STAR[action];
        if (onStar !== undefined && (onStar.mutates?.onlyIn === undefined || onStar.mutates.onlyIn.test(doc.logicalId))) continue;
        if (!isReadOnly(action) && hasTagCondition(s)) continue;
        findings.push(`${label(doc, s)}: ${action} on ${resource}`);
      }
    }
  }
  return findings;
}

const ACCOUNT_ROOT = '${AWS::AccountId}:root';
const CONFUSED_DEPUTY_KEYS = /^(aws:SourceAccount|aws:SourceArn|aws:SourceOwner|kms:EncryptionContext:.+)$/;

function keyPolicyFindings(doc: PolicyDocument): string[] {
  const findings: string[] = [];
  for (const s of doc.statements) {
    if (!sameJson(s.Resource, '*')) findings.push(`${label(doc, s)}: key policy Resource other than "*"`);
    const principal = (s.Principal ?? {}) as { AWS?: unknown; Service?: unknown };
    for (const aws of listOf(principal.AWS).map(text)) {
      if (!aws.endsWith(`:iam::${ACCOUNT_ROOT}`)) findings.push(`${label(doc, s)}: AWS principal ${aws} other than this account`);
    }
    const limited = Object.values(s.Condition ?? {}).some((keys) => Object.keys(keys).some((key) => CONFUSED_DEPUTY_KEYS.test(key)));
    for (const service of listOf(principal.Service).map(text)) {
      if (!limited) findings.push(`${label(doc, s)}: service ${service} without a source or encryption-context condition`);
    }
  }
  return findings;
}

function principalFindings(doc: PolicyDocument): string[] {
  const findings: string[] = [];
  for (const s of doc.statements) {
    if (s.NotPrincipal !== undefined) findings.push(`${label(doc, s)}: NotPrincipal`);
    if (isWildcardPrincipal(s.Principal) && !WILDCARD_PRINCIPAL_CONDITIONS.some((accepted) => accepted.accepts(s))) {
      findings.push(`${label(doc, s)}: wildcard principal without an accepted condition ${JSON.stringify(s.Condition ?? {})}`);
    }
    if (doc.kind === 'trust' && Object.keys((s.Principal ?? {}) as object).some((key) => key !== 'Service')) {
      findings.push(`${label(doc, s)}: trust policy names a principal other than a service`);
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------------------
// Secrets: what a PagerDuty routing key or an AWS key looks like, and what CDK's own names look like.

/** A CDK logical id (or a name made from one) ends in an 8-character upper-case hex hash. */
const CDK_HASH_SUFFIX = /[0-9A-F]{8}$/;
const SECRET_SHAPES: readonly { readonly name: string; readonly pattern: RegExp; readonly plausible: (token: string) => boolean }[] = [
  { name: 'AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, plausible: () => true },
  {
    name: 'AWS secret access key',
    pattern: /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    plausible: (t) => /[a-z]/.test(t) && /[A-Z]/.test(t) && /[0-9]/.test(t) && !CDK_HASH_SUFFIX.test(t),
  },
  {
    name: 'PagerDuty routing key',
    pattern: /(?<![A-Za-z0-9])[A-Za-z0-9]{32}(?![A-Za-z0-9])/g,
    plausible: (t) => /[0-9]/.test(t) && /[A-Za-z]/.test(t) && !CDK_HASH_SUFFIX.test(t),
  },
];

function secretShapesIn(value: string): string[] {
  return SECRET_SHAPES.flatMap(({ name, pattern, plausible }) => [...value.matchAll(pattern)].map((m) => m[0]).filter(plausible).map((t) => `${name}: ${t}`));
}

function stringLeaves(value: unknown, path: string, out: { path: string; value: string }[]): { path: string; value: string }[] {
  if (typeof value === 'string') out.push({ path, value });
  else if (typeof value === 'object' && value !== null) for (const [key, child] of Object.entries(value)) stringLeaves(child, `${path}.${key}`, out);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

// 2 waves after a 10 s discovery fit a 1-minute tick (10 + 2 x 25 = 60); one more execution for a discovery that outlives it.
const SHARDED: EvaluatorProps = { shards: 8, maxConcurrentShards: 4, reservedConcurrency: 5, timeoutSeconds: 25 };
const PAGERDUTY_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:burnwatch/pagerduty-AbCdEf';

function everythingOn(evaluator: EvaluatorProps): BurnwatchProps {
  return validProps({
    evaluator,
    alerts: {
      email: [{ address: 'oncall@example.com', filter: { severity: ['page'] } }],
      https: [{ url: 'https://hooks.example.com/burnwatch' }],
      slack: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' },
      pagerDuty: { routingKeySecretArn: PAGERDUTY_SECRET_ARN },
      operatorEmails: ['sre-lead@example.com'],
    },
    workflow: {
      mitigationMode: 'auto',
      allowlist: ['web', 'shop/prod'],
      requireApprovalFor: ['asg-scale-out'],
      scaleOut: { ceilings: { web: 12 } },
      resources: {
        'api-availability': {
          autoScalingGroups: [{ name: 'web' }, { name: 'batch' }],
          deploymentGroups: [{ application: 'shop', group: 'prod' }, { application: 'shop', group: 'canary' }],
          rdsInstances: [{ identifier: 'orders-db' }],
          rdsClusters: [{ identifier: 'orders-cluster' }],
          lambdaFunctions: [{ functionName: 'checkout-api', namespace: 'Shop', service: 'checkout' }],
        },
      },
    },
  });
}

describe('least-privilege rules', () => {
  it.each([
    ['dynamodb:Query', true],
    ['dynamodb:BatchGetItem', true],
    ['kms:Describe*', true],
    ['secretsmanager:GetSecretValue', true],
    ['dynamodb:ConditionCheckItem', false],
    ['kms:GenerateDataKey*', false],
    ['sqs:ReceiveMessage', false],
    ['s3:*', false],
  ])('calls %s read-only: %p', (action, expected) => {
    // Act / Assess
    expect(isReadOnly(action)).toBe(expected);
  });

  it.each([
    ['*', true],
    ['arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:*', true],
    ['arn:aws:s3:::*', true],
    ['arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*', true],
    ['arn:${AWS::Partition}:autoscaling:${AWS::Region}:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/web', false],
    ['${Bucket1234ABCD.Arn}/*', false],
    ['${Function1234ABCD.Arn}:*', false],
    ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:burnwatch/pagerduty-AbCdEf', false],
  ])('calls %s a broad resource: %p', (resource, expected) => {
    // Act / Assess
    expect(isBroadResource(resource)).toBe(expected);
  });

  // Built at run time so the file itself holds nothing shaped like a credential.
  const fakeRoutingKey = '0a1b2c3d4e5f'.repeat(3).slice(0, 32);
  const fakeSecretKey = `${'Ab1/'.repeat(10)}`;
  const fakeAccessKeyId = `AKIA${'Z9'.repeat(8)}`;
  it.each([
    [`routing key ${fakeRoutingKey}`, ['PagerDuty routing key']],
    [`{"secret":"${fakeSecretKey}"}`, ['AWS secret access key']],
    [fakeAccessKeyId, ['AWS access key id']],
    [PAGERDUTY_SECRET_ARN, []],
    ['EvaluatorFunctionRoleDefaultPolicyD1A36314', []],
    ['IncidentWorkflowRequestApprovalFunctionLogGroup081D8632', []],
    ['f'.repeat(64), []],
  ])('finds secret shapes in %s: %p', (value, expected) => {
    // Act
    const found = secretShapesIn(value).map((finding) => finding.split(':')[0]);

    // Assess
    expect(found).toEqual(expected);
  });

  it('marks exactly the mutating actions of ACTIONS_ONLY_ON_STAR with what bounds them', () => {
    // Act
    const inconsistent = Object.entries(ACTIONS_ONLY_ON_STAR).filter(([action, entry]) => isReadOnly(action) === (entry.mutates !== undefined));

    // Assess
    expect(inconsistent.map(([action]) => action)).toEqual([]);
  });
});

/** Sharded, the schedule starts the fan-out; unsharded, it invokes the function (a Lambda permission). */
describe.each<[string, EvaluatorProps, { readonly scheduleInvokesEvaluator: boolean }]>([
  ['a sharded evaluator', SHARDED, { scheduleInvokesEvaluator: false }],
  ['one evaluator invocation per tick', {}, { scheduleInvokesEvaluator: true }],
])('the stack with everything on and %s', (_name, evaluator, { scheduleInvokesEvaluator }) => {
  let resources: Record<string, CfnResource>;
  let documents: PolicyDocument[];

  beforeAll(() => {
    // The rules read the template, not the bundles: skip esbuild.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new BurnwatchStack(app, 'Burnwatch', { burnwatch: everythingOn(evaluator) });
    resources = Template.fromStack(stack).toJSON().Resources as Record<string, CfnResource>;
    documents = policyDocuments(resources);
  });

  const ofType = (type: string): [string, Properties][] =>
    Object.entries(resources)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => [id, r.Properties ?? {}]);
  const isTemplateKey = (value: unknown): boolean => {
    const attribute = (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
    return attribute !== undefined && attribute[1] === 'Arn' && resources[attribute[0]]?.Type === 'AWS::KMS::Key';
  };

  it('finds the policies of every kind the stack has: identity, trust, key, topic, queue and bucket policies', () => {
    // Assess: so the rules below are never checked against nothing
    const kinds = new Set(documents.map((doc) => `${doc.kind} ${resources[doc.logicalId]!.Type}`));
    expect([...kinds].sort()).toEqual(
      expect.arrayContaining([
        'identity AWS::IAM::Policy',
        'key AWS::KMS::Key',
        'resource AWS::S3::BucketPolicy',
        'resource AWS::SNS::TopicPolicy',
        'resource AWS::SQS::QueuePolicy',
        'trust AWS::IAM::Role',
      ]),
    );
    expect(documents.filter((doc) => doc.kind === 'identity').length).toBeGreaterThanOrEqual(10);
  });

  it('grants iam:PassRole only as ALLOWED_PASS_ROLE lists, on that role\'s ARN (none is needed)', () => {
    // Act
    const grants = documents
      .filter((doc) => doc.kind === 'identity')
      .flatMap((doc) => doc.statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).some((a) => covers(a, 'iam:PassRole'))).map((s) => ({ doc, s })));
    const unexpected = grants.filter(({ doc, s }) => {
      const allowed = ALLOWED_PASS_ROLE.find((entry) => doc.logicalId.startsWith(entry.policy));
      const resources = listOf(s.Resource).map(text);
      return allowed === undefined || resources.length !== 1 || !new RegExp(`^\\$\\{${allowed.role}[0-9A-F]{8}\\.Arn\\}$`).test(resources[0]!);
    });

    // Assess
    expect(unexpected.map(({ doc, s }) => `${label(doc, s)}: iam:PassRole on ${listOf(s.Resource).map(text).join(', ')}`)).toEqual([]);
    expect(grants).toHaveLength(ALLOWED_PASS_ROLE.length);
  });

  it('has no wildcard principal except under an accepted condition, no NotPrincipal, and services only in trust policies', () => {
    // Act
    const findings = documents.flatMap(principalFindings);

    // Assess
    expect(findings).toEqual([]);
    // The accepted forms are in use (TLS-only denies, the publishers-only deny), so the check above saw them.
    const wildcards = documents.flatMap((doc) => doc.statements).filter((s) => isWildcardPrincipal(s.Principal));
    expect(wildcards.length).toBeGreaterThan(0);
  });

  it('scopes every action to named resources, except the actions AWS allows on "*" only, each listed with its reason', () => {
    // Act
    const findings = documents.filter((doc) => doc.kind === 'identity').flatMap(identityFindings);

    // Assess
    expect(findings).toEqual([]);
  });

  it('scopes resource policies to their own resource', () => {
    // Act: topic, queue and bucket policies name the resource they belong to (or its objects), never "*"
    const findings = documents
      .filter((doc) => doc.kind === 'resource')
      .flatMap((doc) => doc.statements.flatMap((s) => listOf(s.Resource).map(text).filter(isBroadResource).map((r) => `${label(doc, s)}: ${actionsOf(s).join(',')} on ${r}`)));

    // Assess
    expect(findings).toEqual([]);
  });

  it('lets only this account, or a service limited to this account, a source or an encryption context, use each key', () => {
    // Act
    const findings = documents.filter((doc) => doc.kind === 'key').flatMap(keyPolicyFindings);
    const open = findings.filter((finding) => OPEN_FINDINGS.some(({ finding: known }) => known.test(finding)));

    // Assess: only the known open findings (fixed outside these files, see OPEN_FINDINGS), each still present
    expect(findings.filter((finding) => !open.includes(finding))).toEqual([]);
    expect(OPEN_FINDINGS.filter(({ finding }) => !open.some((f) => finding.test(f))).map(({ fix }) => fix)).toEqual([]);
  });

  it('gives Lambda invoke permissions to services only, each for one source of this stack', () => {
    // Act
    const permissions = ofType('AWS::Lambda::Permission');
    const sourceId = (arn: unknown): string => (arn as { 'Fn::GetAtt'?: [string] } | undefined)?.['Fn::GetAtt']?.[0] ?? '';
    const findings = permissions
      .filter(
        ([, p]) =>
          typeof p.Principal !== 'string' ||
          !p.Principal.endsWith('.amazonaws.com') ||
          resources[sourceId(p.SourceArn)] === undefined ||
          p.FunctionUrlAuthType !== undefined,
      )
      .map(([id, p]) => `${id}: ${JSON.stringify({ Principal: p.Principal, SourceArn: p.SourceArn })}`);

    // Assess
    expect(findings).toEqual([]);
  });

  it('lets the schedule invoke the evaluator only when it is not sharded (the fan-out invokes it through its role)', () => {
    // Prepare
    const [[evaluatorId]] = ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('EvaluatorFunction')) as [[string, Properties]];

    // Act
    const evaluatorPermissions = ofType('AWS::Lambda::Permission').filter(([, p]) => sameJson(p.FunctionName, { 'Fn::GetAtt': [evaluatorId, 'Arn'] }));

    // Assess
    expect(evaluatorPermissions.map(([, p]) => [p.Principal, resources[(p.SourceArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]]?.Type])).toEqual(
      scheduleInvokesEvaluator ? [['events.amazonaws.com', 'AWS::Events::Rule']] : [],
    );
  });

  describe('encryption at rest with the stack\'s own KMS keys', () => {
    it.each<[string, (p: Properties) => unknown]>([
      ['AWS::DynamoDB::Table', (p) => p.SSESpecification?.SSEEnabled === true && p.SSESpecification.SSEType === 'KMS' && p.SSESpecification.KMSMasterKeyId],
      ['AWS::SNS::Topic', (p) => p.KmsMasterKeyId],
      ['AWS::SQS::Queue', (p) => p.KmsMasterKeyId],
      ['AWS::Logs::LogGroup', (p) => p.KmsKeyId],
      [
        'AWS::S3::Bucket',
        (p) => {
          const rules = (p.BucketEncryption?.ServerSideEncryptionConfiguration ?? []) as Properties[];
          const byDefault = rules[0]?.ServerSideEncryptionByDefault as Properties | undefined;
          return rules.length === 1 && byDefault?.SSEAlgorithm === 'aws:kms' && byDefault.KMSMasterKeyID;
        },
      ],
    ])('encrypts every %s with a customer-managed key', (type, keyOf) => {
      // Act
      const all = ofType(type);
      const unencrypted = all.filter(([, p]) => !isTemplateKey(keyOf(p))).map(([id]) => id);

      // Assess
      expect(all.length).toBeGreaterThan(0);
      expect(unencrypted).toEqual([]);
    });

    it('rotates every key', () => {
      // Assess
      expect(ofType('AWS::KMS::Key').filter(([, p]) => p.EnableKeyRotation !== true).map(([id]) => id)).toEqual([]);
    });
  });

  it.each([
    ['AWS::S3::Bucket', 'AWS::S3::BucketPolicy', 'Bucket', 's3:*'],
    ['AWS::SNS::Topic', 'AWS::SNS::TopicPolicy', 'Topics', 'sns:Publish'],
    ['AWS::SQS::Queue', 'AWS::SQS::QueuePolicy', 'Queues', 'sqs:*'],
  ])('covers every %s with a TLS-only %s', (type, policyType, targets, action) => {
    // Prepare: the resources whose policy holds the TLS-only deny
    const covered = new Set(
      ofType(policyType)
        .filter(([, p]) =>
          (p.PolicyDocument.Statement as Statement[]).some(
            (s) => s.Effect === 'Deny' && isWildcardPrincipal(s.Principal) && sameJson(actionsOf(s), [action]) && sameJson(s.Condition, { Bool: { 'aws:SecureTransport': 'false' } }),
          ),
        )
        .flatMap(([, p]) => listOf(p[targets]).map(text)),
    );

    // Act
    const all = ofType(type);
    const uncovered = all.map(([id]) => id).filter((id) => !covered.has(`\${${id}}`));

    // Assess
    expect(all.length).toBeGreaterThan(0);
    expect(uncovered).toEqual([]);
  });

  it('denies non-TLS requests on the forensic bucket and on its objects', () => {
    // Prepare
    const [[bucketId]] = ofType('AWS::S3::Bucket') as [[string, Properties]];

    // Act
    const [[, policy]] = ofType('AWS::S3::BucketPolicy') as [[string, Properties]];
    const deny = (policy.PolicyDocument.Statement as Statement[]).find((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false');

    // Assess
    expect(policy.Bucket).toEqual({ Ref: bucketId });
    expect(listOf(deny?.Resource).map(text).sort()).toEqual([`\${${bucketId}.Arn}`, `\${${bucketId}.Arn}/*`]);
  });

  it('keeps secrets out of environment variables: the PagerDuty function gets the secret\'s ARN, never a value', () => {
    // Act
    const variables = ofType('AWS::Lambda::Function').flatMap(([id, p]) =>
      Object.entries((p.Environment?.Variables ?? {}) as Record<string, unknown>).map(([name, value]) => ({ id, name, value: text(value) })),
    );
    const secretNamed = variables.filter(({ name }) => /SECRET|ROUTING|TOKEN|PASSWORD|API_?KEY|CREDENTIAL/i.test(name));

    // Assess
    expect(secretNamed.map(({ name, value }) => [name, value])).toEqual([['PAGERDUTY_SECRET_ARN', PAGERDUTY_SECRET_ARN]]);
    expect(variables.filter(({ value }) => value.includes('{{resolve:')).map(({ id, name }) => `${id}.${name}`)).toEqual([]);
    expect(variables.flatMap(({ id, name, value }) => secretShapesIn(value).map((shape) => `${id}.${name}: ${shape}`))).toEqual([]);
  });

  it('holds nothing shaped like a routing key or an AWS key anywhere in the template, and no secret value resource', () => {
    // Act
    const leaves = stringLeaves(resources, 'Resources', []);
    const findings = leaves.flatMap(({ path, value }) => secretShapesIn(value).map((shape) => `${path}: ${shape}`));

    // Assess
    expect(leaves.length).toBeGreaterThan(100);
    expect(findings).toEqual([]);
    expect(leaves.filter(({ value }) => value.includes('{{resolve:secretsmanager')).map(({ path }) => path)).toEqual([]);
    expect(ofType('AWS::SecretsManager::Secret')).toEqual([]);
  });
});
