/**
 * `npm run demo`: the whole pipeline, offline. A scenario's traffic goes into the local CloudWatch; the real
 * evaluator tick runs every simulated minute through the real CloudWatch adapter and the real DynamoDB adapter (on
 * dynalite); incidents start the incident workflow and every alert is rendered by the real alert renderer.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { DynamoGuardStore } from '../../lambda/adapters/dynamo-guard-store';
import { DynamoStateStore } from '../../lambda/adapters/dynamo-state-store';
import { SnsNotifier } from '../../lambda/adapters/sns-notifier';
import { MINUTE_MS } from '../../lambda/domain/model';
import type { Incident, TenantEvaluation } from '../../lambda/domain/model';
import { formatWindow } from '../../lambda/domain/policy';
import type { Log } from '../../lambda/ports';
import { evaluateTick, newEvaluatorCache } from '../../lambda/usecases/evaluate-tick';
import type { TransitionEvent } from '../../lambda/usecases/evaluate-tick';
import { startLocalDynamo } from '../local/dynalite';
import { LOCAL_ALERT_TOPIC_ARN, synthesizeWorkflow } from '../local/workflow-runner';
import { DemoAws } from './aws';
import { loadScenario, ScenarioTraffic } from './scenario';
import type { Scenario } from './scenario';
import { DemoWorkflow, SimulatedClock } from './workflow';
import type { DemoAlert, IncidentWorkflowOutcome } from './workflow';
import { renderReport } from './report';

export interface DemoOptions {
  readonly scenarioPath: string;
  readonly outDir: string;
  readonly quiet: boolean;
  /** Where progress and the execution log go. */
  readonly write: (line: string) => void;
}

export interface TenantTrack {
  /** Burn rate of the shortest long window (1h by default), one per tick. */
  readonly burn: Float32Array;
  readonly budget: Float32Array;
}

export interface DemoResult {
  readonly scenario: Scenario;
  readonly ticks: number;
  readonly tickTimes: Float64Array;
  readonly tracks: Map<string, TenantTrack>;
  readonly transitions: readonly TransitionEvent[];
  readonly incidents: readonly Incident[];
  readonly alerts: readonly DemoAlert[];
  /** What the incident workflow did, per incident id. */
  readonly workflow: ReadonlyMap<string, IncidentWorkflowOutcome>;
  readonly wallSeconds: number;
  readonly reportPath: string;
  readonly summaryPath: string;
}

