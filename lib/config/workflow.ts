/**
 * The `workflow` section of the configuration: how the incident workflow mitigates (off, recommend, auto), which
 * actions suit which failure mode, the guards (allowlist, cooldown, hourly quota, approvals, scale-out ceilings),
 * its timing, and the resources mapped to each SLO that context is collected from and actions may change.
 * Validation lists every problem as `<path>: <allowed>, got <given>`; normalisation applies exactly the documented
 * defaults and produces the runtime form the workflow's functions read.
 */
import { Duration } from 'aws-cdk-lib';
import type { LoadBaseline } from '../../lambda/adapters/collectors/load';
import { LOAD_BASELINES } from '../../lambda/adapters/collectors/load';
import { DEFAULT_ERROR_FILTER, MAX_LOG_GROUPS } from '../../lambda/adapters/collectors/logs-insights';
import { isAllowlisted } from '../../lambda/domain/guards';
import { ACTION_KINDS, DEFAULT_MITIGATION_POLICY } from '../../lambda/domain/mitigation';
import type { MitigationPolicy } from '../../lambda/domain/mitigation';
import type { ActionKind, FailureMode, MitigationMode } from '../../lambda/domain/model';
import { FAILURE_MODES } from '../../lambda/domain/model';
import type { LoadEvidenceConfig, LogsEvidenceConfig, SloResources, WorkflowRuntimeConfig, XRayEvidenceConfig } from '../../lambda/usecases/workflow/config';
import type { ConfigPath } from './errors';
import type { ConfigChecker, NumberRule } from './validate';

/** A resource that may serve only some tenants. */
export interface TenantScopedProps {
  /**
   * Tenant ids this resource serves; context from it is collected only for incidents of these tenants.
   * @default - shared by every tenant of the SLO
   */
  readonly tenants?: readonly string[];
}

export interface AutoScalingGroupProps extends TenantScopedProps {
  /** Auto Scaling group name. */
  readonly name: string;
}

export interface DeploymentGroupProps extends TenantScopedProps {
  /** CodeDeploy application name. */
  readonly application: string;
  /** Deployment group name within the application. */
  readonly group: string;
}

export interface RdsResourceProps extends TenantScopedProps {
  /** DB instance or DB cluster identifier. */
  readonly identifier: string;
}

export interface LambdaFunctionProps extends TenantScopedProps {
  /** Function name (the AWS/Lambda `FunctionName` dimension). */
  readonly functionName: string;
  /** Powertools Metrics namespace the function publishes `ColdStart` to. */
  readonly namespace: string;
  /** Powertools service name (the `service` dimension of `ColdStart`). */
  readonly service: string;
}

/** Traces (AWS X-Ray) of the SLO's tenants: which services, edges and URLs the failing requests fail on. */
export interface TracesProps {
  /**
   * Set to false to keep the settings but collect no traces (and grant no X-Ray read).
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Annotation key the services record the tenant id under (letters, digits and `_`, as X-Ray filters accept).
   * @default 'tenant'
   */
  readonly annotationKey?: string;
  /**
   * Only traces through this service, e.g. the SLO's front door (X-Ray's `service("name")` filter).
   * @default - traces of any service
   */
  readonly serviceName?: string;
  /**
   * X-Ray group whose service graph is compared with the window before (1 to 32 characters).
   * @default - the account's default group
   */
  readonly groupName?: string;
  /**
   * Trace summaries read at most per incident (1 to 5000); more are noted as a cap in the bundle.
   * @default 200
   */
  readonly maxTraces?: number;
}

/** Error lines of the SLO's tenants (CloudWatch Logs Insights): the top messages with counts and a sample each. */
export interface LogsProps {
  /**
   * Set to false to keep the settings but run no query (and grant no Logs read).
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Log groups to query (1 to 50): names, or ARNs of log groups in the stack's account and region
   * (`arn:aws:logs:<region>:<account>:log-group:<name>`, with or without the trailing `:*`).
   */
  readonly logGroups: readonly string[];
  /**
   * Log field carrying the tenant id (JSON logs: a dotted path such as `context.tenantId`).
   * @default 'tenant'
   */
  readonly tenantField?: string;
  /**
   * Field holding the message text; for JSON logs the message key (Powertools Logger: `message`).
   * @default '@message'
   */
  readonly messageField?: string;
  /**
   * Logs Insights condition selecting error lines, e.g. `level = "ERROR"`.
   * @default - lines whose message says error, exception, fatal, fail or timeout, case-insensitively
   */
  readonly errorFilter?: string;
  /**
   * Seconds the query may run before it is stopped (StopQuery) and logs are reported unavailable (5 to 45, so
   * it ends well within the collect function's 60-second timeout).
   * @default 30
   */
  readonly queryTimeoutSeconds?: number;
  /**
   * Rows (distinct message, tenant and log group) the query returns at most, most frequent first (1 to 10000).
   * @default 1000
   */
  readonly maxResults?: number;
}

