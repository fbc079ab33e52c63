/**
 * Ranks the evidence the collectors found as candidate causes of a burn, every kind together: infrastructure
 * events, traffic jumps, traces and error logs. Three things make evidence likely: timing (causes precede
 * symptoms, and shortly), scope (a burn on most tenants points at shared infrastructure, a burn on one tenant at
 * something that names it) and the failure mode's prior (a deployment is the usual suspect). Traces and error
 * logs are symptoms: they show where requests fail, start with the burn by nature, and so count at a weight
 * below a change that came first. Each is a factor in 0..1, so the score stays in 0..1 and weak timing cannot be
 * made up elsewhere. The best symptom from another source than the top cause is named with it, as where it
 * shows (`...; X-Ray: 91% of faults on edge api -> orders-db`).
 */
import { DomainInputError } from './burn';
import { requireEpochMs, requireText, requireWholeNumber } from './incident';
import type { CollectorResult, Correlation, EvidenceItem, EvidenceSource, FailureMode, RankedCause } from './model';
import { MINUTE_MS } from './model';

/** Evidence scoring below this is not named as the cause; the result is `unknown` instead. */
export const CORRELATION_SCORE_FLOOR = 0.1;

/** exp(-minutes / 15): 1 at onset, 0.87 two minutes before, 0.02 an hour before. */
const BEFORE_ONSET_DECAY_MINUTES = 15;
/** What happens after onset is more often an effect (a scale-out reacting to load) than the cause. */
const AFTER_ONSET_WEIGHT = 0.25;
const AFTER_ONSET_DECAY_MINUTES = 10;
/** Still going on at onset: the condition is present while the burn is, not just earlier. */
const ONGOING_FACTOR = 1.25;
/** Less than this from onset reads as "at onset". */
const AT_ONSET_MS = 30_000;
/** Traces and error logs: where requests fail, observed with the burn rather than before it. */
export const SYMPTOM_SOURCES: readonly EvidenceSource[] = ['xray', 'logs'];
/** A symptom's weight against a change at the same time and scope (it locates the failure; a change explains it). */
export const SYMPTOM_WEIGHT = 0.6;
/**
 * A symptom is seen with the burn, up to the Workbook's shortest window after the onset minute (the first failing
 * trace or log line falls in the minutes the evaluator needed to see the burn): that counts as at onset.
 */
const SYMPTOM_LAG_MS = 5 * MINUTE_MS;

/** For equal timing and scope: deployment > database-failover > capacity > cold-start. */
export const FAILURE_MODE_PRIOR: Readonly<Record<FailureMode, number>> = {
  deployment: 1,
  'database-failover': 0.85,
  capacity: 0.75,
  overload: 0.7,
  dependency: 0.65,
  'cold-start': 0.55,
  unknown: 0.3,
};

export interface CorrelationInput {
  /** When the burn started (earliest tenant's level change), epoch ms. */
  readonly onsetAt: number;
  readonly affectedTenants: readonly string[];
  /** How many tenants the SLO watches. */
  readonly sloTenantCount: number;
  readonly collectors: readonly CollectorResult[];
  readonly now: number;
}

export interface UncheckedSource {
  readonly source: EvidenceSource;
  readonly reason: string;
}

/** Evidence from another source named with the top cause: where the failure shows. */
export interface Corroboration {
  readonly source: EvidenceSource;
  readonly resource: string;
  readonly summary: string;
  readonly score: number;
  /** Why this item was chosen, for the forensic bundle. */
  readonly reason: string;
}

/** A Correlation that also says which collectors could not look, so a responder knows what was not checked. */
export interface CorrelationOutcome extends Correlation {
  readonly unavailable: readonly UncheckedSource[];
  /** The best symptom from another source than the top cause; absent when there is none worth naming. */
  readonly corroboratedBy?: Corroboration;
}

interface Factor {
  readonly value: number;
  readonly reason: string;
}

const isSymptom = (item: EvidenceItem): boolean => SYMPTOM_SOURCES.includes(item.source);

/** `2 min before onset`, `at onset`, `1 h 5 min after onset`. */
export function describeOffset(at: number, onsetAt: number): string {
  const offset = onsetAt - at;
  if (Math.abs(offset) < AT_ONSET_MS) return 'at onset';
  const minutes = Math.round(Math.abs(offset) / MINUTE_MS);
  const hours = Math.floor(minutes / 60);
  const duration = hours > 0 ? `${hours} h${minutes % 60 > 0 ? ` ${minutes % 60} min` : ''}` : `${minutes} min`;
  return `${duration} ${offset > 0 ? 'before' : 'after'} onset`;
}