const iso = (at: number): string => new Date(at).toISOString().replace(':00.000Z', 'Z');
const hhmm = (at: number): string => new Date(at).toISOString().slice(11, 16);

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = process.hrtime.bigint();
  const { write } = options;
  const scenario = loadScenario(options.scenarioPath);
  const { slo } = scenario;
  const config = scenario.config.runtime;
  write(`Burnwatch demo: ${scenario.name} (${options.scenarioPath})`);
  write(
    `  ${scenario.tenants.length} tenants, SLO ${slo.name} at ${slo.objectivePercent}% over ${slo.periodDays}d, rules ${slo.rules
      .map((r) => `${r.severity} ${r.name} @${r.burnRate.toFixed(1)}x`)
      .join(', ')}`,
  );

  const clock = new SimulatedClock(scenario.start);
  const cloudwatch = new LocalCloudWatch({ clock: () => clock.now() });
  // History up to the start now; the day itself minute by minute, so the workflow's actions can change it.
  const traffic = new ScenarioTraffic(scenario, cloudwatch);
  const minutes = traffic.generateUntil(scenario.start);
  write(`  generated ${minutes.toLocaleString('en-US')} minutes of history per tenant into the local CloudWatch`);
  const synthesisStarted = process.hrtime.bigint();
  const synthesized = synthesizeWorkflow(config, scenario.config.workflow);
  const workflowPolicy = scenario.config.workflow.runtime.policy;
  write(
    `  synthesized the incident workflow (${Object.keys(synthesized.definition.States).length} top-level states) in ${(Number(process.hrtime.bigint() - synthesisStarted) / 1e9).toFixed(1)} s; mitigation mode ${workflowPolicy.mode}, allowlist ${workflowPolicy.allowlist.join(', ') || 'empty'}`,
  );

  const dynamo = await startLocalDynamo();
  const tableName = 'burnwatch-demo';
  await dynamo.createTable(tableName);
  const store = new DynamoStateStore(dynamo.doc, tableName);
  const guards = new DynamoGuardStore(dynamo.doc, tableName);
  const logLines: string[] = [];
  const log: Log = {
    info: () => undefined,
    warn: (message, data) => logLines.push(`WARN ${message} ${JSON.stringify(data ?? {})}`),
    error: (message, data) => logLines.push(`ERROR ${message} ${JSON.stringify(data ?? {})}`),
  };
  const say = (line: string): void => {
    if (!options.quiet) write(line);
  };
  const alerts: DemoAlert[] = [];
  const aws = new DemoAws({
    scenario,
    traffic,
    clock: () => clock.now(),
    outDir: options.outDir,
    onAlert: ({ subject, text, document }) => {
      const actions = document.actionsTaken.map((a) => `${a.kind} ${a.resource}: ${a.outcome}`);
      alerts.push({ incidentId: document.incident.id, type: document.type, severity: document.severity, at: clock.now(), subject, text, actions });
      say(`  ${hhmm(clock.now())}  ALERT       ${subject}`);
    },
    onMitigation: (m) =>
      say(`  ${hhmm(m.at)}  AWS         ${m.call} ${m.resource}${m.endsAt === null ? ' (no scenario event matches)' : `: the errors stop at ${hhmm(m.endsAt)}`}`),
  });
  const workflow = new DemoWorkflow({
    synthesized,
    clock,
    wiring: { log, runtime: config, workflow: scenario.config.workflow.runtime, store, guards, cloudwatch, clients: aws.clients },
    write: say,
  });
  const transitions: TransitionEvent[] = [];
  const ticks = (scenario.end - scenario.start) / MINUTE_MS;
  const tickTimes = new Float64Array(ticks);
  const tracks = new Map<string, TenantTrack>(
    scenario.tenants.map((t) => [t.name, { burn: new Float32Array(ticks).fill(Number.NaN), budget: new Float32Array(ticks).fill(Number.NaN) }]),
  );
  const chartWindow = Math.min(...slo.rules.map((r) => r.longWindowMinutes));
  let tickIndex = 0;
  const cache = newEvaluatorCache();
  const deps = {
    metrics: new CloudWatchMetricSource(cloudwatch.client(), { maxConcurrentRequests: config.evaluator.maxConcurrentRequests, logger: log }),
    store,
    workflow,
    // The evaluator's own alerts (tenants joining, resolved) go to the same topic as the workflow's.
    notifier: new SnsNotifier(aws.clients.sns, { topicArn: LOCAL_ALERT_TOPIC_ARN, sleep: async () => undefined }),
    log,
    onEvaluated: (_slo: string, evaluations: readonly TenantEvaluation[]) => {
      for (const e of evaluations) {
        const track = tracks.get(e.tenant);
        if (!track) continue;
        track.burn[tickIndex] = e.windows.find((w) => w.windowMinutes === chartWindow)?.burnRate ?? 0;
        track.budget[tickIndex] = e.budgetRemaining;
      }
    },
    onTransition: (event: TransitionEvent) => {
      transitions.push(event);
      const burns = Object.entries(event.state.burnRates)
        .filter(([w]) => Number(w) <= 6 * 60)
        .map(([w, b]) => `${formatWindow(Number(w))} ${b.toFixed(1)}x`)
        .join(' ');
      say(
        `  ${hhmm(clock.now())}  ${event.transition.toUpperCase().padEnd(11)} ${event.tenant.padEnd(18)} level=${event.state.level.padEnd(6)} ${burns}  budget ${(event.state.budgetRemaining * 100).toFixed(1)}% left${event.incidentId ? `  [${event.incidentId}]` : ''}`,
      );
    },
  };

  try {
    for (; tickIndex < ticks; tickIndex += 1) {
      const now = scenario.start + tickIndex * MINUTE_MS;
      tickTimes[tickIndex] = now;
      traffic.generateUntil(now + MINUTE_MS);
      clock.advance(now);
      const report = await evaluateTick(config, deps, cache, now);
      for (const skipped of report.skipped) write(`  ${hhmm(now)}  SKIPPED ${skipped.slo}: ${skipped.reason}`);
      await workflow.afterTick(now);
      if (!options.quiet && tickIndex % 240 === 239) process.stderr.write(`  ... ${hhmm(now)} evaluated (${tickIndex + 1}/${ticks} ticks)\n`);
    }
    // Executions still waiting after the last tick finish on the simulated clock, with their traffic generated.
    await workflow.drain((to) => traffic.generateUntil(to + MINUTE_MS));
    const incidents = await workflow.incidents(store);
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    mkdirSync(options.outDir, { recursive: true });
    const reportPath = resolve(join(options.outDir, 'demo-report.html'));
    const summaryPath = resolve(join(options.outDir, 'demo-summary.json'));
    const result: DemoResult = {
      scenario,
      ticks,
      tickTimes,
      tracks,
      transitions,
      incidents,
      alerts,
      workflow: new Map(incidents.flatMap((i) => {
        const outcome = workflow.outcome(i.id);
        return outcome === null ? [] : [[i.id, outcome] as const];
      })),
      wallSeconds,
      reportPath,
      summaryPath,
    };
    writeFileSync(summaryPath, `${JSON.stringify(demoSummary(result), null, 2)}\n`);
    writeFileSync(reportPath, renderReport(result));
    printSummary(result, write, logLines);
    return result;
  } finally {
    aws.restore();
    await dynamo.stop();
  }
}

