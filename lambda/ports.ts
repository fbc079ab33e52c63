/**
 * The small interfaces the use cases need from the outside world. Adapters implement them with the AWS SDK;
 * tests, the demo and the benchmark implement them locally. Ports are passed in as arguments, never imported
 * as singletons.
 */
import type {
  ActionKind,
  ActionStats,
  CountSeries,
  FailureMode,
  Incident,
  SloDefinition,
  TenantAlertState,
} from './domain/model';

export interface Clock {
  now(): number;
}

export interface FetchStats {
  /** GetMetricData calls made (pages included). */
  calls: number;
  /** Metrics requested (MetricStat queries), the unit CloudWatch bills for GetMetricData. */
  metricsRequested: number;
  datapoints: number;
  /** Throttled calls that were retried. */
  throttledRetries: number;
}

export interface CountsRequest {
  readonly slo: SloDefinition;
  readonly tenants: readonly string[];
  /** Inclusive start, epoch ms, aligned to the period. */
  readonly from: number;
  /** Exclusive end, epoch ms, aligned to the period. */
  readonly to: number;
  readonly periodSeconds: number;
}

export interface CountsResult {
  /** Tenants answered; a tenant with no datapoints has an empty series (no traffic is not an outage). */
  readonly series: Map<string, CountSeries>;
  /** Tenants whose query failed, with the reason; the others are still usable. */
  readonly failures: Map<string, string>;
  readonly stats: FetchStats;
}

/** Reads per-tenant SLI counts (CloudWatch GetMetricData in production). */
export interface MetricSource {
  fetchCounts(request: CountsRequest): Promise<CountsResult>;
  /** Tenant ids found on the SLI's metrics (CloudWatch ListMetrics on the tenant dimension). */
  listTenants(slo: SloDefinition): Promise<string[]>;
}

/** Outcome of a conditional write. `conflict` means another writer got there first: re-read and retry. */
export type WriteOutcome = 'written' | 'conflict';

/** The open-incident pointer of one SLO: the incident new burns on that SLO may join. */
export interface OpenIncidentPointer {
  readonly slo: string;
  readonly incidentId: string;
  readonly openedAt: number;
  readonly version: number;
}

/** Per tenant+SLO alert state and incidents (DynamoDB in production). */
/** Tenant states as read: a stored item that cannot be read (corrupt, unknown schema) fails only its own tenant. */
export interface TenantStatesRead {
  /** Tenants with a readable state; a tenant never evaluated before is absent from both maps. */
  readonly states: Map<string, TenantAlertState>;
  /** Tenants whose stored state could not be read, with the reason (field, allowed, given). */
  readonly unreadable: Map<string, string>;
}

export interface StateStore {
  getTenantStates(slo: string, tenants: readonly string[]): Promise<TenantStatesRead>;
  /** Writes `next` only if the stored version is `expectedVersion` (0: the item must not exist yet). */
  putTenantState(next: TenantAlertState, expectedVersion: number): Promise<WriteOutcome>;
  /** Appends a history item (expires by TTL) for reports; never conditional. */
  appendHistory(state: TenantAlertState, expiresAt: number): Promise<void>;

  getIncident(id: string): Promise<Incident | null>;
  /** Creates the incident only if no incident with that id exists. */
  createIncident(incident: Incident): Promise<WriteOutcome>;
  /** Replaces the incident only if its stored version is `expectedVersion`. */
  updateIncident(next: Incident, expectedVersion: number): Promise<WriteOutcome>;

  getOpenIncidentPointer(slo: string): Promise<OpenIncidentPointer | null>;
  /** Sets the pointer only if its stored version is `expectedVersion` (0: must not exist). */
  putOpenIncidentPointer(pointer: OpenIncidentPointer, expectedVersion: number): Promise<WriteOutcome>;
}

export interface IncidentWorkflowInput {
  readonly incidentId: string;
  readonly slo: string;
  readonly severity: 'page' | 'ticket';
  readonly tenants: readonly string[];
  /** When the burn started (earliest tenant's level change), epoch ms. */
  readonly onsetAt: number;
  readonly openedAt: number;
}

/** Starts the incident workflow (Step Functions StartExecution in production); idempotent by name. */
export interface WorkflowStarter {
  start(input: IncidentWorkflowInput, executionName: string): Promise<{ executionArn: string; alreadyStarted: boolean }>;
}

/** Guards and learning for the incident workflow (DynamoDB in production). */
export interface GuardStore {
  /** Increments the account-wide action counter of the hour if it is below `limit`; false when at the limit. */
  tryConsumeActionQuota(hourStart: number, limit: number): Promise<boolean>;
  /** Last time an action touched the resource, or null. */
  getLastActionAt(resource: string): Promise<number | null>;
  recordAction(resource: string, at: number): Promise<void>;
  /** The operator's kill switch: true stops every automated action. */
  isKillSwitchOn(): Promise<boolean>;
  getActionStats(failureMode: FailureMode): Promise<ActionStats[]>;
  recordActionOutcome(failureMode: FailureMode, kind: ActionKind, recovered: boolean, recoveryMinutes: number): Promise<void>;
}

/** Structured logging as the use cases need it; the Powertools Logger satisfies it. */
export interface Log {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/** Delivers an alert (SNS in production). Throws when it could not deliver, so the caller can retry or report. */
export interface Notifier {
  publish(event: import("./domain/alert-message").AlertEvent): Promise<unknown>;
}

/** An SLO's tenant list as one discovery found it. */
export interface TenantRosterSnapshot {
  /** Sorted, without duplicates. */
  readonly tenants: readonly string[];
  /** The tick instant of the discovery, epoch ms. */
  readonly discoveredAt: number;
}

/**
 * The tenant lists a sharded evaluator discovers once per tick and every shard reads (DynamoDB in production), so
 * ListMetrics is called once per tick rather than once per shard.
 */
export interface TenantRoster {
  /**
   * Stores `tenants` as the SLO's roster; a reader sees the previous complete roster until this one is complete.
   * `conflict` when a roster discovered later is already stored (it is kept). Expires at `expiresAt` (epoch ms).
   */
  putRoster(slo: string, tenants: readonly string[], discoveredAt: number, expiresAt: number): Promise<WriteOutcome>;
  /** The SLO's latest complete roster, or null when there is none (never written, or expired). */
  getRoster(slo: string): Promise<TenantRosterSnapshot | null>;
  /** When the SLO's latest roster was discovered, without reading its tenants; null when there is none. */
  getDiscoveredAt(slo: string): Promise<number | null>;
}
