/**
 * What the incident workflow's functions read at run time (a JSON file bundled next to the handler, named by
 * `BURNWATCH_WORKFLOW_CONFIG_FILE`): the mitigation policy,
 * the context window, the round limit and, per SLO, the resources the user mapped to it. Written at synth by
 * lib/config/workflow.ts after full validation; here it is only checked for the shape this code understands, so
 * a mismatched deploy fails at cold start with the field named.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AutoScalingScope } from '../../adapters/collectors/autoscaling';
import type { CodeDeployScope } from '../../adapters/collectors/codedeploy';
import type { ColdStartScope } from '../../adapters/collectors/lambda-cold-starts';
import type { LoadBaseline } from '../../adapters/collectors/load';
import { LOAD_BASELINES } from '../../adapters/collectors/load';
import type { LogsInsightsScope } from '../../adapters/collectors/logs-insights';
import type { RdsScope } from '../../adapters/collectors/rds';
import type { XRayScope } from '../../adapters/collectors/xray';
import type { MitigationPolicy } from '../../domain/mitigation';
import type { MetricDefinition } from '../../domain/model';
import { validateMitigationPolicy } from '../../domain/mitigation';

/** The variable naming the bundled file, and the file's name. */
export const WORKFLOW_CONFIG_VARIABLE = 'BURNWATCH_WORKFLOW_CONFIG_FILE';
export const WORKFLOW_CONFIG_FILE = 'burnwatch-workflow-config.json';
const BUNDLED_NAME = /^[A-Za-z0-9._-]+$/;

/** Names of the variables the workflow's functions read (besides the alert variables); the construct sets them. */
export const WORKFLOW_ENVIRONMENT = {
  /** Names the bundled SLO config file (`RUNTIME_CONFIG_FILE`). */
  configFile: 'BURNWATCH_CONFIG_FILE',
  /** Names the bundled workflow config file (`WORKFLOW_CONFIG_FILE`). */
  workflowConfigFile: WORKFLOW_CONFIG_VARIABLE,
  tableName: 'STATE_TABLE_NAME',
  forensicBucket: 'FORENSIC_BUCKET',
  forensicKmsKeyId: 'FORENSIC_KMS_KEY_ID',
} as const;

/** Traces of one SLO's tenants (X-Ray): where the failing requests fail. */
export interface XRayEvidenceConfig {
  readonly scope: XRayScope;
  /** Trace summaries read at most per incident. */
  readonly maxTraces: number;
}

/** Error lines of one SLO's tenants (CloudWatch Logs Insights). */
export interface LogsEvidenceConfig {
  readonly scope: LogsInsightsScope;
  /** The query is stopped and reported unavailable after this many seconds (below the function's timeout). */
  readonly queryTimeoutSeconds: number;
  /** Rows (distinct message, tenant and log group) the query returns at most. */
  readonly maxResults: number;
}

/** The tenant's request rate against its own baseline. */
export interface LoadEvidenceConfig {
  /** A sustained rate of at least this multiple of the baseline is overload. */
  readonly trafficJumpFactor: number;
  readonly baseline: LoadBaseline;
  /** Counts requests with this metric instead of the SLI's `total` expression; null: the SLI's. */
  readonly requestMetric: MetricDefinition | null;
}

/**
 * The resources of one SLO, in the scope shape each collector takes. Traces, logs and load are optional:
 * an SLO without them has no such collector at all (not an `unavailable` one).
 */
export interface SloResources {
  readonly autoscaling: AutoScalingScope;
  readonly codedeploy: CodeDeployScope;
  readonly rds: Required<RdsScope>;
  readonly lambda: ColdStartScope;
  readonly xray?: XRayEvidenceConfig;
  readonly logs?: LogsEvidenceConfig;
  readonly load?: LoadEvidenceConfig;
}

export interface WorkflowRuntimeConfig {
  readonly schemaVersion: 1;
  readonly policy: MitigationPolicy;
  /** Context is collected from this many minutes before the burn's onset until now. */
  readonly contextWindowMinutes: number;
  /** Actions tried one after another (each followed by a validation) before the workflow escalates. */
  readonly maxRounds: number;
  /** Keyed by SLO name; an SLO without an entry has nothing mapped. */
  readonly resources: Readonly<Record<string, SloResources>>;
}

export const EMPTY_SLO_RESOURCES: SloResources = {
  autoscaling: { groups: [] },
  codedeploy: { deploymentGroups: [] },
  rds: { instances: [], clusters: [] },
  lambda: { functions: [] },
};

export class WorkflowConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`the workflow config (${WORKFLOW_CONFIG_FILE}) is not usable:\n- ${problems.join('\n- ')}`);
    this.name = 'WorkflowConfigError';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function given(value: unknown): string {
  return value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value)).slice(0, 120);
}

const isText = (value: unknown): boolean => typeof value === 'string' && value !== '';
const isCount = (value: unknown): boolean => typeof value === 'number' && Number.isInteger(value) && value >= 1;