export interface DemoSummary {
  readonly scenario: string;
  readonly incidents: readonly {
    readonly id: string;
    readonly severity: string;
    readonly tenants: readonly string[];
    readonly openedAt: string;
    readonly resolvedAt: string | null;
    readonly suspectedCause: string | null;
    readonly failureMode: string | null;
    /** What the workflow did: `<kind> <resource>: <outcome>`. */
    readonly actions: readonly string[];
    /** The workflow's last decision: recovered, escalate, ... (null when no execution finished). */
    readonly recovery: string | null;
    readonly validations: readonly { readonly at: string; readonly recovered: boolean; readonly tenantsRecovered: number; readonly tenantsTotal: number }[];
  }[];
  readonly pages: number;
  readonly alerts: number;
}

/**
 * Pages a responder gets: one per incident that reached page severity. Later messages of the same incident (tenants
 * joining) carry the same PagerDuty dedup key and update the page instead of sending another.
 */
export function countPages(alerts: readonly DemoAlert[]): number {
  return new Set(alerts.filter((a) => a.severity === 'page' && (a.type === 'opened' || a.type === 'escalated')).map((a) => a.incidentId)).size;
}

export function demoSummary(result: DemoResult): DemoSummary {
  return {
    scenario: result.scenario.name,
    incidents: result.incidents.map((i) => ({
      id: i.id,
      severity: i.severity,
      tenants: i.tenants.map((t) => t.tenant),
      openedAt: iso(i.openedAt),
      resolvedAt: i.resolvedAt === null ? null : iso(i.resolvedAt),
      suspectedCause: i.suspectedCause,
      failureMode: i.failureMode,
      ...workflowSummary(result.workflow.get(i.id)),
    })),
    pages: countPages(result.alerts),
    alerts: result.alerts.length,
  };
}

/** The workflow's part of an incident's summary. */
export function workflowSummary(outcome: IncidentWorkflowOutcome | undefined): Pick<DemoSummary['incidents'][number], 'actions' | 'recovery' | 'validations'> {
  return {
    actions: (outcome?.actions ?? []).map((a) => `${a.action.kind} ${a.action.resource}: ${a.outcome}`),
    recovery: outcome?.decision ?? null,
    validations: (outcome?.validations ?? []).map((v) => ({ ...v, at: iso(v.at) })),
  };
}

function printSummary(result: DemoResult, write: (line: string) => void, logLines: readonly string[]): void {
  const summary = demoSummary(result);
  write('');
  write(`Summary: ${result.ticks} ticks of ${result.tracks.size} tenants in ${result.wallSeconds.toFixed(1)} s`);
  write(`  ${summary.incidents.length} incidents, ${summary.pages} pages, ${summary.alerts} alerts`);
  for (const incident of summary.incidents) {
    const tenants = incident.tenants.length > 4 ? `${incident.tenants.length} tenants` : incident.tenants.join(', ');
    write(
      `  - ${incident.severity.toUpperCase().padEnd(6)} ${incident.openedAt.slice(11, 16)}-${incident.resolvedAt?.slice(11, 16) ?? 'open '}  ${tenants}${incident.suspectedCause ? `: ${incident.suspectedCause}` : ''}`,
    );
    if (incident.failureMode !== null || incident.actions.length > 0) {
      write(`             ${incident.failureMode ?? 'no failure mode'}; ${incident.actions.length > 0 ? incident.actions.join(', ') : 'no action taken'}${incident.recovery ? `; ${incident.recovery}` : ''}`);
    }
  }
  if (logLines.length > 0) write(`  ${logLines.length} warnings/errors logged; first: ${logLines[0]}`);
  write(`Report:  ${result.reportPath}`);
  write(`Summary: ${result.summaryPath}`);
}