/** A request count per tenant and minute, when the SLI's `total` expression does not count requests. */
export interface RequestMetricProps {
  readonly metricName: string;
  /**
   * @default - the SLI's namespace
   */
  readonly namespace?: string;
  /**
   * @default 'Sum'
   */
  readonly stat?: string;
  /**
   * Fixed dimensions merged over the SLI's (the tenant dimension is the SLI's).
   * @default - the SLI's dimensions only
   */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** Load: each incident tenant's request rate against its own baseline; a burn after a traffic jump is overload. */
export interface LoadProps {
  /**
   * Set to false to keep the settings but not compare load.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * A sustained rate of at least this multiple of the baseline is overload (greater than 1, at most 100).
   * @default 2
   */
  readonly overloadFactor?: number;
  /**
   * The baseline: the median rate of the 24 hours before the burn window, the same window a week earlier, or the
   * larger of both (a usual daily or weekly peak is then not a jump). Each reads only the history it needs.
   * @default 'larger-of-both'
   */
  readonly baseline?: LoadBaseline;
  /**
   * The metric counting requests.
   * @default - the SLI's `total` expression, read exactly as the burn rate reads it
   */
  readonly requestMetric?: RequestMetricProps;
}

/** The resources behind one SLO. Only resources named here are ever read or changed. */
export interface SloResourcesProps {
  /**
   * Groups whose launches and capacity are checked, and which `asg-scale-out` may grow.
   * @default - none
   */
  readonly autoScalingGroups?: readonly AutoScalingGroupProps[];
  /**
   * Deployment groups whose deployments are checked, and which `codedeploy-rollback` may stop and roll back.
   * @default - none
   */
  readonly deploymentGroups?: readonly DeploymentGroupProps[];
  /**
   * DB instances whose failovers, reboots and failures are checked.
   * @default - none
   */
  readonly rdsInstances?: readonly RdsResourceProps[];
  /**
   * DB clusters whose failovers, reboots and failures are checked.
   * @default - none
   */
  readonly rdsClusters?: readonly RdsResourceProps[];
  /**
   * Functions whose cold starts are checked.
   * @default - none
   */
  readonly lambdaFunctions?: readonly LambdaFunctionProps[];
  /**
   * Traces of the incident's tenants (AWS X-Ray).
   * @default - no traces are read
   */
  readonly traces?: TracesProps;
  /**
   * Error lines of the incident's tenants (CloudWatch Logs Insights).
   * @default - no logs are read
   */
  readonly logs?: LogsProps;
  /**
   * Each incident tenant's request rate against its own baseline.
   * @default - load is not compared
   */
  readonly load?: LoadProps;
}

export interface ScaleOutProps {
  /**
   * Capacity added per scale-out, in percent of the group's desired capacity (rounded up), greater than 0, at most 1000.
   * @default 25
   */
  readonly stepPercent?: number;
  /**
   * Instances added at least per scale-out (1 to 1000).
   * @default 1
   */
  readonly minStep?: number;
  /**
   * Highest max size per Auto Scaling group name (1 to 10000). A group without a ceiling is never scaled out.
   * @default - no ceilings, so no scale-out runs
   */
  readonly ceilings?: Readonly<Record<string, number>>;
}

/** How the incident workflow investigates and mitigates. Every field is optional. */
export interface WorkflowProps {
  /**
   * `off`: collect and alert only; `recommend`: also plan actions and say which would run, changing nothing;
   * `auto`: run allowed actions.
   * @default 'recommend'
   */
  readonly mitigationMode?: MitigationMode;
  /**
   * Actions to consider per failure mode, most preferred first (`codedeploy-rollback`, `asg-scale-out`,
   * `notify-only`). A failure mode left out is merged from the default.
   * @default - deployment: codedeploy-rollback, capacity: asg-scale-out, every other mode: notify-only
   */
  readonly actionsByFailureMode?: Readonly<Partial<Record<FailureMode, readonly ActionKind[]>>>;
  /**
   * Resources actions may change: group names, `<application>/<deployment group>` or ARNs; an entry ending in `*`
   * matches by prefix.
   * @default - none, so no action runs even in `auto` mode
   */
  readonly allowlist?: readonly string[];
  /**
   * No second action on a resource within this many minutes of the last (0 to 1440).
   * @default 15
   */
  readonly cooldownMinutes?: number;
  /**
   * Account-wide limit of actions per clock hour (0 to 100).
   * @default 3
   */
  readonly maxActionsPerHour?: number;
  /**
   * Action kinds that wait for a human's approval (send-task-success) before they run.
   * @default - none
   */
  readonly requireApprovalFor?: readonly ActionKind[];
  /**
   * How much an `asg-scale-out` adds, and the ceilings it never goes beyond.
   * @default - 25 % per step, at least 1 instance, no ceilings
   */
  readonly scaleOut?: ScaleOutProps;
  /**
   * Context is collected from this many minutes before the burn's onset (1 to 1440).
   * @default 30
   */
  readonly contextWindowMinutes?: number;
  /**
   * Seconds to wait after an action before re-sampling the burn (0 to 3600); at least the validation rule's short
   * window (5 minutes in the Workbook policy) lets that window see only post-action traffic.
   * @default 300
   */
  readonly waitAfterActionSeconds?: number;
  /**
   * Actions tried one after another, each followed by a validation, before the workflow escalates (1 to 10).
   * @default 3
   */
  readonly maxRounds?: number;
  /**
   * An approval not given within this many seconds counts as rejected (60 to 86400).
   * @default 3600
   */
  readonly approvalTimeoutSeconds?: number;
  /**
   * An execution running longer than this many minutes is stopped (5 to 1440).
   * @default - 60, or longer when the rounds (with approvals and waits) need more, plus 15 minutes
   */
  readonly timeoutMinutes?: number;
  /**
   * Resources behind each SLO, keyed by SLO name.
   * @default - none: context is reported as not checked and no action has a target
   */
  readonly resources?: Readonly<Record<string, SloResourcesProps>>;
}

export const WORKFLOW_DEFAULTS = {
  mitigationMode: DEFAULT_MITIGATION_POLICY.mode,
  cooldownMinutes: DEFAULT_MITIGATION_POLICY.cooldownMinutes,
  maxActionsPerHour: DEFAULT_MITIGATION_POLICY.maxActionsPerHour,
  stepPercent: DEFAULT_MITIGATION_POLICY.scaleOut.stepPercent,
  minStep: DEFAULT_MITIGATION_POLICY.scaleOut.minStep,
  contextWindowMinutes: 30,
  waitAfterActionSeconds: 300,
  maxRounds: 3,
  approvalTimeoutSeconds: 3600,
  timeoutMinutes: 60,
  annotationKey: 'tenant',
  maxTraces: 200,
  tenantField: 'tenant',
  messageField: '@message',
  queryTimeoutSeconds: 30,
  maxResults: 1000,
  overloadFactor: 2,
  baseline: 'larger-of-both' as LoadBaseline,
  stat: 'Sum',
} as const;

/** Margin beyond the rounds' own time for collection, analysis, notifications and Lambda retries. */
const TIMEOUT_MARGIN_MINUTES = 15;

const RULES = {
  cooldownMinutes: { min: 0, max: 1440 },
  maxActionsPerHour: { integer: true, min: 0, max: 100 },
  stepPercent: { min: 0, minExclusive: true, max: 1000 },
  minStep: { integer: true, min: 1, max: 1000 },
  ceiling: { integer: true, min: 1, max: 10000 },
  contextWindowMinutes: { integer: true, min: 1, max: 1440 },
  waitAfterActionSeconds: { integer: true, min: 0, max: 3600 },
  maxRounds: { integer: true, min: 1, max: 10 },
  approvalTimeoutSeconds: { integer: true, min: 60, max: 86400 },
  timeoutMinutes: { integer: true, min: 5, max: 1440 },
  maxTraces: { integer: true, min: 1, max: 5000 },
  queryTimeoutSeconds: { integer: true, min: 5, max: 45 },
  maxResults: { integer: true, min: 1, max: 10000 },
  overloadFactor: { min: 1, minExclusive: true, max: 100 },
} as const satisfies Record<string, NumberRule>;

const MITIGATION_MODES: readonly MitigationMode[] = ['off', 'recommend', 'auto'];
const WORKFLOW_FIELDS = [
  'mitigationMode',
  'actionsByFailureMode',
  'allowlist',
  'cooldownMinutes',
  'maxActionsPerHour',
  'requireApprovalFor',
  'scaleOut',
  'contextWindowMinutes',
  'waitAfterActionSeconds',
  'maxRounds',
  'approvalTimeoutSeconds',
  'timeoutMinutes',
  'resources',
] as const;
const SCALE_OUT_FIELDS = ['stepPercent', 'minStep', 'ceilings'] as const;
const RESOURCE_FIELDS = ['autoScalingGroups', 'deploymentGroups', 'rdsInstances', 'rdsClusters', 'lambdaFunctions', 'traces', 'logs', 'load'] as const;
const TRACES_FIELDS = ['enabled', 'annotationKey', 'serviceName', 'groupName', 'maxTraces'] as const;
const LOGS_FIELDS = ['enabled', 'logGroups', 'tenantField', 'messageField', 'errorFilter', 'queryTimeoutSeconds', 'maxResults'] as const;
const LOAD_FIELDS = ['enabled', 'overloadFactor', 'baseline', 'requestMetric'] as const;
const REQUEST_METRIC_FIELDS = ['metricName', 'namespace', 'stat', 'dimensions'] as const;
// The patterns the X-Ray and Logs Insights collectors accept (see lambda/adapters/collectors).
const ANNOTATION_KEY = /^[A-Za-z0-9_]{1,500}$/;
const XRAY_GROUP = /^[^\p{Cc}]{1,32}$/u;
const NO_CONTROL = /^[^\p{Cc}\u2028\u2029]+$/u;
const LOG_GROUP = /^(?:[.\-_/#A-Za-z0-9]{1,512}|arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[.\-_/#A-Za-z0-9]{1,512}(?::\*)?)$/;
const LOG_GROUP_ARN = /^(arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:([.\-_/#A-Za-z0-9]{1,512}))(?::\*)?$/;
const LOG_FIELD = /^@?[^`\p{Cc}]{1,256}$/u;
const METRIC_NAME = /^[^\p{Cc}]{1,255}$/u;
/** The metric id the explicit request metric gets in the load query (a metric-math id). */
export const REQUEST_METRIC_ID = 'requests';
/** Statistics that count requests (anything else would not be a rate). */
const REQUEST_STATS = ['Sum', 'SampleCount'] as const;
// The patterns the collectors and actions accept (see lambda/adapters/collectors).
const ASG_NAME = /^.{1,255}$/s;
const CODEDEPLOY_NAME = /^.{1,100}$/s;
const DB_IDENTIFIER = /^[A-Za-z][A-Za-z0-9-]{0,62}$/;
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Minutes an execution needs at most: per round an approval (when any kind needs one) and the wait, plus a margin. */
export function requiredTimeoutMinutes(settings: {
  readonly maxRounds: number;
  readonly waitAfterActionSeconds: number;
  readonly approvalTimeoutSeconds: number;
  readonly approvals: boolean;
}): number {
  const roundSeconds = settings.waitAfterActionSeconds + (settings.approvals ? settings.approvalTimeoutSeconds : 0);
  return Math.ceil((settings.maxRounds * roundSeconds) / 60) + TIMEOUT_MARGIN_MINUTES;
}

function checkKinds(c: ConfigChecker, path: ConfigPath, value: unknown, allowEmpty: boolean): ActionKind[] | undefined {
  const items = c.list(path, value, `a list of ${ACTION_KINDS.join(', ')}`, false, allowEmpty);
  if (items === undefined) return undefined;
  const kinds: ActionKind[] = [];
  items.forEach((item, index) => {
    if (typeof item === 'string' && (ACTION_KINDS as readonly string[]).includes(item)) kinds.push(item as ActionKind);
    else c.fail([...path, index], `must be one of ${ACTION_KINDS.join(', ')}`, item);
  });
  return kinds;
}

function checkTenants(c: ConfigChecker, path: ConfigPath, value: unknown): void {
  c.stringList(path, value, 'a non-empty list of tenant ids', false);
}

/** Each item of a resource list: its fields, patterns and tenants; returns the names of the valid ones. */
function checkResourceList(
  c: ConfigChecker,
  path: ConfigPath,
  value: unknown,
  fields: readonly (readonly [string, RegExp, string])[],
  what: string,
): Record<string, string>[] {
  const items = c.list(path, value, `a list of ${what}`, false, true);
  const valid: Record<string, string>[] = [];
  items?.forEach((item, index) => {
    const itemPath = [...path, index];
    const object = c.object(itemPath, item, [...fields.map(([field]) => field), 'tenants'], what, true);
    if (object === undefined) return;
    const names: Record<string, string> = {};
    for (const [field, pattern, allowed] of fields) {
      const text = c.string([...itemPath, field], object[field], { required: true, pattern, allowed: `must be ${allowed}`, literal: true });
      if (text !== undefined) names[field] = text;
    }
    checkTenants(c, [...itemPath, 'tenants'], object.tenants);
    if (Object.keys(names).length === fields.length) valid.push(names);
  });
  return valid;
}

function checkTraces(c: ConfigChecker, path: ConfigPath, value: unknown): void {
  const traces = c.object(path, value, TRACES_FIELDS, `an object with some of ${TRACES_FIELDS.join(', ')}`, false);
  if (traces === undefined) return;
  const at = (field: string): ConfigPath => [...path, field];
  c.boolean(at('enabled'), traces.enabled);
  c.string(at('annotationKey'), traces.annotationKey, { pattern: ANNOTATION_KEY, allowed: 'must be an X-Ray annotation key (letters, digits or _, at most 500)', literal: true, maxLength: 500 });
  c.string(at('serviceName'), traces.serviceName, { pattern: NO_CONTROL, allowed: 'must be an X-Ray service name without control characters (1-255 characters)', literal: true });
  c.string(at('groupName'), traces.groupName, { pattern: XRAY_GROUP, allowed: 'must be an X-Ray group name (1-32 characters)', literal: true, maxLength: 32 });
  c.number(at('maxTraces'), traces.maxTraces, RULES.maxTraces);
}

function checkLogs(c: ConfigChecker, path: ConfigPath, value: unknown): void {
  const logs = c.object(path, value, LOGS_FIELDS, `an object with logGroups and some of ${LOGS_FIELDS.filter((f) => f !== 'logGroups').join(', ')}`, false);
  if (logs === undefined) return;
  const at = (field: string): ConfigPath => [...path, field];
  c.boolean(at('enabled'), logs.enabled);
  const what = `a list of 1 to ${MAX_LOG_GROUPS} log group names or ARNs`;
  const groups = c.list(at('logGroups'), logs.logGroups, what, true);
  const seen = new Map<string, number>();
  groups?.forEach((group, index) => {
    const allowed = 'must be a log group name (letters, digits and . - _ / #, at most 512) or a log group ARN';
    const text = c.string([...at('logGroups'), index], group, { required: true, pattern: LOG_GROUP, allowed, literal: true, maxLength: 2048 });
    if (text === undefined) return;
    const name = logGroupTarget(text).name;
    const first = seen.get(name);
    if (first !== undefined) c.fail([...at('logGroups'), index], `must not repeat a log group (already at index ${first})`, text);
    else seen.set(name, index);
  });
  if (groups !== undefined && groups.length > MAX_LOG_GROUPS) {
    c.failDescribed(at('logGroups'), `must list at most ${MAX_LOG_GROUPS} log groups (one Logs Insights query)`, `${groups.length} log groups`);
  }
  const field = 'must be a Logs Insights field name without backticks or control characters (1-256 characters)';
  c.string(at('tenantField'), logs.tenantField, { pattern: LOG_FIELD, allowed: field, literal: true, maxLength: 256 });
  c.string(at('messageField'), logs.messageField, { pattern: LOG_FIELD, allowed: field, literal: true, maxLength: 256 });
  c.string(at('errorFilter'), logs.errorFilter, {
    pattern: NO_CONTROL,
    allowed: 'must be a Logs Insights filter condition without control characters (1-2000 characters)',
    literal: true,
    maxLength: 2000,
  });
  c.number(at('queryTimeoutSeconds'), logs.queryTimeoutSeconds, RULES.queryTimeoutSeconds);
  c.number(at('maxResults'), logs.maxResults, RULES.maxResults);
}

function checkLoad(c: ConfigChecker, path: ConfigPath, value: unknown): void {
  const load = c.object(path, value, LOAD_FIELDS, `an object with some of ${LOAD_FIELDS.join(', ')}`, false);
  if (load === undefined) return;
  const at = (field: string): ConfigPath => [...path, field];
  c.boolean(at('enabled'), load.enabled);
  c.number(at('overloadFactor'), load.overloadFactor, RULES.overloadFactor);
  if (load.baseline !== undefined && !(LOAD_BASELINES as readonly unknown[]).includes(load.baseline)) {
    c.fail(at('baseline'), `must be one of ${LOAD_BASELINES.join(', ')}`, load.baseline);
  }
  const metricPath = at('requestMetric');
  const metric = c.object(metricPath, load.requestMetric, REQUEST_METRIC_FIELDS, 'an object with metricName and some of namespace, stat, dimensions', false);
  if (metric === undefined) return;
  c.string([...metricPath, 'metricName'], metric.metricName, { required: true, pattern: METRIC_NAME, allowed: 'must be a CloudWatch metric name (1-255 characters)', literal: true });
  c.string([...metricPath, 'namespace'], metric.namespace, { pattern: METRIC_NAME, allowed: 'must be a CloudWatch namespace (1-255 characters)', literal: true });
  if (metric.stat !== undefined && !(REQUEST_STATS as readonly unknown[]).includes(metric.stat)) {
    c.fail([...metricPath, 'stat'], `must be one of ${REQUEST_STATS.join(', ')} (a statistic that counts requests)`, metric.stat);
  }
  const dimensions = c.map([...metricPath, 'dimensions'], metric.dimensions, 'a map of dimension name to value', false);
  for (const [name, dimension] of Object.entries(dimensions ?? {})) {
    c.string([...metricPath, 'dimensions', name], dimension, { required: true, literal: true });
  }
}

interface CheckedResources {
  readonly groupNames: Set<string>;
  readonly deploymentGroups: Set<string>;
}

function checkResources(c: ConfigChecker, path: ConfigPath, value: unknown, sloNames: ReadonlySet<string> | undefined): CheckedResources {
  const checked: CheckedResources = { groupNames: new Set(), deploymentGroups: new Set() };
  const bySlo = c.map(path, value, 'a map of SLO name to its resources', false);
  for (const [slo, resourcesValue] of Object.entries(bySlo ?? {})) {
    const sloPath = [...path, slo];
    if (sloNames !== undefined && !sloNames.has(slo)) {
      c.failDescribed(sloPath, `must name an SLO in slos (${[...sloNames].join(', ')})`, JSON.stringify(slo));
    }
    const resources = c.object(sloPath, resourcesValue, RESOURCE_FIELDS, `an object with some of ${RESOURCE_FIELDS.join(', ')}`, true);
    if (resources === undefined) continue;
    const name = 'an Auto Scaling group name (1-255 characters)';
    for (const group of checkResourceList(c, [...sloPath, 'autoScalingGroups'], resources.autoScalingGroups, [['name', ASG_NAME, name]], 'Auto Scaling groups with name')) {
      checked.groupNames.add(group.name ?? '');
    }
    const codedeploy = 'a CodeDeploy name (1-100 characters)';
    const deploymentFields = [['application', CODEDEPLOY_NAME, codedeploy], ['group', CODEDEPLOY_NAME, codedeploy]] as const;
    for (const group of checkResourceList(c, [...sloPath, 'deploymentGroups'], resources.deploymentGroups, deploymentFields, 'deployment groups with application and group')) {
      checked.deploymentGroups.add(`${group.application}/${group.group}`);
    }
    const db = 'an RDS identifier (a letter, then letters, digits or hyphens, at most 63)';
    checkResourceList(c, [...sloPath, 'rdsInstances'], resources.rdsInstances, [['identifier', DB_IDENTIFIER, db]], 'DB instances with identifier');
    checkResourceList(c, [...sloPath, 'rdsClusters'], resources.rdsClusters, [['identifier', DB_IDENTIFIER, db]], 'DB clusters with identifier');
    const text = 'a non-empty string of at most 255 characters';
    const functionFields = [
      ['functionName', FUNCTION_NAME, 'a Lambda function name (letters, digits, - or _, at most 64)'],
      ['namespace', ASG_NAME, text],
      ['service', ASG_NAME, text],
    ] as const;
    checkResourceList(c, [...sloPath, 'lambdaFunctions'], resources.lambdaFunctions, functionFields, 'Lambda functions with functionName, namespace and service');
    checkTraces(c, [...sloPath, 'traces'], resources.traces);
    checkLogs(c, [...sloPath, 'logs'], resources.logs);
    checkLoad(c, [...sloPath, 'load'], resources.load);
  }
  return checked;
}

/**
 * Every problem of the `workflow` section. `sloNames` (when the SLOs themselves are readable) lets resources be
 * checked against them.
 */
export function checkWorkflow(c: ConfigChecker, path: ConfigPath, value: unknown, sloNames?: ReadonlySet<string>): void {
  const workflow = c.object(path, value, WORKFLOW_FIELDS, 'an object with incident workflow settings', false);
  if (workflow === undefined) return;
  const at = (field: string): ConfigPath => [...path, field];
  let mode: MitigationMode | undefined = WORKFLOW_DEFAULTS.mitigationMode;
  if (workflow.mitigationMode !== undefined) {
    const given = workflow.mitigationMode;
    mode = typeof given === 'string' && (MITIGATION_MODES as readonly string[]).includes(given) ? (given as MitigationMode) : undefined;
    if (mode === undefined) c.fail(at('mitigationMode'), `must be one of ${MITIGATION_MODES.join(', ')}`, given);
  }
  const actions = c.map(at('actionsByFailureMode'), workflow.actionsByFailureMode, 'a map of failure mode to a list of actions', false);
  for (const [failureMode, kinds] of Object.entries(actions ?? {})) {
    if (!(FAILURE_MODES as readonly string[]).includes(failureMode)) {
      c.failDescribed([...at('actionsByFailureMode'), failureMode], `must be a failure mode (${FAILURE_MODES.join(', ')})`, JSON.stringify(failureMode));
    }
    checkKinds(c, [...at('actionsByFailureMode'), failureMode], kinds, false);
  }
  const allowlist = c.stringList(at('allowlist'), workflow.allowlist, 'a list of resource names or ARNs', false, true);
  c.number(at('cooldownMinutes'), workflow.cooldownMinutes, RULES.cooldownMinutes);
  c.number(at('maxActionsPerHour'), workflow.maxActionsPerHour, RULES.maxActionsPerHour);
  const approvals = checkKinds(c, at('requireApprovalFor'), workflow.requireApprovalFor, true);
  const scaleOut = c.object(at('scaleOut'), workflow.scaleOut, SCALE_OUT_FIELDS, `an object with some of ${SCALE_OUT_FIELDS.join(', ')}`, false);
  c.number([...at('scaleOut'), 'stepPercent'], scaleOut?.stepPercent, RULES.stepPercent);
  c.number([...at('scaleOut'), 'minStep'], scaleOut?.minStep, RULES.minStep);
  const ceilings = c.map([...at('scaleOut'), 'ceilings'], scaleOut?.ceilings, 'a map of Auto Scaling group name to its highest max size', false);
  for (const [group, ceiling] of Object.entries(ceilings ?? {})) c.number([...at('scaleOut'), 'ceilings', group], ceiling, RULES.ceiling, true);
  c.number(at('contextWindowMinutes'), workflow.contextWindowMinutes, RULES.contextWindowMinutes);
  const wait = c.numberOr(at('waitAfterActionSeconds'), workflow.waitAfterActionSeconds, RULES.waitAfterActionSeconds, WORKFLOW_DEFAULTS.waitAfterActionSeconds);
  const rounds = c.numberOr(at('maxRounds'), workflow.maxRounds, RULES.maxRounds, WORKFLOW_DEFAULTS.maxRounds);
  const approvalTimeout = c.numberOr(at('approvalTimeoutSeconds'), workflow.approvalTimeoutSeconds, RULES.approvalTimeoutSeconds, WORKFLOW_DEFAULTS.approvalTimeoutSeconds);
  const timeout = c.number(at('timeoutMinutes'), workflow.timeoutMinutes, RULES.timeoutMinutes);
  if (timeout !== undefined && wait !== undefined && rounds !== undefined && approvalTimeout !== undefined) {
    const needed = requiredTimeoutMinutes({ maxRounds: rounds, waitAfterActionSeconds: wait, approvalTimeoutSeconds: approvalTimeout, approvals: (approvals ?? []).length > 0 });
    if (timeout < needed) {
      c.fail(at('timeoutMinutes'), `must be at least ${needed} (maxRounds x (waitAfterActionSeconds${(approvals ?? []).length > 0 ? ' + approvalTimeoutSeconds' : ''}) + ${TIMEOUT_MARGIN_MINUTES} min)`, timeout);
    }
  }
  const resources = checkResources(c, at('resources'), workflow.resources, sloNames);
  for (const group of Object.keys(ceilings ?? {})) {
    if (!resources.groupNames.has(group)) {
      c.failDescribed([...at('scaleOut'), 'ceilings', group], 'must name an Auto Scaling group mapped in workflow.resources', JSON.stringify(group));
    }
  }
  // In auto mode an allowlisted group without a ceiling would be planned but always blocked: say so at synth.
  if (mode === 'auto' && allowlist !== undefined) {
    for (const group of resources.groupNames) {
      if (isAllowlisted([group], allowlist) && ceilings?.[group] === undefined) {
        c.failDescribed([...at('scaleOut'), 'ceilings'], `must give a ceiling for every allowlisted Auto Scaling group in auto mode (missing: ${group})`, 'none');
      }
    }
  }
}

/** A log group Logs Insights queries: its name, and its ARN when the config gave one (IAM is scoped to it). */
export interface LogGroupTarget {
  readonly name: string;
  /** Without the trailing `:*`. @default - built from the name in the stack's account and region */
  readonly arn?: string;
}

/** A configured log group entry (name or ARN) as the name the query uses and the ARN IAM is scoped to. */
export function logGroupTarget(entry: string): LogGroupTarget {
  const arn = LOG_GROUP_ARN.exec(entry);
  return arn === null ? { name: entry } : { name: arn[2] ?? entry, arn: arn[1] ?? entry };
}

/** The runtime config plus what only the construct needs. */
export interface NormalizedWorkflowConfig {
  readonly runtime: WorkflowRuntimeConfig;
  readonly waitAfterActionSeconds: number;
  readonly approvalTimeoutSeconds: number;
  readonly timeout: Duration;
  /** Auto Scaling group names actions may change (mapped, allowlisted, auto mode); IAM is scoped to exactly these. */
  readonly mutableAutoScalingGroups: readonly string[];
  /** `<application>/<group>` pairs rollbacks may stop (mapped, allowlisted, auto mode). */
  readonly mutableDeploymentGroups: readonly { readonly application: string; readonly group: string }[];
  /** Every log group an enabled `logs` section queries, once each; logs:StartQuery is scoped to exactly these. */
  readonly queriedLogGroups: readonly LogGroupTarget[];
}

function tenantsOf(props: TenantScopedProps): { tenants?: readonly string[] } {
  return props.tenants === undefined ? {} : { tenants: [...props.tenants] };
}

function normalizeTraces(props: TracesProps): XRayEvidenceConfig {
  const d = WORKFLOW_DEFAULTS;
  return {
    scope: {
      tenantAnnotation: props.annotationKey ?? d.annotationKey,
      ...(props.groupName === undefined ? {} : { groupName: props.groupName }),
      ...(props.serviceName === undefined ? {} : { serviceName: props.serviceName }),
    },
    maxTraces: props.maxTraces ?? d.maxTraces,
  };
}

function normalizeLogs(props: LogsProps): LogsEvidenceConfig {
  const d = WORKFLOW_DEFAULTS;
  return {
    scope: {
      logGroups: props.logGroups.map((entry) => ({ name: logGroupTarget(entry).name })),
      tenantField: props.tenantField ?? d.tenantField,
      messageField: props.messageField ?? d.messageField,
      errorFilter: props.errorFilter ?? DEFAULT_ERROR_FILTER,
    },
    queryTimeoutSeconds: props.queryTimeoutSeconds ?? d.queryTimeoutSeconds,
    maxResults: props.maxResults ?? d.maxResults,
  };
}

function normalizeLoad(props: LoadProps): LoadEvidenceConfig {
  const metric = props.requestMetric;
  return {
    trafficJumpFactor: props.overloadFactor ?? WORKFLOW_DEFAULTS.overloadFactor,
    baseline: props.baseline ?? WORKFLOW_DEFAULTS.baseline,
    requestMetric:
      metric === undefined
        ? null
        : {
            id: REQUEST_METRIC_ID,
            metricName: metric.metricName,
            stat: metric.stat ?? WORKFLOW_DEFAULTS.stat,
            ...(metric.namespace === undefined ? {} : { namespace: metric.namespace }),
            ...(metric.dimensions === undefined ? {} : { dimensions: { ...metric.dimensions } }),
          },
  };
}

/** A section given and not switched off. */
const enabled = <T extends { enabled?: boolean }>(section: T | undefined): T | undefined => (section?.enabled === false ? undefined : section);

function normalizeResources(props: SloResourcesProps): SloResources {
  const traces = enabled(props.traces);
  const logs = enabled(props.logs);
  const load = enabled(props.load);
  return {
    ...(traces === undefined ? {} : { xray: normalizeTraces(traces) }),
    ...(logs === undefined ? {} : { logs: normalizeLogs(logs) }),
    ...(load === undefined ? {} : { load: normalizeLoad(load) }),
    autoscaling: { groups: (props.autoScalingGroups ?? []).map((g) => ({ name: g.name, ...tenantsOf(g) })) },
    codedeploy: {
      deploymentGroups: (props.deploymentGroups ?? []).map((g) => ({ applicationName: g.application, deploymentGroupName: g.group, ...tenantsOf(g) })),
    },
    rds: {
      instances: (props.rdsInstances ?? []).map((db) => ({ identifier: db.identifier, ...tenantsOf(db) })),
      clusters: (props.rdsClusters ?? []).map((db) => ({ identifier: db.identifier, ...tenantsOf(db) })),
    },
    lambda: {
      functions: (props.lambdaFunctions ?? []).map((fn) => ({ functionName: fn.functionName, namespace: fn.namespace, service: fn.service, ...tenantsOf(fn) })),
    },
  };
}

/** Applies every documented default. The props must be valid (see `checkWorkflow`). */
export function normalizeWorkflowProps(props: WorkflowProps | undefined): NormalizedWorkflowConfig {
  const p = props ?? {};
  const policy: MitigationPolicy = {
    mode: p.mitigationMode ?? WORKFLOW_DEFAULTS.mitigationMode,
    actionsByFailureMode: { ...DEFAULT_MITIGATION_POLICY.actionsByFailureMode, ...p.actionsByFailureMode },
    allowlist: [...(p.allowlist ?? [])],
    cooldownMinutes: p.cooldownMinutes ?? WORKFLOW_DEFAULTS.cooldownMinutes,
    maxActionsPerHour: p.maxActionsPerHour ?? WORKFLOW_DEFAULTS.maxActionsPerHour,
    requireApprovalFor: [...(p.requireApprovalFor ?? [])],
    scaleOut: {
      stepPercent: p.scaleOut?.stepPercent ?? WORKFLOW_DEFAULTS.stepPercent,
      minStep: p.scaleOut?.minStep ?? WORKFLOW_DEFAULTS.minStep,
      ceilingByResource: { ...p.scaleOut?.ceilings },
    },
  };
  const resources = Object.fromEntries(Object.entries(p.resources ?? {}).map(([slo, r]) => [slo, normalizeResources(r)]));
  const waitAfterActionSeconds = p.waitAfterActionSeconds ?? WORKFLOW_DEFAULTS.waitAfterActionSeconds;
  const maxRounds = p.maxRounds ?? WORKFLOW_DEFAULTS.maxRounds;
  const approvalTimeoutSeconds = p.approvalTimeoutSeconds ?? WORKFLOW_DEFAULTS.approvalTimeoutSeconds;
  const needed = requiredTimeoutMinutes({ maxRounds, waitAfterActionSeconds, approvalTimeoutSeconds, approvals: policy.requireApprovalFor.length > 0 });
  const timeoutMinutes = p.timeoutMinutes ?? Math.max(WORKFLOW_DEFAULTS.timeoutMinutes, needed);

  const mutable = policy.mode === 'auto';
  const mayChange = (names: readonly string[]): boolean => mutable && isAllowlisted(names, policy.allowlist);
  const groups = new Set<string>();
  const deployments = new Map<string, { application: string; group: string }>();
  for (const r of Object.values(p.resources ?? {})) {
    for (const g of r.autoScalingGroups ?? []) {
      // At run time the guards also match the group's ARN, which holds a generated id: an ARN entry counts by its name part.
      const byArn = mutable && policy.allowlist.some((entry) => entry.startsWith('arn:') && entry.endsWith(`:autoScalingGroupName/${g.name}`));
      if (mayChange([g.name]) || byArn) groups.add(g.name);
    }
    for (const d of r.deploymentGroups ?? []) {
      if (mayChange([`${d.application}/${d.group}`])) deployments.set(`${d.application}/${d.group}`, { application: d.application, group: d.group });
    }
  }
  const logGroups = new Map<string, LogGroupTarget>();
  for (const r of Object.values(p.resources ?? {})) {
    for (const entry of enabled(r.logs)?.logGroups ?? []) {
      const target = logGroupTarget(entry);
      // A group given once by name and once by ARN is one group; the ARN wins (it may name the region).
      if (!logGroups.has(target.name) || target.arn !== undefined) logGroups.set(target.name, target);
    }
  }
  return {
    runtime: {
      schemaVersion: 1,
      policy,
      contextWindowMinutes: p.contextWindowMinutes ?? WORKFLOW_DEFAULTS.contextWindowMinutes,
      maxRounds,
      resources,
    },
    waitAfterActionSeconds,
    approvalTimeoutSeconds,
    timeout: Duration.minutes(timeoutMinutes),
    mutableAutoScalingGroups: [...groups].sort(),
    mutableDeploymentGroups: [...deployments.values()],
    queriedLogGroups: [...logGroups.values()],
  };
}
