/**
 * The monthly report in the stack: the schedule on the 1st, the function's environment, least-privilege grants
 * (read the table, GetMetricData, put under reports/ only, publish to the alert topic), and the `reports` config
 * section's validation and defaults.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { ConfigChecker } from '../../lib/config/validate';
import { checkReports, normalizeReportsProps, REPORTS_DEFAULTS } from '../../lib/config/reports';
import { formatProblem } from '../../lib/config/errors';
import { BurnwatchStack } from '../../lib/burnwatch-stack';
import { MonthlyReport } from '../../lib/constructs/monthly-report';
import { normalizeBurnwatchProps } from '../../lib/config/normalize';
import { validProps } from '../config/fixtures';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
const actionsOf = (statement: Statement): string[] => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);

// The checks read the construct tree and the template, not the bundle: skip esbuild.
const noBundling = (): App => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

describe('MonthlyReport in the stack', () => {
  let stack: BurnwatchStack;
  let template: Template;
  let statements: Statement[];

  beforeAll(() => {
    stack = new BurnwatchStack(noBundling(), 'Burnwatch', { burnwatch: validProps() });
    template = Template.fromStack(stack);
    const roleId = stack.getLogicalId(stack.monthlyReport!.function.role!.node.defaultChild as never);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      (policy.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId })),
    );
    statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  });

  it('runs at 02:00 UTC on the first of each month by default, targeting the report function', () => {
    // Assess
    const fnId = stack.getLogicalId(stack.monthlyReport!.function.node.defaultChild as never);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 2 1 * ? *)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
    });
  });

  it('tells the function where the table, the bucket and its key, and the alert topic are', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Burnwatch monthly report'),
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          BURNWATCH_CONFIG_FILE: 'burnwatch-config.json',
          STATE_TABLE_NAME: { Ref: stack.getLogicalId(stack.stateTable.table.node.defaultChild as never) },
          REPORT_BUCKET: { Ref: stack.getLogicalId(stack.incidentWorkflow.forensicBucket.node.defaultChild as never) },
          REPORT_KMS_KEY_ID: Match.anyValue(),
          ALERT_TOPIC_ARN: Match.anyValue(),
        }),
      },
    });
  });

  it('may put objects only under reports/ of the forensic bucket', () => {
    // Assess
    const s3 = statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('s3:')));
    expect(s3).toEqual([
      expect.objectContaining({
        Action: 's3:PutObject',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [stack.getLogicalId(stack.incidentWorkflow.forensicBucket.node.defaultChild as never), 'Arn'] }, '/reports/*']] },
      }),
    ]);
  });

  it('only reads the table, and writes nothing but logs, traces, report objects and the announcement', () => {
    // Assess
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:Scan', 'dynamodb:GetItem', 'cloudwatch:GetMetricData', 'sns:Publish', 'kms:GenerateDataKey']));
    const writes = actions.filter((action) => /^(dynamodb:(Put|Update|Delete|BatchWrite)|s3:(Delete|Get)|cloudwatch:Put|sns:(Subscribe|SetTopic))/.test(action));
    expect(writes).toEqual([]);
    const getMetricData = statements.find((statement) => actionsOf(statement).includes('cloudwatch:GetMetricData'));
    expect(getMetricData).toMatchObject({ Action: 'cloudwatch:GetMetricData', Resource: '*' });
  });

  it('is a publisher the alert topic\'s policy lets through', () => {
    // Assess: the topic denies every publisher it does not list.
    const roleArn = { 'Fn::GetAtt': [stack.getLogicalId(stack.monthlyReport!.function.role!.node.defaultChild as never), 'Arn'] };
    const topicPolicies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    expect(JSON.stringify(topicPolicies)).toContain(JSON.stringify(roleArn));
  });

  it('bundles the SLO definitions the evaluator runs', () => {
    // Assess: the factory stages the file from this JSON; the evaluator gets the same.
    expect(stack.monthlyReport).toBeDefined();
    expect(normalizeBurnwatchProps(validProps()).runtime).toEqual(stack.config.runtime);
  });
});

describe('MonthlyReport alone', () => {
  it('takes a configured schedule and timeout', () => {
    // Prepare
    const stack = new Stack(noBundling(), 'Alone');
    const table = new Table(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING }, sortKey: { name: 'sk', type: AttributeType.STRING } });
    const topic = new Topic(stack, 'Topic');

    // Act
    new MonthlyReport(stack, 'Report', {
      runtimeConfig: normalizeBurnwatchProps(validProps()).runtime,
      settings: normalizeReportsProps({ schedule: 'cron(30 6 2 * ? *)', timeoutSeconds: 600 }),
      table,
      bucket: new Bucket(stack, 'Bucket'),
      alerts: { topic, grantPublish: (grantee) => topic.grantPublish(grantee) },
    });

    // Assess: an S3-managed bucket has no key to name.
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(30 6 2 * ? *)' });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 600, Environment: { Variables: Match.objectLike({ REPORT_KMS_KEY_ID: Match.absent() }) } });
  });
});

describe('the reports config section', () => {
  it('defaults to enabled, 02:00 UTC on the 1st, 300 s', () => {
    // Act / Assess
    expect(normalizeReportsProps(undefined)).toEqual({ enabled: true, schedule: 'cron(0 2 1 * ? *)', timeoutSeconds: 300 });
    expect(normalizeReportsProps({ enabled: false })).toEqual({ ...REPORTS_DEFAULTS, enabled: false });
  });

  it.each([
    [{ enabled: 'yes' }, 'reports.enabled: must be true or false, got "yes"'],
    [{ schedule: 'rate(30 days)' }, 'reports.schedule: must be an EventBridge cron expression with six fields, e.g. "cron(0 2 1 * ? *)", got "rate(30 days)"'],
    [{ schedule: 'cron(0 2 1 * *)' }, 'reports.schedule: must be an EventBridge cron expression with six fields, e.g. "cron(0 2 1 * ? *)", got "cron(0 2 1 * *)"'],
    [{ timeoutSeconds: 30 }, 'reports.timeoutSeconds: must be an integer from 60 to 900, got 30'],
    [{ monthly: true }, 'reports.monthly: unknown field (allowed: enabled, schedule, timeoutSeconds), got true'],
    ['daily', 'reports: must be an object with some of enabled, schedule, timeoutSeconds, got "daily"'],
  ])('refuses %j, naming the field, what is allowed and what was given', (value, message) => {
    // Prepare
    const c = new ConfigChecker();

    // Act
    checkReports(c, ['reports'], value);

    // Assess
    expect(c.problems.map(formatProblem)).toEqual([message]);
  });

  it('accepts every documented field at once', () => {
    // Prepare
    const c = new ConfigChecker();

    // Act
    checkReports(c, ['reports'], { enabled: true, schedule: 'cron(0 2 1 * ? *)', timeoutSeconds: 900 });

    // Assess
    expect(c.problems).toEqual([]);
  });
});

describe('the reports section in the stack props', () => {
  it('leaves the report function and its schedule out when reports.enabled is false', () => {
    // Act
    const stack = new BurnwatchStack(noBundling(), 'Burnwatch', { burnwatch: { ...validProps(), reports: { enabled: false } } });

    // Assess
    expect(stack.monthlyReport).toBeUndefined();
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: 'cron(0 2 1 * ? *)' }, 0);
  });

  it('uses a configured schedule from the stack props', () => {
    // Act
    const stack = new BurnwatchStack(noBundling(), 'Burnwatch', { burnwatch: { ...validProps(), reports: { schedule: 'cron(30 6 1 * ? *)' } } });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(30 6 1 * ? *)' });
  });

  it('refuses a bad reports section at synth, before any resource is created, naming the field', () => {
    // Act / Assess
    expect(() => new BurnwatchStack(noBundling(), 'Burnwatch', { burnwatch: { ...validProps(), reports: { timeoutSeconds: 30 } } })).toThrow(
      'reports.timeoutSeconds: must be an integer from 60 to 900, got 30',
    );
  });
});
