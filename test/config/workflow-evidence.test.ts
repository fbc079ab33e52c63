/**
 * The `traces`, `logs` and `load` sections of `workflow.resources.<slo>`: every validation rule (path, what is
 * allowed, what was given), the defaults the normaliser applies, and what reaches the runtime config.
 */
import { Token } from 'aws-cdk-lib';
import { DEFAULT_ERROR_FILTER } from '../../lambda/adapters/collectors/logs-insights';
import { parseWorkflowConfig, WorkflowConfigError } from '../../lambda/usecases/workflow/config';
import { formatProblem } from '../../lib/config/errors';
import { validateBurnwatchProps } from '../../lib/config/validate';
import type { SloResourcesProps } from '../../lib/config/workflow';
import { logGroupTarget, normalizeWorkflowProps, REQUEST_METRIC_ID } from '../../lib/config/workflow';
import { thrownBy, validProps } from './fixtures';

const SLO = 'api-availability';
const AT = `workflow.resources["${SLO}"]`;

/** Every problem the full validation reports for one SLO's resources, formatted as users read them. */
function problemsOf(resources: unknown): string[] {
  return validateBurnwatchProps({ ...validProps(), workflow: { resources: { [SLO]: resources } } } as never).map(formatProblem);
}

describe('workflow evidence props validation', () => {
  it('accepts every section with all its fields, and each section empty but for what it requires', () => {
    // Prepare
    const full = {
      traces: { enabled: true, annotationKey: 'tenant_id', serviceName: 'api', groupName: 'prod', maxTraces: 500 },
      logs: {
        enabled: true,
        logGroups: ['/aws/lambda/api', 'arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/orders:*'],
        tenantField: 'context.tenantId',
        messageField: 'message',
        errorFilter: 'level = "ERROR"',
        queryTimeoutSeconds: 45,
        maxResults: 10000,
      },
      load: { enabled: true, overloadFactor: 3, baseline: 'same-hour-last-week', requestMetric: { metricName: 'Requests', namespace: 'Shop/Api', stat: 'SampleCount', dimensions: { Stage: 'prod' } } },
    };
    // Act / Assess
    expect(problemsOf(full)).toEqual([]);
    expect(problemsOf({ traces: {}, logs: { logGroups: ['/aws/lambda/api'] }, load: {} })).toEqual([]);
  });

  it.each([
    ['traces that are not an object', { traces: true }, `${AT}.traces: must be an object with some of enabled, annotationKey, serviceName, groupName, maxTraces, got true`],
    ['a misspelt traces field', { traces: { annotation: 'tenant' } }, `${AT}.traces.annotation: unknown field (allowed: enabled, annotationKey, serviceName, groupName, maxTraces), got "tenant"`],
    ['traces enabled as a string', { traces: { enabled: 'yes' } }, `${AT}.traces.enabled: must be true or false, got "yes"`],
    ['an annotation key with a dot', { traces: { annotationKey: 'tenant.id' } }, `${AT}.traces.annotationKey: must be an X-Ray annotation key (letters, digits or _, at most 500), got "tenant.id"`],
    ['a service name with a newline', { traces: { serviceName: 'api\nx' } }, `${AT}.traces.serviceName: must be an X-Ray service name without control characters (1-255 characters), got "api\\nx"`],
    ['a group name of 33 characters', { traces: { groupName: 'g'.repeat(33) } }, `${AT}.traces.groupName: must be an X-Ray group name (1-32 characters), got "${'g'.repeat(33)}"`],
    ['zero traces', { traces: { maxTraces: 0 } }, `${AT}.traces.maxTraces: must be an integer from 1 to 5000, got 0`],
    ['more traces than the cap', { traces: { maxTraces: 5001 } }, `${AT}.traces.maxTraces: must be an integer from 1 to 5000, got 5001`],
    ['logs without log groups', { logs: {} }, `${AT}.logs.logGroups: must be a list of 1 to 50 log group names or ARNs, got nothing`],
    ['an empty log group list', { logs: { logGroups: [] } }, `${AT}.logs.logGroups: must be a list of 1 to 50 log group names or ARNs, got []`],
    ['a log group name with a space', { logs: { logGroups: ['/aws/lambda/my api'] } }, `${AT}.logs.logGroups[0]: must be a log group name (letters, digits and . - _ / #, at most 512) or a log group ARN, got "/aws/lambda/my api"`],
    ['an ARN of another service', { logs: { logGroups: ['arn:aws:s3:::bucket'] } }, `${AT}.logs.logGroups[0]: must be a log group name (letters, digits and . - _ / #, at most 512) or a log group ARN, got "arn:aws:s3:::bucket"`],
    [
      'the same log group by name and by ARN',
      { logs: { logGroups: ['/aws/lambda/api', 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/api'] } },
      `${AT}.logs.logGroups[1]: must not repeat a log group (already at index 0), got "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/api"`,
    ],
    ['51 log groups', { logs: { logGroups: Array.from({ length: 51 }, (_, i) => `/aws/lambda/fn-${i}`) } }, `${AT}.logs.logGroups: must list at most 50 log groups (one Logs Insights query), got 51 log groups`],
    ['a tenant field with a backtick', { logs: { logGroups: ['/a'], tenantField: 'ten`ant' } }, `${AT}.logs.tenantField: must be a Logs Insights field name without backticks or control characters (1-256 characters), got "ten\`ant"`],
    ['an empty message field', { logs: { logGroups: ['/a'], messageField: '' } }, `${AT}.logs.messageField: must be a Logs Insights field name without backticks or control characters (1-256 characters), got ""`],
    ['an error filter with a newline', { logs: { logGroups: ['/a'], errorFilter: 'level = "ERROR"\n| limit 1' } }, `${AT}.logs.errorFilter: must be a Logs Insights filter condition without control characters (1-2000 characters), got "level = \\"ERROR\\"\\n| limit 1"`],
    ['a query timeout beyond the collect function', { logs: { logGroups: ['/a'], queryTimeoutSeconds: 60 } }, `${AT}.logs.queryTimeoutSeconds: must be an integer from 5 to 45, got 60`],
    ['a query timeout too short to finish', { logs: { logGroups: ['/a'], queryTimeoutSeconds: 4 } }, `${AT}.logs.queryTimeoutSeconds: must be an integer from 5 to 45, got 4`],
    ['zero results', { logs: { logGroups: ['/a'], maxResults: 0 } }, `${AT}.logs.maxResults: must be an integer from 1 to 10000, got 0`],
    ['an overload factor of 1 (any traffic would be a jump)', { load: { overloadFactor: 1 } }, `${AT}.load.overloadFactor: must be a number > 1 and <= 100, got 1`],
    ['an unknown baseline', { load: { baseline: 'yesterday' } }, `${AT}.load.baseline: must be one of previous-24h-median, same-hour-last-week, larger-of-both, got "yesterday"`],
    ['a request metric without a name', { load: { requestMetric: { stat: 'Sum' } } }, `${AT}.load.requestMetric.metricName: must be a CloudWatch metric name (1-255 characters), got nothing`],
    ['a request metric averaged', { load: { requestMetric: { metricName: 'Requests', stat: 'Average' } } }, `${AT}.load.requestMetric.stat: must be one of Sum, SampleCount (a statistic that counts requests), got "Average"`],
    ['a request metric dimension without a value', { load: { requestMetric: { metricName: 'Requests', dimensions: { Stage: '' } } } }, `${AT}.load.requestMetric.dimensions.Stage: must be a non-empty string of at most 255 characters, got ""`],
    ['a misspelt load field', { load: { factor: 3 } }, `${AT}.load.factor: unknown field (allowed: enabled, overloadFactor, baseline, requestMetric), got 3`],
  ])('reports %s', (_case, resources, problem) => {
    // Act
    const problems = problemsOf(resources);
    // Assess
    expect(problems).toEqual([problem]);
  });

  it('refuses a log group known only at deploy time, since the query and its IAM need the name at synth', () => {
    // Act
    const problems = problemsOf({ logs: { logGroups: [Token.asString({ Ref: 'LogGroup' })] } });
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^workflow\.resources\["api-availability"\]\.logs\.logGroups\[0\]: must be a log group name .*, known at synth time, got /);
  });

  it('reports every problem of every section at once', () => {
    // Act
    const problems = problemsOf({ traces: { maxTraces: 0 }, logs: { logGroups: [] }, load: { overloadFactor: 0 } });
    // Assess
    expect(problems.map((problem) => problem.split(':')[0])).toEqual([`${AT}.traces.maxTraces`, `${AT}.logs.logGroups`, `${AT}.load.overloadFactor`]);
  });
});

describe('workflow evidence props normalisation', () => {
  const normalize = (resources: SloResourcesProps) => normalizeWorkflowProps({ resources: { checkout: resources } });

  it('applies the documented defaults and maps each section to its collector scope', () => {
    // Act
    const normalized = normalize({ traces: {}, logs: { logGroups: ['/aws/lambda/api'] }, load: {} });
    // Assess
    expect(normalized.runtime.resources.checkout).toMatchObject({
      xray: { scope: { tenantAnnotation: 'tenant' }, maxTraces: 200 },
      logs: {
        scope: { logGroups: [{ name: '/aws/lambda/api' }], tenantField: 'tenant', messageField: '@message', errorFilter: DEFAULT_ERROR_FILTER },
        queryTimeoutSeconds: 30,
        maxResults: 1000,
      },
      load: { trafficJumpFactor: 2, baseline: 'larger-of-both', requestMetric: null },
    });
    expect(normalized.queriedLogGroups).toEqual([{ name: '/aws/lambda/api' }]);
  });

  it('carries every given value, and an explicit request metric with its Sum default', () => {
    // Act
    const normalized = normalize({
      traces: { annotationKey: 'tenant_id', serviceName: 'api', groupName: 'prod', maxTraces: 50 },
      load: { overloadFactor: 3, baseline: 'previous-24h-median', requestMetric: { metricName: 'Requests', dimensions: { Stage: 'prod' } } },
    });
    // Assess
    expect(normalized.runtime.resources.checkout?.xray).toEqual({ scope: { tenantAnnotation: 'tenant_id', groupName: 'prod', serviceName: 'api' }, maxTraces: 50 });
    expect(normalized.runtime.resources.checkout?.load).toEqual({
      trafficJumpFactor: 3,
      baseline: 'previous-24h-median',
      requestMetric: { id: REQUEST_METRIC_ID, metricName: 'Requests', stat: 'Sum', dimensions: { Stage: 'prod' } },
    });
  });

  it('leaves out a section switched off with enabled: false, as if it were not there', () => {
    // Act
    const normalized = normalize({ traces: { enabled: false }, logs: { enabled: false, logGroups: ['/aws/lambda/api'] }, load: { enabled: false } });
    // Assess
    const resources = normalized.runtime.resources.checkout ?? {};
    expect(['xray', 'logs', 'load'].filter((key) => key in resources)).toEqual([]);
    expect(normalized.queriedLogGroups).toEqual([]);
  });

  it('queries a log group given by ARN by its name and keeps the ARN for IAM, once across SLOs', () => {
    // Act
    const normalized = normalizeWorkflowProps({
      resources: {
        checkout: { logs: { logGroups: ['/ecs/orders'] } },
        search: { logs: { logGroups: ['arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/orders:*'] } },
      },
    });
    // Assess
    expect(normalized.runtime.resources.search?.logs?.scope.logGroups).toEqual([{ name: '/ecs/orders' }]);
    expect(normalized.queriedLogGroups).toEqual([{ name: '/ecs/orders', arn: 'arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/orders' }]);
  });

  it.each([
    ['a name', '/aws/lambda/api', { name: '/aws/lambda/api' }],
    ['an ARN with the trailing :*', 'arn:aws:logs:eu-west-1:123456789012:log-group:/a:*', { name: '/a', arn: 'arn:aws:logs:eu-west-1:123456789012:log-group:/a' }],
    ['a GovCloud ARN', 'arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:/a', { name: '/a', arn: 'arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:/a' }],
  ])('reads %s as a log group target', (_case, entry, target) => {
    expect(logGroupTarget(entry)).toEqual(target);
  });

  it('writes a runtime config the workflow functions accept', () => {
    // Prepare
    const normalized = normalize({ traces: {}, logs: { logGroups: ['/aws/lambda/api'] }, load: { requestMetric: { metricName: 'Requests' } } });
    // Act
    const parsed = parseWorkflowConfig(JSON.stringify(normalized.runtime));
    // Assess
    expect(parsed.resources.checkout).toEqual(normalized.runtime.resources.checkout);
  });
});

describe('the workflow functions reading the evidence sections', () => {
  const base = { schemaVersion: 1, policy: normalizeWorkflowProps(undefined).runtime.policy, contextWindowMinutes: 30, maxRounds: 3 };
  const empty = { autoscaling: { groups: [] }, codedeploy: { deploymentGroups: [] }, rds: { instances: [], clusters: [] }, lambda: { functions: [] } };

  it('names every unusable field of the traces, logs and load sections', () => {
    // Prepare: a config written by a different version of this code
    const resources = {
      checkout: {
        ...empty,
        xray: { scope: {}, maxTraces: 0 },
        logs: { scope: { logGroups: [], tenantField: '' }, queryTimeoutSeconds: 30, maxResults: 'all' },
        load: { trafficJumpFactor: 0.5, baseline: 'yesterday', requestMetric: { metricName: 'Requests' } },
      },
    };
    // Act
    const error = thrownBy(() => parseWorkflowConfig(JSON.stringify({ ...base, resources }))) as WorkflowConfigError;
    // Assess
    expect(error).toBeInstanceOf(WorkflowConfigError);
    expect(error.problems).toEqual([
      'resources.checkout.xray.scope.tenantAnnotation: must be a non-empty string, got nothing',
      'resources.checkout.xray.maxTraces: must be an integer >= 1, got 0',
      'resources.checkout.logs.scope.logGroups: must be a non-empty array, got []',
      'resources.checkout.logs.scope.tenantField: must be a non-empty string, got ""',
      'resources.checkout.logs.maxResults: must be an integer >= 1, got "all"',
      'resources.checkout.load.trafficJumpFactor: must be a number >= 1, got 0.5',
      'resources.checkout.load.baseline: must be one of previous-24h-median, same-hour-last-week, larger-of-both, got "yesterday"',
      'resources.checkout.load.requestMetric: must be null or a metric with id, metricName and stat, got {"metricName":"Requests"}',
    ]);
  });
});