function timingFactor(item: EvidenceItem, onsetAt: number, now: number): Factor {
  const offset = describeOffset(item.at, onsetAt);
  const lateMs = item.at - onsetAt;
  if (isSymptom(item) && lateMs > 0 && lateMs <= SYMPTOM_LAG_MS) {
    return { value: 1, reason: `started ${offset}, within the ${SYMPTOM_LAG_MS / MINUTE_MS} min a symptom takes to show` };
  }
  // A symptom showing later than its lag is late by what exceeds the lag.
  const minutesBefore = (onsetAt - item.at + (isSymptom(item) && lateMs > 0 ? SYMPTOM_LAG_MS : 0)) / MINUTE_MS;
  if (minutesBefore < 0) {
    const value = AFTER_ONSET_WEIGHT * Math.exp(minutesBefore / AFTER_ONSET_DECAY_MINUTES);
    return { value, reason: `started ${offset}, so more likely an effect than the cause` };
  }
  const decayed = Math.exp(-minutesBefore / BEFORE_ONSET_DECAY_MINUTES);
  const ongoing = item.endedAt === null || item.endedAt >= onsetAt;
  const started = `started ${offset}${minutesBefore > 60 ? ', too long before to be likely' : ''}`;
  if (!ongoing) {
    return { value: decayed, reason: `${started}; ended ${describeOffset(item.endedAt ?? item.at, onsetAt)}` };
  }
  const still = item.endedAt === null ? `still ongoing ${Math.round((now - item.at) / MINUTE_MS)} min after it started` : 'ongoing at onset';
  return { value: Math.min(1, decayed * ONGOING_FACTOR), reason: `${started}; ${still}` };
}

/**
 * Shared infrastructure fits a wide burn: 0.5 for a single tenant rising to 1 when every tenant burns. Evidence
 * naming tenants fits by how many burning tenants it names (recall), a little by how few others it names
 * (precision), and less the wider the burn, since one tenant's trouble rarely explains everyone's.
 */
function scopeFactor(item: EvidenceItem, affected: ReadonlySet<string>, sloTenantCount: number): Factor {
  const share = affected.size / sloTenantCount;
  const burnText = `${affected.size} of ${sloTenantCount} tenants burn`;
  if (item.tenants.length === 0) {
    return { value: 0.5 + 0.5 * share, reason: `shared infrastructure; ${burnText}` };
  }
  const named = new Set(item.tenants);
  const hits = [...named].filter((tenant) => affected.has(tenant)).length;
  const recall = hits / affected.size;
  const precision = hits / named.size;
  const value = recall * (0.75 + 0.25 * precision) * (1 - 0.5 * share);
  const others = named.size - hits;
  const reason = `names ${hits} of the ${affected.size} burning tenant(s)${others > 0 ? ` and ${others} that do not burn` : ''}; ${burnText}`;
  return { value, reason };
}

function priorFactor(mode: FailureMode): Factor {
  const prior = FAILURE_MODE_PRIOR[mode];
  return { value: 0.6 + 0.4 * prior, reason: `failure mode ${mode} (prior ${prior.toFixed(2)})` };
}

function rank(item: EvidenceItem, input: CorrelationInput, affected: ReadonlySet<string>): RankedCause {
  const timing = timingFactor(item, input.onsetAt, input.now);
  // Scope and prior shift the score within the timing's reach; 0.3 keeps a poor scope fit from zeroing a close event.
  const scope = scopeFactor(item, affected, input.sloTenantCount);
  const prior = priorFactor(item.failureMode);
  const symptom = isSymptom(item);
  const score = timing.value * (0.3 + 0.7 * scope.value) * prior.value * (symptom ? SYMPTOM_WEIGHT : 1);
  const kind = symptom
    ? [`${item.source} shows where requests fail, observed with the burn rather than before it (weight ${SYMPTOM_WEIGHT})`]
    : [];
  return { evidence: item, score, reasons: [timing.reason, scope.reason, prior.reason, ...kind, `score ${score.toFixed(2)}`] };
}

