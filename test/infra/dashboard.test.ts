import { App, Duration, Stack } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { BurnwatchConfigError } from '../../lib/config/errors';
import { BurnwatchDashboard } from '../../lib/constructs/dashboard';
import type { BurnwatchDashboardProps } from '../../lib/constructs/dashboard';
import { SelfMonitoring } from '../../lib/constructs/self-monitoring';
import { thrownBy } from '../config/fixtures';

const SLOS = ['api-availability', 'checkout-latency'];
const EVALUATOR_TIMEOUT_SECONDS = 50;

interface Widget {
  readonly type: string;
  readonly width: number;
  readonly height: number;
  readonly x: number;
  readonly y: number;
  readonly properties: {
    readonly title?: string;
    readonly markdown?: string;
    readonly query?: string;
    readonly view?: string;
    readonly metrics?: readonly unknown[][];
    readonly alarms?: readonly string[];
    readonly annotations?: { readonly horizontal?: readonly { readonly value: number; readonly label?: string }[] };
  };
}

interface DashboardBody {
  readonly start?: string;
  readonly widgets: readonly Widget[];
}

interface Fixture {
  readonly stack: Stack;
  readonly evaluator: LambdaFunction;
  readonly workflow: StateMachine;
  readonly logGroup: LogGroup;
  readonly base: BurnwatchDashboardProps;
}

function fixture(): Fixture {
  // Prepare: plain resources with inline code, so nothing is bundled
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const evaluator = new LambdaFunction(stack, 'Evaluator', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => {}'),
  });
  const workflow = new StateMachine(stack, 'Workflow', { definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'Nothing')) });
  const logGroup = new LogGroup(stack, 'WorkflowLogs');
  return { stack, evaluator, workflow, logGroup, base: { sloNames: SLOS, evaluator, workflow } };
}

const logicalId = (stack: Stack, construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);
/** How the body parser below writes a deploy-time reference. */
const refText = (stack: Stack, construct: IConstruct): string => `<Ref:${logicalId(stack, construct)}>`;

/** Deploy-time parts of the body become `<Ref:Id>` / `<GetAtt:Id.Attr>` text, so the joined string parses as JSON. */
function tokenText(part: unknown): string {
  if (typeof part === 'string') return part;
  const token = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (token.Ref !== undefined) return `<Ref:${token.Ref}>`;
  if (token['Fn::GetAtt'] !== undefined) return `<GetAtt:${token['Fn::GetAtt'].join('.')}>`;
  throw new Error(`unexpected part of the dashboard body: ${JSON.stringify(part)}`);
}

