/**
 * `npm run demo`: the whole pipeline, offline. A scenario's traffic goes into the local CloudWatch; the real
 * evaluator tick runs every simulated minute through the real CloudWatch adapter and the real DynamoDB adapter (on
 * dynalite); incidents start the incident workflow and every alert is rendered by the real alert renderer.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { CloudWatchMetricSource } from '../../lambda/adapters/cloudwatch-metric-source';
import { DynamoStateStore } from '../../lambda/adapters/dynamo-state-store';
import { MINUTE_MS } from '../../lambda/domain/model';
import type { Incident, TenantEvaluation } from '../../lambda/domain/model';
import { formatWindow } from '../../lambda/domain/policy';
import type { Log } from '../../lambda/ports';
import { evaluateTick, newEvaluatorCache } from '../../lambda/usecases/evaluate-tick';
import type { TransitionEvent } from '../../lambda/usecases/evaluate-tick';
import { startLocalDynamo } from '../local/dynalite';
import { generateTraffic, loadScenario } from './scenario';
import type { Scenario } from './scenario';
import { DemoWorkflow } from './workflow';
import type { DemoAlert } from './workflow';
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

  let simulatedNow = scenario.start;
  const cloudwatch = new LocalCloudWatch({ clock: () => simulatedNow });
  const { minutes } = generateTraffic(scenario, cloudwatch);
  write(`  generated ${minutes.toLocaleString('en-US')} minutes of traffic per tenant into the local CloudWatch`);

  const dynamo = await startLocalDynamo();
  const tableName = 'burnwatch-demo';
  await dynamo.createTable(tableName);
  const store = new DynamoStateStore(dynamo.doc, tableName);
  const logLines: string[] = [];
  const log: Log = {
    info: () => undefined,
    warn: (message, data) => logLines.push(`WARN ${message} ${JSON.stringify(data ?? {})}`),
    error: (message, data) => logLines.push(`ERROR ${message} ${JSON.stringify(data ?? {})}`),
  };
  const workflow = new DemoWorkflow({ scenario, store, cloudwatch, clock: () => simulatedNow, write: (l) => !options.quiet && write(l) });
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
    notifier: workflow,
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
      if (options.quiet) return;
      const burns = Object.entries(event.state.burnRates)
        .filter(([w]) => Number(w) <= 6 * 60)
        .map(([w, b]) => `${formatWindow(Number(w))} ${b.toFixed(1)}x`)
        .join(' ');
      write(
        `  ${hhmm(simulatedNow)}  ${event.transition.toUpperCase().padEnd(11)} ${event.tenant.padEnd(18)} level=${event.state.level.padEnd(6)} ${burns}  budget ${(event.state.budgetRemaining * 100).toFixed(1)}% left${event.incidentId ? `  [${event.incidentId}]` : ''}`,
      );
    },
  };

  try {
    for (; tickIndex < ticks; tickIndex += 1) {
      simulatedNow = scenario.start + tickIndex * MINUTE_MS;
      tickTimes[tickIndex] = simulatedNow;
      const report = await evaluateTick(config, deps, cache, simulatedNow);
      for (const skipped of report.skipped) write(`  ${hhmm(simulatedNow)}  SKIPPED ${skipped.slo}: ${skipped.reason}`);
      await workflow.afterTick(simulatedNow);
      if (!options.quiet && tickIndex % 240 === 239) process.stderr.write(`  ... ${hhmm(simulatedNow)} evaluated (${tickIndex + 1}/${ticks} ticks)\n`);
    }
    await workflow.drain();
    const incidents = await workflow.incidents();
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
      alerts: workflow.alerts,
      wallSeconds,
      reportPath,
      summaryPath,
    };
    writeFileSync(summaryPath, `${JSON.stringify(demoSummary(result), null, 2)}\n`);
    writeFileSync(reportPath, renderReport(result));
    printSummary(result, write, logLines);
    return result;
  } finally {
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
    readonly actions: readonly string[];
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
      actions: result.alerts.filter((a) => a.incidentId === i.id).flatMap((a) => a.actions),
    })),
    pages: countPages(result.alerts),
    alerts: result.alerts.length,
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
  }
  if (logLines.length > 0) write(`  ${logLines.length} warnings/errors logged; first: ${logLines[0]}`);
  write(`Report:  ${result.reportPath}`);
  write(`Summary: ${result.summaryPath}`);
}
