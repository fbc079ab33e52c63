/**
 * `burnwatch report --from-stack`: the state table found through the stack's StateTableName output
 * (CloudFormation and DynamoDB through aws-sdk-client-mock), counts from CloudWatch through the real metric source
 * (against the local CloudWatch), and the same JSON rows as the offline report, figures derived by hand.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { parseOptions } from '../../bin/burnwatch';
import { REPORT_OPTIONS, reportCommand } from '../../cli/report/main';
import type { ReportDeps } from '../../cli/report/main';
import type { ReportJson } from '../../cli/report/render';
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { incidentKey, tenantStateKey } from '../../lambda/domain/keys';
import { MINUTE_MS, STATE_SCHEMA_VERSION } from '../../lambda/domain/model';
import { apiAvailabilityYaml, runWithCapturedIo, useTempDir, type CommandRun } from '../support/cli';

/** Data from 28 March 00:00 to the end of the month: 4 days x 1,440 minutes. */
const FROM = Date.UTC(2026, 2, 28);
const MINUTES = 4 * 1440;
const NOW = Date.UTC(2026, 3, 1, 2);
const at = (h: number, m: number): number => Date.UTC(2026, 2, 28, h, m);
const OUTAGE = [at(10, 1), at(10, 31)] as const;

const incidentItem = {
  ...incidentKey('inc-1'),
  schemaVersion: STATE_SCHEMA_VERSION,
  id: 'inc-1',
  slo: 'api-availability',
  severity: 'page',
  status: 'resolved',
  openedAt: at(10, 5),
  resolvedAt: at(10, 50),
  tenants: [{ tenant: 'acme', joinedAt: at(10, 5), level: 'page', burnRates: { '5': 1000 }, budgetRemainingAtJoin: 0.9, recoveredAt: at(10, 47), budgetLost: 0.1 }],
  executionArn: null,
  suspectedCause: 'deployment d-1',
  failureMode: 'deployment',
  forensicUri: null,
  timeline: [
    { at: at(10, 8), step: 'action-succeeded', detail: 'round 1: codedeploy-rollback on api: rolled back' },
    { at: at(10, 20), step: 'validated', detail: 'round 1: 1 of 1 tenant(s) recovered on 1h/5m; decision recovered' },
  ],
  version: 4,
};

describe('burnwatch report --from-stack', () => {
  const sloFile = useTempDir('burnwatch-report-stack-').file('slo.yaml', apiAvailabilityYaml());

  const cloudFormation = new CloudFormationClient({});
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const cfn = mockClient(cloudFormation);
  const ddb = mockClient(dynamo);

  beforeEach(() => {
    cfn.reset();
    ddb.reset();
    cfn.on(DescribeStacksCommand, { StackName: 'Burnwatch' }).resolves({
      Stacks: [{ StackName: 'Burnwatch', CreationTime: new Date(0), StackStatus: 'UPDATE_COMPLETE', Outputs: [{ OutputKey: 'StateTableName', OutputValue: 'burnwatch-state' }] }],
    });
    ddb.on(ScanCommand).callsFake((input: { TableName: string; FilterExpression: string }) => {
      if (input.TableName !== 'burnwatch-state') throw new Error(`unexpected table ${input.TableName}`);
      return input.FilterExpression.includes(':incident')
        ? { Items: [{ ...incidentKey('inc-1'), id: 'inc-1' }] }
        : { Items: [{ ...tenantStateKey('api-availability', 'acme'), tenant: 'acme' }] };
    });
    ddb.on(GetCommand, { TableName: 'burnwatch-state', Key: incidentKey('inc-1') }).resolves({ Item: incidentItem });
  });

  function cloudWatch(): LocalCloudWatch {
    const local = new LocalCloudWatch({ clock: () => NOW });
    const minutes = Array.from({ length: MINUTES }, (_, i) => FROM + i * MINUTE_MS);
    const dimensions = { TenantId: 'acme' };
    local.putMinutes('MyService', 'Requests', dimensions, FROM, minutes.map(() => 100));
    local.putMinutes('MyService', 'Errors', dimensions, FROM, minutes.map((minute) => (minute >= OUTAGE[0] && minute < OUTAGE[1] ? 100 : 0)));
    return local;
  }

  function run(args: readonly string[], deps: ReportDeps): Promise<CommandRun> {
    return runWithCapturedIo((io) => reportCommand(parseOptions(args, REPORT_OPTIONS), io, deps));
  }

  it('reports the stack\'s month with the offline JSON contract: hourly figures, incidents from the records', async () => {
    // Act
    const { code, stdout, stderr } = await run(['--slo', sloFile, '--from-stack', 'Burnwatch', '--month', '2026-03'], {
      cloudFormation,
      dynamo,
      cloudWatch: cloudWatch().client(),
      now: () => NOW,
    });

    // Assess: 5,760 minutes x 100 = 576,000 requests, 30 minutes x 100 = 3,000 bad. Budget = 0.001 x 576,000 = 576.
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as ReportJson;
    expect(json).toEqual({
      month: '2026-03',
      rows: [
        {
          tenant: 'acme',
          slo: 'api-availability',
          objective: 0.999,
          attainment: Number((1 - 3000 / 576000).toFixed(9)),
          budgetConsumedPercent: Number(((100 * 3000) / 576).toFixed(6)),
          // Hourly data cannot tell bad minutes.
          badMinutes: null,
          // Detect: alert 10:05 - first bad minute 10:01; mitigate: 10:47 - 10:05.
          incidents: [
            {
              firedAt: new Date(at(10, 5)).toISOString(),
              resolvedAt: new Date(at(10, 47)).toISOString(),
              durationMinutes: 42,
              detectMinutes: 4,
              incidentId: 'inc-1',
              actionsTaken: 1,
              actionsWorked: 1,
            },
          ],
          mttdMinutes: 4,
          mttmMinutes: 42,
        },
      ],
    });
  });

  it.each([
    ['--series with --from-stack', ['--slo', 'SLO', '--series', 'x.csv'], '--series: not with --from-stack (the stack is the source), got both'],
    // The stack's SLO definitions are bundled with its functions, out of reach: --slo names them.
    ['--from-stack without --slo', [], '--slo: required (a Burnwatch or OpenSLO v1 SLO file; with --from-stack, the one the stack was deployed with)'],
  ])('refuses %s with exit code 2', async (_what, extra, message) => {
    // Act
    const args = [...extra.map((arg) => (arg === 'SLO' ? sloFile : arg)), '--from-stack', 'Burnwatch', '--month', '2026-03'];
    const { code, stderr } = await run(args, { cloudFormation, dynamo });

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('says which stack has no StateTableName output', async () => {
    // Prepare
    cfn.on(DescribeStacksCommand, { StackName: 'Other' }).resolves({ Stacks: [{ StackName: 'Other', CreationTime: new Date(0), StackStatus: 'CREATE_COMPLETE', Outputs: [] }] });

    // Act
    const { code, stderr } = await run(['--slo', sloFile, '--from-stack', 'Other', '--month', '2026-03'], { cloudFormation, dynamo });

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('stack "Other": has no output StateTableName');
  });
});
