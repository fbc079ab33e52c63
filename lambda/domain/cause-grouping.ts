/**
 * Grouping by a cause found after the fact. When a burn starts, the evaluator knows only when and where it burns,
 * so it groups by time and by tenant share; the cause is found later by the incident workflow. When that cause is a
 * resource (a deployment, a database instance, an Auto Scaling group) that an earlier open incident of the same SLO
 * already suspects, the newer incident merges into the earlier one: one incident per cause, one page.
 *
 * Pure: the use case reads the incidents and writes the transitions (absorbIncident, closeAsMerged in incident.ts).
 */
import { DomainInputError } from './burn';
import {
  FOLLOWS_STEP,
  LINK_SEPARATOR,
  MERGED_INTO_STEP,
  SUSPECTED_RESOURCE_STEP,
  TENANT_MOVED_STEP,
  linkedIncident,
  requireEpochMs,
  requireText,
  appendTimeline,
} from './incident';
import type { Correlation, Incident } from './model';
import { MINUTE_MS } from './model';

/**
 * How far back (in grouping intervals) an earlier incident may have last changed and still absorb a newer one: 12
 * intervals is an hour at the default 5 minutes. A cause still spreading joins; an incident quiet for longer than
 * that is a different event, even on the same resource (a second bad deployment of the same group, say).
 */
export const CAUSE_LOOKBACK_INTERVALS = 12;
/** Earlier incidents read while looking for one with the same suspected resource. */
export const MAX_CAUSE_CANDIDATES = 10;

/** The resource the incident's correlation suspects, as recorded on its timeline; null before analysis or for `unknown`. */
export function suspectedResourceOf(incident: Pick<Incident, 'timeline'>): string | null {
  for (let i = incident.timeline.length - 1; i >= 0; i -= 1) {
    const entry = incident.timeline[i];
    if (entry?.step === SUSPECTED_RESOURCE_STEP) return entry.detail;
  }
  return null;
}

/** The incident this one was merged into, or null. */
export function mergedIntoOf(incident: Pick<Incident, 'timeline'>): string | null {
  return linkedIncident(incident, MERGED_INTO_STEP);
}

/** The incident the SLO's pointer named when this one opened, or null. */
export function previousIncidentOf(incident: Pick<Incident, 'timeline'>): string | null {
  return linkedIncident(incident, FOLLOWS_STEP);
}

/**
 * Where a tenant of this incident is answered for now, when not here: the survivor of a merge, or the shared incident
 * the tenant moved to. Null when this incident still answers for it. The evaluator follows these links so a tenant's
 * recovery closes the incident it belongs to, whatever incident its stored state still names.
 */
export function successorFor(incident: Incident, tenant: string): string | null {
  const merged = mergedIntoOf(incident);
  if (merged !== null) return merged;
  const entry = incident.tenants.find((member) => member.tenant === tenant);
  if (entry === undefined || entry.recoveredAt === null) return null;
  for (let i = incident.timeline.length - 1; i >= 0; i -= 1) {
    const moved = incident.timeline[i];
    if (moved?.step !== TENANT_MOVED_STEP) continue;
    const cut = moved.detail.indexOf(LINK_SEPARATOR);
    if (cut > 0 && moved.detail.startsWith(`${tenant} moved there`, cut + LINK_SEPARATOR.length)) return moved.detail.slice(0, cut);
  }
  return null;
}

/** The top-ranked evidence's resource; null when the correlation found no cause (`unknown`), since nothing is shared then. */
export function causeResourceOf(correlation: Pick<Correlation, 'failureMode' | 'ranked'>): string | null {
  if (correlation.failureMode === 'unknown') return null;
  const resource = correlation.ranked[0]?.evidence.resource;
  return resource !== undefined && resource.length > 0 ? resource : null;
}

/** Notes the suspected resource on the incident (once per change of resource), so later incidents can match it. */
export function recordSuspectedResource(incident: Incident, resource: string, now: number): Incident {
  requireText('resource', resource);
  if (suspectedResourceOf(incident) === resource) return incident;
  return appendTimeline(incident, now, SUSPECTED_RESOURCE_STEP, resource);
}

export interface CauseGroupingInput {
  /** The incident the workflow just analysed. */
  readonly incident: Incident;
  /** Its suspected resource (causeResourceOf), null when no cause was found. */
  readonly resource: string | null;
  /** Earlier incidents of the SLO as read (any status, any order); the incident itself is ignored if listed. */
  readonly earlier: readonly Incident[];
  readonly groupingIntervalMinutes: number;
  /** @default CAUSE_LOOKBACK_INTERVALS */
  readonly lookbackIntervals?: number;
}

export type CauseGroupingDecision =
  | { readonly action: 'merge'; readonly into: string; readonly resource: string; readonly reason: string }
  | { readonly action: 'keep'; readonly reason: string };

/** The latest moment the incident changed its tenants: its opening or its last join. */
function lastActivity(incident: Incident): number {
  return incident.tenants.reduce((latest, entry) => Math.max(latest, entry.joinedAt), incident.openedAt);
}

function requireCauseGroupingInput(input: CauseGroupingInput): number {
  if (!(Number.isFinite(input.groupingIntervalMinutes) && input.groupingIntervalMinutes >= 0)) {
    throw new DomainInputError('groupingIntervalMinutes', 'a finite number of minutes, 0 or more', input.groupingIntervalMinutes);
  }
  const intervals = input.lookbackIntervals ?? CAUSE_LOOKBACK_INTERVALS;
  if (!(Number.isFinite(intervals) && intervals >= 1)) {
    throw new DomainInputError('lookbackIntervals', 'a finite number of grouping intervals, 1 or more', intervals);
  }
  if (input.resource !== null) requireText('resource', input.resource);
  requireEpochMs('incident.openedAt', input.incident.openedAt);
  if (!Array.isArray(input.earlier)) throw new DomainInputError('earlier', 'a list of incidents', input.earlier);
  return intervals;
}

/**
 * Whether the analysed incident merges into an earlier open incident of its SLO that suspects the same resource.
 * The earliest such incident wins, so every incident of one cause ends in the same one. Grouping only decides where
 * a burn is recorded; whether each tenant burns was decided by its own thresholds.
 */
export function causeGroupingDecision(input: CauseGroupingInput): CauseGroupingDecision {
  const intervals = requireCauseGroupingInput(input);
  const { incident, resource } = input;
  if (resource === null) return { action: 'keep', reason: 'no resource is suspected, so no cause is shared' };
  if (incident.status === 'resolved') return { action: 'keep', reason: `incident ${incident.id} is closed already` };
  const lookbackMinutes = intervals * input.groupingIntervalMinutes;
  const since = incident.openedAt - lookbackMinutes * MINUTE_MS;
  const matches = input.earlier
    .filter(
      (other) =>
        other.id !== incident.id &&
        other.slo === incident.slo &&
        other.status !== 'resolved' &&
        other.openedAt <= incident.openedAt &&
        suspectedResourceOf(other) === resource &&
        lastActivity(other) >= since,
    )
    .sort((a, b) => a.openedAt - b.openedAt || a.id.localeCompare(b.id));
  const into = matches[0];
  if (into === undefined) {
    return { action: 'keep', reason: `no open incident of ${incident.slo} changed in the last ${lookbackMinutes} min suspects ${resource}` };
  }
  const minutes = Math.round((incident.openedAt - into.openedAt) / MINUTE_MS);
  return { action: 'merge', into: into.id, resource, reason: `incident ${into.id}, opened ${minutes} min earlier and still open, suspects the same ${resource}` };
}
