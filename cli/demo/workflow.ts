/**
 * The demo's side of the incident workflow: takes the evaluator's starts, runs the workflow for each incident on
 * the simulated clock, and delivers every alert through the real renderer, printing what a responder would read.
 */
import type { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { renderAlert } from '../../lambda/domain/alert-message';
import type { AlertEvent } from '../../lambda/domain/alert-message';
import type { Incident } from '../../lambda/domain/model';
import { labelWindows } from '../../lambda/domain/policy';
import type { IncidentWorkflowInput, Notifier, StateStore, WorkflowStarter } from '../../lambda/ports';
import type { Scenario } from './scenario';

export interface DemoAlert {
  readonly incidentId: string;
  readonly type: AlertEvent['type'];
  readonly severity: string;
  readonly at: number;
  readonly subject: string;
  readonly text: string;
  readonly actions: readonly string[];
}

export interface DemoWorkflowOptions {
  readonly scenario: Scenario;
  readonly store: StateStore;
  readonly cloudwatch: LocalCloudWatch;
  readonly clock: () => number;
  readonly write: (line: string) => void;
}

export class DemoWorkflow implements WorkflowStarter, Notifier {
  readonly alerts: DemoAlert[] = [];
  private readonly started = new Map<string, IncidentWorkflowInput>();
  private readonly queue: IncidentWorkflowInput[] = [];

  constructor(private readonly options: DemoWorkflowOptions) {}

  async start(input: IncidentWorkflowInput, executionName: string): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const executionArn = `arn:aws:states:local:000000000000:execution:burnwatch-incident:${executionName}`;
    if (this.started.has(executionName)) return { executionArn, alreadyStarted: true };
    this.started.set(executionName, input);
    this.queue.push(input);
    return { executionArn, alreadyStarted: false };
  }

  async publish(event: AlertEvent): Promise<void> {
    const rendered = renderAlert(event);
    const actions = (event.actions ?? []).map((a) => `${a.action.kind} ${a.action.resource}: ${a.outcome}`);
    this.alerts.push({
      incidentId: event.incident.id,
      type: event.type,
      severity: event.incident.severity,
      at: event.at,
      subject: rendered.subject,
      text: rendered.text,
      actions,
    });
    const at = new Date(event.at).toISOString().slice(11, 16);
    this.options.write(`  ${at}  ALERT       ${rendered.subject}`);
  }

  /** Runs the workflows started during the tick. */
  async afterTick(now: number): Promise<void> {
    while (this.queue.length > 0) {
      const input = this.queue.shift();
      if (!input) break;
      const incident = await this.options.store.getIncident(input.incidentId);
      if (!incident) throw new Error(`demo: incident ${input.incidentId} was started but is not stored`);
      await this.publish(this.openedEvent(incident, input, now));
    }
  }

  async drain(): Promise<void> {
    await this.afterTick(this.options.clock());
  }

  async incidents(): Promise<Incident[]> {
    const ids = [...new Set([...this.started.values()].map((i) => i.incidentId))];
    const found = await Promise.all(ids.map((id) => this.options.store.getIncident(id)));
    return found.filter((i): i is Incident => i !== null).sort((a, b) => a.openedAt - b.openedAt);
  }

  private openedEvent(incident: Incident, input: IncidentWorkflowInput, now: number): AlertEvent {
    return {
      schemaVersion: 1,
      type: input.severity === incident.severity && input.incidentId === incident.id && !this.isPageEscalation(input) ? 'opened' : 'escalated',
      incident,
      slo: { name: this.options.scenario.slo.name, objectivePercent: this.options.scenario.slo.objectivePercent },
      tenants: incident.tenants.map((t) => ({
        tenant: t.tenant,
        level: t.recoveredAt === null ? t.level : 'ok',
        burnRates: labelWindows(t.burnRates),
        budgetRemaining: t.budgetRemainingAtJoin,
        timeToExhaustionMinutes: null,
        recoveredAt: t.recoveredAt,
        budgetLost: t.budgetLost,
      })),
      at: now,
    };
  }

  private isPageEscalation(input: IncidentWorkflowInput): boolean {
    return [...this.started.entries()].some(([name, i]) => i === input && name.endsWith('-page'));
  }
}