/** The best-ranked symptom from another source than the top cause, if it scores above the floor. */
function corroborationOf(ranked: readonly RankedCause[]): Corroboration | undefined {
  const top = ranked[0];
  if (top === undefined) return undefined;
  const index = ranked.findIndex((cause, i) => i > 0 && isSymptom(cause.evidence) && cause.evidence.source !== top.evidence.source);
  const found = ranked[index];
  if (found === undefined || found.score < CORRELATION_SCORE_FLOOR) return undefined;
  const { source, resource, summary } = found.evidence;
  const reason = `the best-ranked symptom from another source than the top cause (${top.evidence.source}): rank ${index + 1} of ${ranked.length}, score ${found.score.toFixed(2)}`;
  return { source, resource, summary, score: found.score, reason };
}

function compareRanked(a: RankedCause, b: RankedCause, onsetAt: number): number {
  return (
    b.score - a.score ||
    FAILURE_MODE_PRIOR[b.evidence.failureMode] - FAILURE_MODE_PRIOR[a.evidence.failureMode] ||
    Math.abs(onsetAt - a.evidence.at) - Math.abs(onsetAt - b.evidence.at) ||
    a.evidence.resource.localeCompare(b.evidence.resource)
  );
}

function requireCorrelationInput(input: CorrelationInput, affected: ReadonlySet<string>): void {
  requireEpochMs('onsetAt', input.onsetAt);
  requireEpochMs('now', input.now);
  if (!Array.isArray(input.affectedTenants) || input.affectedTenants.length === 0) {
    throw new DomainInputError('affectedTenants', 'a list of at least one tenant', input.affectedTenants);
  }
  input.affectedTenants.forEach((tenant, index) => requireText(`affectedTenants[${index}]`, tenant));
  requireWholeNumber('sloTenantCount', input.sloTenantCount, affected.size);
  input.collectors.forEach((collector, c) => {
    if (collector.status !== 'ok') return;
    collector.items.forEach((item, i) => {
      requireEpochMs(`collectors[${c}].items[${i}].at`, item.at);
      if (item.endedAt !== null) requireEpochMs(`collectors[${c}].items[${i}].endedAt`, item.endedAt);
    });
  });
}

/** Confidence is the top score scaled by how clearly it beats the runner-up: a tie halves it. */
function confidenceOf(ranked: readonly RankedCause[]): number {
  const top = ranked[0]?.score ?? 0;
  if (top <= 0) return 0;
  const second = ranked[1]?.score ?? 0;
  return top * (0.5 + 0.5 * ((top - second) / top));
}

export function correlate(input: CorrelationInput): CorrelationOutcome {
  const affected = new Set(input.affectedTenants);
  requireCorrelationInput(input, affected);
  const unavailable: UncheckedSource[] = [];
  const items: EvidenceItem[] = [];
  for (const collector of input.collectors) {
    if (collector.status === 'ok') items.push(...collector.items);
    else unavailable.push({ source: collector.source, reason: collector.reason });
  }
  const ranked = items.map((item) => rank(item, input, affected)).sort((a, b) => compareRanked(a, b, input.onsetAt));
  const top = ranked[0];
  const tenantsText = `${affected.size} of ${input.sloTenantCount} tenants`;
  if (top === undefined || top.score < CORRELATION_SCORE_FLOOR) {
    const notChecked = unavailable.map((entry) => `${entry.source} (${entry.reason})`).join(', ');
    const suspectedCause = [
      `unknown: none of ${items.length} evidence item(s) scored ${CORRELATION_SCORE_FLOOR} or more`,
      tenantsText,
      ...(notChecked ? [`not checked: ${notChecked}`] : []),
    ].join('; ');
    return { suspectedCause, failureMode: 'unknown', confidence: 0, ranked, unavailable };
  }
  const corroboratedBy = corroborationOf(ranked);
  const suspectedCause = [
    `${top.evidence.summary} ${describeOffset(top.evidence.at, input.onsetAt)}`,
    tenantsText,
    ...(corroboratedBy === undefined ? [] : [corroboratedBy.summary]),
  ].join('; ');
  return {
    suspectedCause,
    failureMode: top.evidence.failureMode,
    confidence: confidenceOf(ranked),
    ranked,
    unavailable,
    ...(corroboratedBy === undefined ? {} : { corroboratedBy }),
  };
}
