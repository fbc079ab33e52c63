import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { join } from 'node:path';
import { loadBundledRuntimeConfig } from '../../lambda/handlers/runtime-config';
import { BurnwatchStack } from '../../lib/burnwatch-stack';
import { validProps, workbookBurnRate } from '../config/fixtures';

type AslValidator = (definition: unknown, options?: { checkArn?: boolean; checkPaths?: boolean }) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};
// asl-validator ships no type declarations.
const validateAsl = require('asl-validator') as AslValidator;

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** A Fn::Join of literal text and references, with each reference replaced by a marker, parsed as JSON. */
function parseJoinedJson(value: unknown): any {
  const join = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  const text = join[1].map((part) => (typeof part === 'string' ? part : 'REF')).join(join[0]);
  return JSON.parse(text);
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

describe('BurnwatchStack', () => {
  let template: Template;
  let stack: BurnwatchStack;
  let resources: Record<string, Resource>;
  let app: App;

  // One synth (with esbuild bundling) for the whole file.
  beforeAll(() => {
    // Asset metadata names each function's staged bundle, so a test can read what was bundled.
    app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });
    stack = new BurnwatchStack(app, 'Burnwatch', { burnwatch: validProps() });
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources as Record<string, Resource>;
  });

  const logicalId = (type: string): string => {
    const ids = Object.keys(template.findResources(type));
    expect(ids).toHaveLength(1);
    return ids[0]!;
  };
  /** The one resource of a type whose logical id starts with the construct path's prefix. */
  const logicalIdWithPrefix = (type: string, prefix: string): string => {
    const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
    expect(ids).toHaveLength(1);
    return ids[0]!;
  };
  const evaluatorFunctionId = (): string => logicalIdWithPrefix('AWS::Lambda::Function', 'EvaluatorFunction');
  const stateMachineId = (): string => logicalId('AWS::StepFunctions::StateMachine');
  const tableId = (): string => logicalId('AWS::DynamoDB::Table');
  const keyId = (): string => logicalIdWithPrefix('AWS::KMS::Key', 'Encryption');
  const statementsOfRoleWith = (roleId: string): Statement[] =>
    Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  const evaluatorStatements = (): Statement[] =>
    statementsOfRoleWith(resources[evaluatorFunctionId()]!.Properties.Role['Fn::GetAtt'][0] as string);

  describe('evaluator schedule', () => {
    it('ticks every minute and never retries a late tick', () => {
      // Assess
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [evaluatorFunctionId(), 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
          }),
        ],
      });
    });

    it("turns off Lambda's own asynchronous retries too", () => {
      // Assess
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: evaluatorFunctionId() },
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      });
    });
  });

  describe('evaluator function', () => {
    it('runs Node.js 22 on arm64 with the configured timeout, memory, concurrency and active tracing', () => {
      // Assess
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: 55,
        MemorySize: 1024,
        ReservedConcurrentExecutions: 1,
        TracingConfig: { Mode: 'Active' },
      });
    });

    it('passes table, workflow and Powertools settings in the environment', () => {
      // Assess
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            STATE_TABLE_NAME: { Ref: tableId() },
            WORKFLOW_ARN: { Ref: stateMachineId() },
            POWERTOOLS_SERVICE_NAME: 'burnwatch-evaluator',
            NODE_OPTIONS: '--enable-source-maps',
          }),
        },
      });
    });

    it('bundles a config file the handler accepts, with the 14.4 / 6 / 1 rules', () => {
      // Prepare: the function's code asset, as staged in the cloud assembly
      const evaluator = resources[evaluatorFunctionId()] as Resource & { Metadata: Record<string, string> };
      const variables = evaluator.Properties.Environment.Variables as Record<string, unknown>;
      const assetDirectory = join(app.outdir, evaluator.Metadata['aws:asset:path'] as string);

      // Act
      const config = loadBundledRuntimeConfig(variables as Record<string, string>, assetDirectory);

      // Assess: the Workbook factors for 2 % / 1h, 5 % / 6h, 10 % / 3d of a 30-day budget
      const slo = config.slos[0]!;
      expect(slo.name).toBe('api-availability');
      expect(slo.objectivePercent).toBe(99.9);
      expect(slo.rules.map((rule) => rule.name)).toEqual(['1h/5m', '6h/30m', '3d/6h']);
      expect(slo.rules[0]!.burnRate).toBeCloseTo(workbookBurnRate(2, 60, 30), 10);
      expect(slo.rules[1]!.burnRate).toBeCloseTo(workbookBurnRate(5, 360, 30), 10);
      expect(slo.rules[2]!.burnRate).toBeCloseTo(workbookBurnRate(10, 4320, 30), 10);
      expect(slo.rules[0]!.burnRate).toBeCloseTo(14.4, 10);
      expect(slo.rules[1]!.burnRate).toBeCloseTo(6, 10);
      expect(slo.rules[2]!.burnRate).toBeCloseTo(1, 10);
      expect(config.evaluator.dataDelayMinutes).toBe(1);
    });

    it('logs to its own log group, kept a month and encrypted with the stack key', () => {
      // Prepare
      const logGroupRef = resources[evaluatorFunctionId()]!.Properties.LoggingConfig.LogGroup as { Ref: string };

      // Assess
      expect(resources[logGroupRef.Ref]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 30, KmsKeyId: { 'Fn::GetAtt': [keyId(), 'Arn'] } },
      });
    });
  });

  describe('evaluator permissions', () => {
    it('reads CloudWatch metrics on "*", the only resource AWS allows for them', () => {
      // Assess
      expect(evaluatorStatements()).toContainEqual({
        Action: ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics'],
        Effect: 'Allow',
        Resource: '*',
      });
    });

    it('starts executions of the incident workflow and nothing else', () => {
      // Prepare
      const allStatements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
      );

      // Act
      const startStatements = allStatements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('states:')));

      // Assess
      expect(startStatements).toEqual([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: stateMachineId() } }]);
      expect(evaluatorStatements()).toContainEqual(startStatements[0]);
    });

    it('reads and writes the state table, and only that table', () => {
      // Prepare
      const tableStatements = evaluatorStatements().filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')));

      // Assess
      expect(tableStatements.flatMap(actionsOf)).toEqual(
        expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem']),
      );
      for (const statement of tableStatements) expect(statement.Resource).toEqual([{ 'Fn::GetAtt': [tableId(), 'Arn'] }]);
    });

    it('writes logs only to its own log group', () => {
      // Prepare
      const logStatements = evaluatorStatements().filter((statement) => actionsOf(statement).some((action) => action.startsWith('logs:')));
      const logGroupId = (resources[evaluatorFunctionId()]!.Properties.LoggingConfig.LogGroup as { Ref: string }).Ref;

      // Assess
      expect(logStatements).toEqual([
        { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
      ]);
    });

    it('has no managed policies and no action wildcards beyond the KMS grant', () => {
      // Prepare
      const roles = Object.values(template.findResources('AWS::IAM::Role'));
      const wildcardActions = Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
        .flatMap(actionsOf)
        .filter((action) => action.includes('*'));

      // Assess
      for (const role of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      // KMS grants made by CDK, and s3:Abort* from the forensic bucket's grantPut (cleans up failed multipart uploads).
      expect(new Set(wildcardActions)).toEqual(new Set(['kms:ReEncrypt*', 'kms:GenerateDataKey*', 's3:Abort*']));
    });
  });

  describe('state table', () => {
    it('has string keys pk / sk, on-demand billing, TTL on expiresAt and point-in-time recovery', () => {
      // Assess
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      });
    });

    it('is encrypted with the customer-managed key', () => {
      // Assess
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId(), 'Arn'] } },
      });
    });

    it.each(['AWS::DynamoDB::Table', 'AWS::KMS::Key'])('retains the %s when the stack is deleted', (type) => {
      // Assess
      template.hasResource(type, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('uses a key that rotates and lets CloudWatch Logs use it only for this account\'s log groups', () => {
      // Assess
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'AllowCloudWatchLogsForThisAccount',
              Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
            }),
          ]),
        },
      });
    });
  });

  describe('incident workflow', () => {
    it('is a Standard state machine with X-Ray tracing', () => {
      // Assess
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
      });
    });

    it('logs ALL events with execution data to an encrypted log group', () => {
      // Prepare
      const logging = resources[stateMachineId()]!.Properties.LoggingConfiguration;
      const logGroupId = logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] as string;

      // Assess
      expect(logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
      expect(resources[logGroupId]!.Properties).toMatchObject({ RetentionInDays: 30, KmsKeyId: { 'Fn::GetAtt': [keyId(), 'Arn'] } });
    });

    it('is valid ASL and times out after one hour (the workflow itself is tested in incident-workflow.test.ts)', () => {
      // Act
      const definition = parseJoinedJson(resources[stateMachineId()]!.Properties.DefinitionString);

      // Assess: valid ASL (ARNs hold deploy-time references, so they are not checked)
      expect(validateAsl(definition, { checkArn: false }).errorsText()).toBe('');
      expect(definition.TimeoutSeconds).toBe(3600);
    });
  });
});
