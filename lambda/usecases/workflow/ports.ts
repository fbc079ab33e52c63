/**
 * The ports the incident workflow's steps need beyond lambda/ports.ts. Each is the small slice of an adapter a
 * step calls (SnsNotifier, ForensicStore, the collectors, the actions), so tests and the demo can pass plain
 * objects. Steps take them as arguments, never as singletons.
 */
import type { AutoScalingCollectorResult, AutoScalingScope } from '../../adapters/collectors/autoscaling';
import type { CodeDeployCollectorResult, CodeDeployScope } from '../../adapters/collectors/codedeploy';
import type { CollectorReport, CollectRequest } from '../../adapters/collectors/common';
import type { ColdStartScope } from '../../adapters/collectors/lambda-cold-starts';
import type { LoadScope } from '../../adapters/collectors/load';
import type { LogsInsightsScope } from '../../adapters/collectors/logs-insights';
import type { RdsScope } from '../../adapters/collectors/rds';
import type { XRayScope } from '../../adapters/collectors/xray';
import type { ForensicLocation } from '../../adapters/forensics-s3';
import type { AlertEvent } from '../../domain/alert-message';
import type { ActionKind, ActionResult, PlannedAction } from '../../domain/model';
import type { Clock, GuardStore, Log, MetricSource, StateStore } from '../../ports';

/** Sends a rendered alert (SNS in production); throws when it could not be delivered. */
export interface AlertPublisher {
  publish(event: AlertEvent): Promise<{ messageId: string }>;
}

/** Stores a forensic bundle (S3 in production); `now` picks the folder, so a fixed time overwrites one object. */
export interface ForensicWriter {
  write(incidentId: string, bundle: object, now: number): Promise<ForensicLocation>;
}

/** One collector run; it never throws (API errors and bad scope come back as `unavailable`). */
export interface EvidenceCollector<Scope> {
  collect(request: CollectRequest<Scope>): Promise<CollectorReport>;
}

/** Per-SLO bounds of the traces collector (its collector is built with them). */
export interface TraceLimits {
  readonly maxTraces: number;
}

/** Per-SLO bounds of the logs collector: the query's deadline and its row limit. */
export interface LogQueryLimits {
  readonly queryTimeoutSeconds: number;
  readonly maxRows: number;
}

/**
 * The collectors. Traces, logs and load are optional: a wiring without one reports an SLO that configures it
 * as `unavailable`; the per-SLO limits are applied by building the collector for each run (it is only a
 * wrapper around a client built once).
 */
export interface Collectors {
  readonly autoscaling: { collect(request: CollectRequest<AutoScalingScope>): Promise<AutoScalingCollectorResult> };
  readonly codedeploy: { collect(request: CollectRequest<CodeDeployScope>): Promise<CodeDeployCollectorResult> };
  readonly rds: { collect(request: CollectRequest<RdsScope>): Promise<CollectorReport> };
  readonly lambda: { collect(request: CollectRequest<ColdStartScope>): Promise<CollectorReport> };
  readonly xray?: (limits: TraceLimits) => EvidenceCollector<XRayScope>;
  readonly logs?: (limits: LogQueryLimits) => EvidenceCollector<LogsInsightsScope>;
  readonly load?: EvidenceCollector<LoadScope>;
}

/** Changes one resource as planned; throws ActionRefusedError when the action must not run (nothing changed). */
export interface ActionRunner {
  execute(action: PlannedAction, now: number): Promise<ActionResult>;
}

/** A runner for every kind that changes a resource (notify-only changes nothing and has none). */
export type ActionRunners = Readonly<Record<Exclude<ActionKind, 'notify-only'>, ActionRunner>>;

export interface WorkflowDeps {
  readonly clock: Clock;
  readonly log: Log;
  readonly store: StateStore;
  readonly guards: GuardStore;
  readonly metrics: MetricSource;
  readonly alerts: AlertPublisher;
  readonly forensics: ForensicWriter;
  readonly collectors: Collectors;
  readonly actions: ActionRunners;
}
