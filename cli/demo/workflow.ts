/**
 * The demo's side of the incident workflow: takes the evaluator's starts and runs the synthesized state machine
 * (aws-local-stepfunctions, tasks bound to the real handlers) for each, on the simulated clock. Executions run
 * between ticks: after each tick the demo lets them progress until every one is done or waiting for the clock
 * (Validate waits for `waitAfterActionSeconds` of simulated time), so an action changes the traffic that follows.
 */
import type { ActionResult, Incident } from '../../lambda/domain/model';
import { workflowHandlers } from '../../lambda/handlers/workflow';
import type { IncidentWorkflowInput, StateStore, WorkflowStarter } from '../../lambda/ports';
import type { WorkflowDecision, WorkflowState } from '../../lambda/usecases/workflow/state';
import { LocalWorkflowRunner } from '../local/workflow-runner';
import type { Json, LocalWiringOptions, SynthesizedWorkflow, TaskCall } from '../local/workflow-runner';
import { localWorkflowWiring } from '../local/workflow-runner';

const hhmm = (at: number): string => new Date(at).toISOString().slice(11, 16);

/**
 * Simulated time. Executions await `until(at)`; the tick loop advances the clock and then `settle()`s: it returns
 * once every running execution is done or waiting for a later time.
 */
export class SimulatedClock {
  private current: number;
  private active = 0;
  private waiters: { at: number; release: () => void }[] = [];
  private onChange: (() => void) | null = null;

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Running executions, and how many of them wait for the clock. */
  get counts(): { readonly active: number; readonly waiting: number } {
    return { active: this.active, waiting: this.waiters.length };
  }

  /** The earliest time an execution waits for, if any. */
  nextWake(): number | null {
    return this.waiters.reduce<number | null>((min, w) => (min === null || w.at < min ? w.at : min), null);
  }

  until(at: number): Promise<void> {
    if (at <= this.current) return Promise.resolve();
    return new Promise((release) => {
      this.waiters.push({ at, release });
      this.changed();
    });
  }

  /** Tracks one execution, so `settle` knows when it is done. */
  async track<T>(run: () => Promise<T>): Promise<T> {
    this.active += 1;
    try {
      return await run();
    } finally {
      this.active -= 1;
      this.changed();
    }
  }

  /** Moves the clock; executions waiting for it are released by `releaseDue`, so none runs during a tick. */
  advance(to: number): void {
    this.current = Math.max(this.current, to);
  }

  /** Releases every execution waiting for the current time or earlier. */
  releaseDue(): void {
    const due = this.waiters.filter((w) => w.at <= this.current);
    this.waiters = this.waiters.filter((w) => w.at > this.current);
    for (const w of due) w.release();
  }

  /** Resolves when every running execution is done or waiting for the clock. */
  async settle(): Promise<void> {
    while (this.active > this.waiters.length) {
      await new Promise<void>((resolve) => {
        this.onChange = resolve;
      });
    }
    this.onChange = null;
  }

  private changed(): void {
    const notify = this.onChange;
    this.onChange = null;
    notify?.();
  }
}

/** An alert as the demo printed it (from the message published to the topic). */
export interface DemoAlert {
  readonly incidentId: string;
  readonly type: string;
  readonly severity: string;
  readonly at: number;
  readonly subject: string;
  readonly text: string;
  readonly actions: readonly string[];
}

/** What the workflow did for one incident (over all its executions). */
export interface IncidentWorkflowOutcome {
  readonly actions: readonly ActionResult[];
  readonly decision: WorkflowDecision | null;
  readonly validations: readonly { readonly at: number; readonly recovered: boolean; readonly tenantsRecovered: number; readonly tenantsTotal: number }[];
  readonly failures: readonly string[];
}

export interface DemoWorkflowOptions {
  readonly synthesized: SynthesizedWorkflow;
  readonly clock: SimulatedClock;
  /** The wiring's ports; its clock is the simulated clock. */
  readonly wiring: Omit<LocalWiringOptions, 'clock'>;
  readonly write: (line: string) => void;
}

interface Running {
  readonly input: IncidentWorkflowInput;
  readonly executionName: string;
}

export class DemoWorkflow implements WorkflowStarter {
  private readonly runner: LocalWorkflowRunner;
  private readonly started = new Map<string, IncidentWorkflowInput>();
  private readonly queue: Running[] = [];
  private readonly executions: Promise<void>[] = [];
  private readonly outcomes = new Map<string, { actions: ActionResult[]; decision: WorkflowDecision | null; validations: IncidentWorkflowOutcome['validations'][number][]; failures: string[] }>();

  constructor(private readonly options: DemoWorkflowOptions) {
    const { clock } = options;
    const wiring = localWorkflowWiring({ ...options.wiring, clock });
    this.runner = new LocalWorkflowRunner(options.synthesized, workflowHandlers(wiring), {
      before: async ({ handler, payload }) => {
        // The Wait state takes no real time; Validate runs once the simulated clock has passed the wait.
        if (handler === 'validate') await clock.until(clock.now() + (payload as unknown as WorkflowState).settings.waitAfterActionSeconds * 1000);
      },
      after: (call, result) => this.describeStep(call, result),
    });
  }