function dashboardBody(stack: Stack): DashboardBody {
  const dashboards = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = (dashboards[0] as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody;
  if (typeof body === 'string') return JSON.parse(body) as DashboardBody;
  const [separator, parts] = (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return JSON.parse(parts.map(tokenText).join(separator)) as DashboardBody;
}

/** The widgets that chart a series matching `series` (a prefix of the widget's metric array). */
function widgetsCharting(body: DashboardBody, series: readonly unknown[]): Widget[] {
  return body.widgets.filter((widget) =>
    (widget.properties.metrics ?? []).some((metric) => series.every((value, index) => JSON.stringify(metric[index]) === JSON.stringify(value))),
  );
}

/** The options object of the metric in `widget` whose array starts with `series`. */
function optionsOf(widget: Widget, series: readonly unknown[]): Record<string, unknown> {
  const metric = (widget.properties.metrics ?? []).find((m) => series.every((value, index) => JSON.stringify(m[index]) === JSON.stringify(value)));
  return (metric?.[metric.length - 1] ?? {}) as Record<string, unknown>;
}

describe('BurnwatchDashboard with a workflow log group, the evaluator timeout and alarms', () => {
  let f: Fixture;
  let monitoring: SelfMonitoring;
  let body: DashboardBody;

  beforeAll(() => {
    f = fixture();
    monitoring = new SelfMonitoring(f.stack, 'SelfMonitoring', {
      evaluator: f.evaluator,
      evaluatorTimeout: Duration.seconds(EVALUATOR_TIMEOUT_SECONDS),
      workflow: f.workflow,
      sloNames: SLOS,
    });
    // Act
    new BurnwatchDashboard(f.stack, 'Dashboard', {
      ...f.base,
      workflowLogGroup: f.logGroup,
      evaluatorTimeout: Duration.seconds(EVALUATOR_TIMEOUT_SECONDS),
      alarms: monitoring.alarms,
    });
    body = dashboardBody(f.stack);
  });

  // The queries as the Metrics Insights grammar spells them: SELECT FUNCTION(metric) FROM SCHEMA(namespace, labels...)
  // WHERE label = 'value' GROUP BY label ORDER BY FUNCTION() ASC|DESC LIMIT n.
  it.each(SLOS)('charts the 10 tenants of %s with the least budget remaining with a Metrics Insights query', (slo) => {
    // Assess
    const query = `SELECT MIN(BudgetRemaining) FROM SCHEMA("Burnwatch", Slo, Tenant) WHERE Slo = '${slo}' GROUP BY Tenant ORDER BY MIN() ASC LIMIT 10`;
    const widgets = widgetsCharting(body, [{ expression: query }]);
    expect(widgets).toHaveLength(1);
    expect(widgets[0]?.properties.title).toBe(`${slo}: worst 10 tenants by budget remaining (%)`);
  });

  it.each(SLOS)('charts the 10 tenants of %s burning their budget fastest with a Metrics Insights query', (slo) => {
    // Assess
    const query = `SELECT MAX(BurnRate) FROM SCHEMA("Burnwatch", Slo, Tenant) WHERE Slo = '${slo}' GROUP BY Tenant ORDER BY MAX() DESC LIMIT 10`;
    const widgets = widgetsCharting(body, [{ expression: query }]);
    expect(widgets).toHaveLength(1);
    // Burn rate 1 spends the budget exactly over the SLO period: the line separates burning from sustainable.
    expect(widgets[0]?.properties.annotations?.horizontal?.map((a) => a.value)).toEqual([1]);
  });

  it('leaves the Metrics Insights series unlabelled, so each one is named after its tenant', () => {
    // Assess
    const queries = body.widgets.flatMap((w) => (w.properties.metrics ?? []).flat()).filter((m) => String((m as { expression?: string }).expression).startsWith('SELECT'));
    expect(queries).toHaveLength(2 * SLOS.length);
    for (const query of queries) expect(query).not.toHaveProperty('label');
  });

  it.each(SLOS.flatMap((slo) => ['TenantsPaging', 'TenantsTicket', 'TenantsFailed', 'TenantsWarming', 'TenantsEvaluated'].map((metric) => [slo, metric])))(
    'charts %s %s per minute in the SLO\'s paging / ticket widget',
    (slo, metric) => {
      // Assess
      const series = ['Burnwatch', metric, 'Slo', slo];
      const widgets = widgetsCharting(body, series);
      expect(widgets.map((w) => w.properties.title)).toEqual([`${slo}: tenants paging / ticket`]);
      expect(optionsOf(widgets[0] as Widget, series)).toMatchObject({ stat: 'Maximum', period: 60 });
    },
  );

  it.each(SLOS)('labels the warming tenants of %s "not evaluated (warming)"', (slo) => {
    // Assess
    const series = ['Burnwatch', 'TenantsWarming', 'Slo', slo];
    const [widget] = widgetsCharting(body, series);
    expect(optionsOf(widget as Widget, series)).toMatchObject({ label: 'not evaluated (warming)' });
  });

  it('charts incidents opened as the workflow executions started, with their outcomes', () => {
    // Assess
    const workflowArn = refText(f.stack, f.workflow);
    for (const metric of ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      const series = ['AWS/States', metric, 'StateMachineArn', workflowArn];
      const widgets = widgetsCharting(body, series);
      expect(widgets.map((w) => w.properties.title)).toEqual(['Incidents: workflow executions']);
      expect(optionsOf(widgets[0] as Widget, series)).toMatchObject({ stat: 'Sum' });
    }
    expect(optionsOf(widgetsCharting(body, ['AWS/States', 'ExecutionsStarted'])[0] as Widget, ['AWS/States', 'ExecutionsStarted'])).toMatchObject({
      label: 'incidents opened (started)',
    });
  });

  it("lists the workflow's actions and approval requests with Logs Insights on the workflow log group", () => {
    // Assess
    const logWidgets = body.widgets.filter((w) => w.type === 'log');
    expect(logWidgets).toHaveLength(1);
    const query = logWidgets[0]?.properties.query ?? '';
    expect(query.startsWith(`SOURCE '${refText(f.stack, f.logGroup)}' | `)).toBe(true);
    expect(query).toContain('| filter type = "TaskStateEntered" and details.name in ["Act", "RequestApproval"]');
    expect(query).toContain('| sort @timestamp desc');
    expect(logWidgets[0]?.properties.view).toBe('table');
  });

  it.each([
    ['Duration', 'p99'],
    ['Duration', 'p50'],
    ['Duration', 'Maximum'],
    ['Invocations', 'Sum'],
    ['Errors', 'Sum'],
    ['Throttles', 'Sum'],
  ])('charts evaluator %s (%s) per minute', (metric, stat) => {
    // Assess
    const series = ['AWS/Lambda', metric, 'FunctionName', refText(f.stack, f.evaluator)];
    const charted = widgetsCharting(body, series)
      .flatMap((w) => w.properties.metrics ?? [])
      .filter((m) => series.every((value, index) => m[index] === value))
      .map((m) => m[m.length - 1] as Record<string, unknown>);
    expect(charted).toContainEqual(expect.objectContaining({ stat, period: 60 }));
  });

  it('draws the timeout and the duration alarm threshold (80% of it) on the duration chart, in milliseconds', () => {
    // Assess
    const [duration] = widgetsCharting(body, ['AWS/Lambda', 'Duration']);
    expect(duration?.properties.annotations?.horizontal?.map((a) => a.value)).toEqual([EVALUATOR_TIMEOUT_SECONDS * 1000, 0.8 * EVALUATOR_TIMEOUT_SECONDS * 1000]);
  });

  it.each(SLOS)('charts the evaluator heartbeat of %s as a count per minute', (slo) => {
    // Assess
    const series = ['Burnwatch', 'EvaluatorHeartbeat', 'Slo', slo];
    const widgets = widgetsCharting(body, series);
    expect(widgets.map((w) => w.properties.title)).toEqual(['Evaluator heartbeat per SLO (1 per tick)']);
    expect(optionsOf(widgets[0] as Widget, series)).toMatchObject({ stat: 'SampleCount', period: 60, label: slo });
  });

  it('shows the status of every alarm given', () => {
    // Assess
    const statusWidgets = body.widgets.filter((w) => w.type === 'alarm');
    expect(statusWidgets).toHaveLength(1);
    const expected = monitoring.alarms.map((alarm) => `<GetAtt:${logicalId(f.stack, alarm)}.Arn>`);
    expect(statusWidgets[0]?.properties.alarms).toEqual(expected);
  });

  it('opens with a text widget that explains each chart', () => {
    // Assess
    const [first] = body.widgets;
    expect(first?.type).toBe('text');
    for (const topic of ['budget remaining', 'burn rate', 'paging / ticket', 'warming tenants', 'warmupDatapointsPerTick', 'Incidents', 'Actions', 'heartbeat']) {
      expect(first?.properties.markdown).toContain(topic);
    }
  });

  it('shows the last 3 hours by default and keeps every widget inside the 24-column grid', () => {
    // Assess
    expect(body.start).toBe('-PT3H');
    for (const widget of body.widgets) expect(widget.x + widget.width).toBeLessThanOrEqual(24);
  });
});

describe('BurnwatchDashboard options', () => {
  it('charts as many worst tenants as asked for', () => {
    // Prepare
    const f = fixture();
    // Act
    new BurnwatchDashboard(f.stack, 'Dashboard', { ...f.base, sloNames: ['api-availability'], worstTenants: 25 });
    // Assess
    const query = "SELECT MIN(BudgetRemaining) FROM SCHEMA(\"Burnwatch\", Slo, Tenant) WHERE Slo = 'api-availability' GROUP BY Tenant ORDER BY MIN() ASC LIMIT 25";
    expect(widgetsCharting(dashboardBody(f.stack), [{ expression: query }])).toHaveLength(1);
  });

  it('without a log group, alarms or timeout: no log widget, no alarm widget, no timeout line, executions at full width', () => {
    // Prepare
    const f = fixture();
    // Act
    new BurnwatchDashboard(f.stack, 'Dashboard', f.base);
    // Assess
    const body = dashboardBody(f.stack);
    expect(body.widgets.filter((w) => w.type === 'log' || w.type === 'alarm')).toEqual([]);
    expect(widgetsCharting(body, ['AWS/Lambda', 'Duration'])[0]?.properties.annotations).toBeUndefined();
    expect(widgetsCharting(body, ['AWS/States', 'ExecutionsStarted'])[0]?.width).toBe(24);
  });

  it('uses the dashboard name given', () => {
    // Prepare
    const f = fixture();
    // Act
    const construct = new BurnwatchDashboard(f.stack, 'Dashboard', { ...f.base, dashboardName: 'burnwatch-prod' });
    // Assess
    expect(construct.dashboard).toBeInstanceOf(Dashboard);
    Template.fromStack(f.stack).hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'burnwatch-prod' });
  });
});