/** The optional evidence sections of one SLO: only the fields this code reads, each named when wrong. */
function checkEvidence(resources: Record<string, unknown>, path: string, problems: string[]): void {
  const check = (field: string, value: unknown, ok: (v: unknown) => boolean, allowed: string): void => {
    if (!ok(value)) problems.push(`${path}.${field}: must be ${allowed}, got ${given(value)}`);
  };
  const section = (key: string): Record<string, unknown> | null => {
    const value = resources[key];
    if (value === undefined) return null;
    if (isObject(value)) return value;
    problems.push(`${path}.${key}: must be an object or absent, got ${given(value)}`);
    return null;
  };
  const xray = section('xray');
  if (xray !== null) {
    check('xray.scope.tenantAnnotation', isObject(xray.scope) ? xray.scope.tenantAnnotation : undefined, isText, 'a non-empty string');
    check('xray.maxTraces', xray.maxTraces, isCount, 'an integer >= 1');
  }
  const logs = section('logs');
  if (logs !== null) {
    const scope = isObject(logs.scope) ? logs.scope : {};
    check('logs.scope.logGroups', scope.logGroups, (v) => Array.isArray(v) && v.length > 0, 'a non-empty array');
    check('logs.scope.tenantField', scope.tenantField, isText, 'a non-empty string');
    check('logs.queryTimeoutSeconds', logs.queryTimeoutSeconds, isCount, 'an integer >= 1');
    check('logs.maxResults', logs.maxResults, isCount, 'an integer >= 1');
  }
  const load = section('load');
  if (load !== null) {
    check('load.trafficJumpFactor', load.trafficJumpFactor, (v) => typeof v === 'number' && Number.isFinite(v) && v >= 1, 'a number >= 1');
    check('load.baseline', load.baseline, (v) => (LOAD_BASELINES as readonly unknown[]).includes(v), `one of ${LOAD_BASELINES.join(', ')}`);
    check('load.requestMetric', load.requestMetric, (v) => v === null || (isObject(v) && isText(v.id) && isText(v.metricName) && isText(v.stat)), 'null or a metric with id, metricName and stat');
  }
}

const RESOURCE_LISTS: readonly [keyof SloResources, string][] = [
  ['autoscaling', 'groups'],
  ['codedeploy', 'deploymentGroups'],
  ['rds', 'instances'],
  ['rds', 'clusters'],
  ['lambda', 'functions'],
];

/** Reads the file named by `BURNWATCH_WORKFLOW_CONFIG_FILE` from the bundle's directory (the handler's `__dirname`). */
export function loadBundledWorkflowConfig(env: Readonly<Record<string, string | undefined>>, directory: string): WorkflowRuntimeConfig {
  const name = env[WORKFLOW_CONFIG_VARIABLE];
  if (name === undefined || !BUNDLED_NAME.test(name)) {
    throw new WorkflowConfigError([`${WORKFLOW_CONFIG_VARIABLE} must be a file name matching ${BUNDLED_NAME.source}, got ${given(name)}`]);
  }
  let raw: string;
  try {
    raw = readFileSync(join(directory, name), 'utf8');
  } catch (error) {
    throw new WorkflowConfigError([`${name} must be bundled next to the handler, could not read it: ${(error as Error).message}`]);
  }
  return parseWorkflowConfig(raw);
}

/** Parses the JSON the construct wrote; throws WorkflowConfigError listing every problem. */
export function parseWorkflowConfig(raw: string | undefined): WorkflowRuntimeConfig {
  if (raw === undefined || raw.trim() === '') throw new WorkflowConfigError(['must be set to the JSON workflow config, got nothing']);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new WorkflowConfigError([`must be JSON, got a parse error: ${(error as Error).message}`]);
  }
  if (!isObject(parsed)) throw new WorkflowConfigError([`must be a JSON object, got ${given(parsed)}`]);
  const problems: string[] = [];
  if (parsed.schemaVersion !== 1) problems.push(`schemaVersion: must be 1, got ${given(parsed.schemaVersion)}`);
  for (const [field, max] of [['contextWindowMinutes', 1440], ['maxRounds', 10]] as const) {
    const value = parsed[field];
    if (!(typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max)) {
      problems.push(`${field}: must be an integer from 1 to ${max}, got ${given(value)}`);
    }
  }
  if (!isObject(parsed.policy)) problems.push(`policy: must be a mitigation policy object, got ${given(parsed.policy)}`);
  else {
    try {
      validateMitigationPolicy(parsed.policy as unknown as MitigationPolicy);
    } catch (error) {
      problems.push(`policy: ${(error as Error).message}`);
    }
  }
  if (!isObject(parsed.resources)) problems.push(`resources: must be an object keyed by SLO name, got ${given(parsed.resources)}`);
  else {
    for (const [slo, resources] of Object.entries(parsed.resources)) {
      for (const [collector, list] of RESOURCE_LISTS) {
        const scope = isObject(resources) ? resources[collector] : undefined;
        const items = isObject(scope) ? scope[list] : undefined;
        if (!Array.isArray(items)) problems.push(`resources.${slo}.${collector}.${list}: must be an array, got ${given(items)}`);
      }
      if (isObject(resources)) checkEvidence(resources, `resources.${slo}`, problems);
    }
  }
  if (problems.length > 0) throw new WorkflowConfigError(problems);
  return parsed as unknown as WorkflowRuntimeConfig;
}

export function resourcesOf(config: WorkflowRuntimeConfig, slo: string): SloResources {
  return config.resources[slo] ?? EMPTY_SLO_RESOURCES;
}

/** The optional sources (traces, logs, load) at least one SLO configures: the workflow has a branch for each. */
export function configuredOptionalSources(config: Pick<WorkflowRuntimeConfig, 'resources'>): ('xray' | 'logs' | 'load')[] {
  const all = Object.values(config.resources);
  return (['xray', 'logs', 'load'] as const).filter((source) => all.some((resources) => resources[source] !== undefined));
}