  async start(input: IncidentWorkflowInput, executionName: string): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const executionArn = `arn:aws:states:local:000000000000:execution:burnwatch-incident:${executionName}`;
    if (this.started.has(executionName)) return { executionArn, alreadyStarted: true };
    this.started.set(executionName, input);
    // Started after the tick, so executions never race the evaluator within a tick: the demo stays reproducible.
    this.queue.push({ input, executionName });
    return { executionArn, alreadyStarted: false };
  }

  /** Starts the executions the tick asked for, releases those waiting for `now`, and lets all progress. */
  async afterTick(now: number): Promise<void> {
    const { clock } = this.options;
    clock.advance(now);
    clock.releaseDue();
    for (const run of this.queue.splice(0)) this.executions.push(clock.track(() => this.execute(run)));
    await clock.settle();
  }

  /** After the last tick: moves the clock to each remaining wake-up (`beforeAdvance` generates its traffic). */
  async drain(beforeAdvance: (to: number) => void): Promise<void> {
    const { clock } = this.options;
    await this.afterTick(clock.now());
    for (let wake = clock.nextWake(); wake !== null; wake = clock.nextWake()) {
      beforeAdvance(wake);
      await this.afterTick(wake);
    }
    await Promise.all(this.executions);
  }

  outcome(incidentId: string): IncidentWorkflowOutcome | null {
    return this.outcomes.get(incidentId) ?? null;
  }

  async incidents(store: StateStore): Promise<Incident[]> {
    const ids = [...new Set([...this.started.values()].map((i) => i.incidentId))];
    const found = await Promise.all(ids.map((id) => store.getIncident(id)));
    return found.filter((i): i is Incident => i !== null).sort((a, b) => a.openedAt - b.openedAt);
  }

  private outcomeOf(incidentId: string): NonNullable<ReturnType<DemoWorkflow['outcomes']['get']>> {
    let outcome = this.outcomes.get(incidentId);
    if (outcome === undefined) {
      outcome = { actions: [], decision: null, validations: [], failures: [] };
      this.outcomes.set(incidentId, outcome);
    }
    return outcome;
  }

  private async execute(run: Running): Promise<void> {
    const { output, error } = await this.runner.runExecution(run.input, { executionName: run.executionName });
    const outcome = this.outcomeOf(run.input.incidentId);
    if (error !== null) {
      outcome.failures.push(`${run.executionName}: ${error.name}: ${error.message}`);
      this.line(run.input.incidentId, `execution ${run.executionName} FAILED: ${error.name}: ${error.message}`);
      return;
    }
    if (output === null) return;
    outcome.actions.push(...output.progress.actions);
    outcome.decision = output.progress.decision;
    this.line(run.input.incidentId, `execution ${run.executionName} done: ${output.progress.decision}`);
  }

  private line(incidentId: string, text: string): void {
    this.options.write(`  ${hhmm(this.options.clock.now())}  WORKFLOW    [${incidentId}] ${text}`);
  }

  /** The execution log: what each step found or did, as it happens. */
  private describeStep(call: TaskCall, result: Json): void {
    if (call.handler === 'notify' || call.handler === 'collect') return; // alerts print themselves; collection is summarised by Analyse
    const state = result as unknown as WorkflowState;
    const id = state.input?.incidentId ?? '?';
    if (call.handler === 'analyse' && state.analysis) {
      const collected = (state.collected ?? []).map((c) => (c.result.status === 'ok' ? `${c.source} ${c.result.items.length}` : `${c.source} unavailable`));
      this.line(id, `collected: ${collected.join(', ')} evidence items`);
      const { correlation, plan, mode } = state.analysis;
      this.line(id, `suspected cause: ${correlation.suspectedCause} (${correlation.failureMode}, confidence ${correlation.confidence.toFixed(2)})`);
      const planned = plan.map((a) => `${a.kind} ${a.resource} ${a.allowed ? 'allowed' : `blocked by ${a.blockedBy.join('; ')}`}`);
      this.line(id, `plan (mode ${mode}): ${planned.length > 0 ? planned.join(', ') : 'no action'}`);
    } else if (call.handler === 'act') {
      const last = state.progress.actions[state.progress.actions.length - 1];
      if (last) this.line(id, `action: ${last.action.kind} ${last.action.resource} -> ${last.outcome} (${last.detail})`);
    } else if (call.handler === 'validate') {
      const last = state.progress.validations[state.progress.validations.length - 1];
      if (!last) return;
      this.outcomeOf(id).validations.push({ at: last.at, recovered: last.recovered, tenantsRecovered: last.tenantsRecovered, tenantsTotal: last.tenantsTotal });
      const peak = Math.max(0, ...last.samples.map((s) => s.burnRate));
      this.line(
        id,
        `validation (${last.rule}, ${last.shortWindowMinutes}m window): ${last.tenantsRecovered}/${last.tenantsTotal} tenants recovered, highest burn rate ${peak.toFixed(1)}x vs ${last.threshold.toFixed(1)}x -> ${state.progress.decision}`,
      );
      if (state.progress.decision === 'escalate') this.line(id, 'escalating: the burn did not recover');
    } else if (call.handler === 'record' && state.forensic) {
      this.line(id, `forensic bundle: ${state.forensic.s3Uri}`);
    } else if (call.handler === 'recordFailure') {
      this.line(String((call.payload as { input?: { incidentId?: string } } | null)?.input?.incidentId ?? '?'), `failure recorded: ${JSON.stringify(result)}`);
    }
  }
}
