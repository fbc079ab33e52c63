/**
 * Reads and changes the incident item for the workflow's steps. The evaluator writes the same item (tenants
 * joining, recovering), so every change is a conditional write on the version read: on a conflict the step
 * re-reads and applies its change again to the newer incident, a bounded number of times.
 */
import { appendTimeline } from '../../domain/incident';
import type { Incident } from '../../domain/model';
import type { StateStore } from '../../ports';

/** Conditional writes tried before giving up. */
export const MAX_INCIDENT_WRITE_ATTEMPTS = 5;
/** Timeline details are cut to this length: the incident item must stay well under DynamoDB's 400 KB. */
export const MAX_TIMELINE_DETAIL = 500;

export class IncidentNotFoundError extends Error {
  constructor(readonly incidentId: string) {
    super(`incident ${incidentId} was not found in the state table; the workflow needs the incident the evaluator opened`);
    this.name = 'IncidentNotFoundError';
  }
}

export class IncidentWriteConflictError extends Error {
  constructor(
    readonly incidentId: string,
    readonly attempts: number,
  ) {
    super(`incident ${incidentId} changed under every one of ${attempts} conditional writes; giving up`);
    this.name = 'IncidentWriteConflictError';
  }
}

export async function readIncident(store: StateStore, incidentId: string): Promise<Incident> {
  const incident = await store.getIncident(incidentId);
  if (incident === null) throw new IncidentNotFoundError(incidentId);
  return incident;
}

/** `[step, detail]` pairs appended in order, all at `at`. */
export type TimelineEntries = readonly (readonly [string, string])[];

export function withTimeline(incident: Incident, at: number, entries: TimelineEntries): Incident {
  return entries.reduce((current, [step, detail]) => appendTimeline(current, at, step, cut(detail)), incident);
}

function cut(detail: string): string {
  return detail.length <= MAX_TIMELINE_DETAIL ? detail : `${detail.slice(0, MAX_TIMELINE_DETAIL - 3)}...`;
}

/**
 * Applies `change` to the stored incident and writes it conditionally; `change` returns the same object when
 * there is nothing to write. However many domain steps `change` chains, the stored version moves by one.
 */
export async function changeIncident(
  store: StateStore,
  incidentId: string,
  change: (current: Incident) => Incident,
): Promise<Incident> {
  for (let attempt = 1; attempt <= MAX_INCIDENT_WRITE_ATTEMPTS; attempt += 1) {
    const current = await readIncident(store, incidentId);
    const changed = change(current);
    if (changed === current) return current;
    const next: Incident = { ...changed, version: current.version + 1 };
    if ((await store.updateIncident(next, current.version)) === 'written') return next;
  }
  throw new IncidentWriteConflictError(incidentId, MAX_INCIDENT_WRITE_ATTEMPTS);
}

/** Appends timeline entries (the most common change). */
export function recordOnTimeline(store: StateStore, incidentId: string, at: number, entries: TimelineEntries): Promise<Incident> {
  return changeIncident(store, incidentId, (incident) => withTimeline(incident, at, entries));
}