describe('BurnwatchDashboard props validation', () => {
  it.each<[string, Partial<BurnwatchDashboardProps>, string]>([
    ['no SLO names', { sloNames: [] }, 'sloNames: must list at least one SLO name, got []'],
    ['a repeated SLO name', { sloNames: ['api', 'api'] }, 'sloNames[1]: must be unique (sloNames[0] is the same), got "api"'],
    ['no worst tenants', { worstTenants: 0 }, 'worstTenants: must be an integer from 1 to 500 (Metrics Insights returns at most 500 series), got 0'],
    ['more worst tenants than Metrics Insights returns', { worstTenants: 501 }, 'worstTenants: must be an integer from 1 to 500 (Metrics Insights returns at most 500 series), got 501'],
    ['a fractional number of worst tenants', { worstTenants: 2.5 }, 'worstTenants: must be an integer from 1 to 500 (Metrics Insights returns at most 500 series), got 2.5'],
    ['a dashboard name with a space', { dashboardName: 'burnwatch prod' }, 'dashboardName: must be 1-255 letters, digits, - or _, got "burnwatch prod"'],
    [
      'a zero evaluator timeout',
      { evaluatorTimeout: Duration.seconds(0) },
      'evaluatorTimeout: must be from 1 second to 15 minutes (the Lambda timeout range), got "0 seconds"',
    ],
  ])('refuses %s, naming the prop', (_name, override, message) => {
    // Prepare
    const f = fixture();
    // Act
    const error = thrownBy(() => new BurnwatchDashboard(f.stack, 'Dashboard', { ...f.base, ...override }));
    // Assess
    expect(error).toBeInstanceOf(BurnwatchConfigError);
    expect(error.message).toContain(`  - ${message}`);
    expect(error.message).toContain('dashboard Test/Dashboard');
  });
});
