import { join } from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BurnwatchStack } from '../../lib/burnwatch-stack';
import { BurnwatchConfigError } from '../../lib/config/errors';
import { BundledFileError, createBurnwatchFunction, EnvironmentConflictError, LambdaEnvironmentTooLargeError } from '../../lib/constructs/lambda-function';
import { StateTable, StateTableConfigError } from '../../lib/constructs/state-table';
import { thrownBy, validProps, validSlo } from '../config/fixtures';

const EXISTING_TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/burnwatch-state';

/** An app that skips esbuild: these tests look at the template or at errors, not at the bundle. */
const appWithoutBundling = (): App => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

describe('BurnwatchStack with an existing table and custom evaluator settings', () => {
  let template: Template;

  beforeAll(() => {
    // Prepare: a table owned by another stack, shared through a cross-stack reference
    const app = appWithoutBundling();
    const shared = new Stack(app, 'Shared');
    const existingTable = new Table(shared, 'Existing', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
    });
    const burnwatch = new BurnwatchStack(app, 'Burnwatch', {
      burnwatch: validProps({ evaluator: { scheduleMinutes: 5, timeoutSeconds: 120, memorySize: 2048, reservedConcurrency: 2 } }),
      existingStateTable: existingTable,
    });
    template = Template.fromStack(burnwatch);
  });

  it('creates no table and grants the evaluator the existing one', () => {
    // Assess
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['dynamodb:GetItem', 'dynamodb:PutItem']),
            Resource: [{ 'Fn::ImportValue': Match.stringLikeRegexp('^Shared:.*Existing') }],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ STATE_TABLE_NAME: { 'Fn::ImportValue': Match.stringLikeRegexp('^Shared:.*Existing') } }) },
    });
  });

  it('applies the evaluator settings to the schedule and the function', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 120, MemorySize: 2048, ReservedConcurrentExecutions: 2 });
  });
});

describe('synth-time checks', () => {
  it('fails on a bad configuration before creating any resource', () => {
    // Prepare
    const app = appWithoutBundling();

    // Act
    const error = thrownBy(() => new BurnwatchStack(app, 'Burnwatch', { burnwatch: validProps({ slos: [validSlo({ objective: 100 })] }) }));

    // Assess
    expect(error).toBeInstanceOf(BurnwatchConfigError);
    expect(app.node.findAll().filter((construct) => construct instanceof CfnResource)).toEqual([]);
  });

  it("accepts 40 SLOs: the config is bundled as a file, not held in Lambda's 4 KB environment", () => {
    // Prepare: each normalised SLO is close to 1 KB of JSON
    const slos = Array.from({ length: 40 }, (_, index) => validSlo({ name: `api-availability-${index}`, description: 'API requests succeed' }));
    const app = appWithoutBundling();

    // Act
    const stack = new BurnwatchStack(app, 'Burnwatch', { burnwatch: validProps({ slos }) });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ BURNWATCH_CONFIG_FILE: 'burnwatch-config.json' }) },
    });
  });

  it("refuses an environment that does not fit Lambda's 4 KB, naming the variable", () => {
    const stack = new Stack(appWithoutBundling(), 'Test');
    const error = thrownBy(() =>
      createBurnwatchFunction(stack, 'Fn', {
        entry: 'lambda/handlers/evaluator.ts',
        description: 'test',
        serviceName: 'test',
        environment: { BIG: 'x'.repeat(5000) },
      }),
    );
    expect(error).toBeInstanceOf(LambdaEnvironmentTooLargeError);
    expect(error.message).toMatch(/Test\/Fn: environment must be at most 4096 bytes .*\(BIG \d+ B/);
  });

  it('refuses a bundled file name that could escape the bundle directory', () => {
    const stack = new Stack(appWithoutBundling(), 'Test');
    const error = thrownBy(() =>
      createBurnwatchFunction(stack, 'Fn', { entry: 'lambda/handlers/evaluator.ts', description: 'test', serviceName: 'test', files: { '../x.json': '{}' } }),
    );
    expect(error).toBeInstanceOf(BundledFileError);
    expect(error.message).toBe('Test/Fn: files["../x.json"]: name must match ^[A-Za-z0-9._-]+$');
  });

  it('refuses an environment variable the function factory sets itself', () => {
    // Prepare
    const stack = new Stack(appWithoutBundling(), 'Test');

    // Act
    const error = thrownBy(() =>
      createBurnwatchFunction(stack, 'Fn', {
        entry: join(__dirname, '..', '..', 'lambda', 'handlers', 'evaluator.ts'),
        description: 'test',
        serviceName: 'test',
        environment: { POWERTOOLS_SERVICE_NAME: 'other' },
      }),
    );

    // Assess
    expect(error).toBeInstanceOf(EnvironmentConflictError);
    expect(error.message).toBe('Test/Fn: environment.POWERTOOLS_SERVICE_NAME must not be given, it is set by the function factory');
  });

  it('refuses a key for an existing table', () => {
    // Prepare
    const stack = new Stack(appWithoutBundling(), 'Test');
    const existingTable = Table.fromTableArn(stack, 'Existing', EXISTING_TABLE_ARN);

    const encryptionKey = new Key(stack, 'Key');

    // Act
    const error = thrownBy(() => new StateTable(stack, 'State', { existingTable, encryptionKey }));

    // Assess
    expect(error).toBeInstanceOf(StateTableConfigError);
    expect(error.message).toMatch(/^Test\/State: encryptionKey must be omitted when existingTable is given/);
  });
});
