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
import type { RdsScope } from '../../adapters/collectors/rds';
import type { MitigationPolicy } from '../../domain/mitigation';
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

/** The resources of one SLO, in the scope shape each collector takes. */
export interface SloResources {
  readonly autoscaling: AutoScalingScope;
  readonly codedeploy: CodeDeployScope;
  readonly rds: Required<RdsScope>;
  readonly lambda: ColdStartScope;
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
    }
  }
  if (problems.length > 0) throw new WorkflowConfigError(problems);
  return parsed as unknown as WorkflowRuntimeConfig;
}

export function resourcesOf(config: WorkflowRuntimeConfig, slo: string): SloResources {
  return config.resources[slo] ?? EMPTY_SLO_RESOURCES;
}
