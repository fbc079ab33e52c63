/**
 * Incident transitions. An incident belongs to one SLO and has one or more tenants from the start: burns that
 * share a cause are grouped into one incident, while whether a tenant burns stays a per-tenant decision made by
 * the alert rules. Every transition returns a new Incident with `version + 1` (optimistic concurrency), or the
 * same object when nothing changed, so a retried call does not cause a pointless write.
 */
import { createHash } from 'node:crypto';
import { DomainInputError } from './burn';
import type { Incident, IncidentTenant, Severity, TimelineEntry } from './model';
import { LEVEL_RANK, MINUTE_MS } from './model';

/** A transition that the incident's current status does not allow, e.g. joining a resolved incident. */
export class IncidentStateError extends Error {
  constructor(
    readonly incidentId: string,
    message: string,
  ) {
    super(`incident ${incidentId}: ${message}`);
    this.name = 'IncidentStateError';
  }
}

/** Step Functions execution names: 1..80 of these characters (the strictest rule, the one Express and logging use). */
export const EXECUTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

const SLUG_MAX_CHARS = 40;
const HASH_HEX_CHARS = 8;
const LATEST_EPOCH_MS = 8.64e15;
const NAMES_LISTED_IN_TIMELINE = 10;

// --- shared input checks (also used by correlation, mitigation and guards) -------------------------------

/** An epoch-millisecond instant a Date can hold. */
export function requireEpochMs(field: string, value: number): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= LATEST_EPOCH_MS)) {
    throw new DomainInputError(field, 'epoch milliseconds (a finite number from 0 to 8.64e15)', value);
  }
}

export function requireText(field: string, value: string): void {
  if (!(typeof value === 'string' && value.length > 0)) {
    throw new DomainInputError(field, 'a non-empty string', value);
  }
}

export function requireWholeNumber(field: string, value: number, min: number): void {
  if (!(Number.isSafeInteger(value) && value >= min)) {
    throw new DomainInputError(field, `a whole number of at least ${min}`, value);
  }
}

export function requireFinite(field: string, value: number): void {
  if (!(typeof value === 'number' && Number.isFinite(value))) {
    throw new DomainInputError(field, 'a finite number', value);
  }
}

// --- identity --------------------------------------------------------------------------------------------

/** Lowercase ASCII letters, digits and single dashes; accents are dropped rather than the whole letter. */
function slugOf(text: string): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, SLUG_MAX_CHARS)
    .replace(/-+$/, '');
  return slug.length > 0 ? slug : 'slo';
}

/**
 * `<slo-slug>-<yyyymmddThhmm>-<8 hex>`: readable, at most 63 characters of [a-z0-9T-], so it is a valid Step
 * Functions execution name and S3 key segment whatever the SLO and tenant names contain. The hash keeps two
 * incidents of one SLO opened in the same minute for different tenants apart, and makes the id deterministic so a
 * retried open creates the same incident.
 */
export function incidentIdFor(slo: string, openedAt: number, firstTenant: string): string {
  requireText('slo', slo);
  requireEpochMs('openedAt', openedAt);
  requireText('firstTenant', firstTenant);
  const minute = new Date(openedAt).toISOString().slice(0, 16).replace(/[-:]/g, '');
  const hash = createHash('sha256')
    .update(JSON.stringify([slo, openedAt, firstTenant]))
    .digest('hex')
    .slice(0, HASH_HEX_CHARS);
  return `${slugOf(slo)}-${minute}-${hash}`;
}

/**
 * The workflow execution name: the incident id for the first attempt, `<id>-a<n>` for a restart (StartExecution is
 * idempotent by name, so a restart needs a new one).
 */
export function executionNameFor(incident: Pick<Incident, 'id'>, attempt = 1): string {
  requireWholeNumber('attempt', attempt, 1);
  const name = attempt === 1 ? incident.id : `${incident.id}-a${attempt}`;
  if (!EXECUTION_NAME_PATTERN.test(name)) {
    throw new DomainInputError(
      'incident.id',
      'an id from incidentIdFor (with the attempt suffix at most 80 characters of A-Z, a-z, 0-9, - and _)',
      incident.id,
    );
  }
  return name;
}

// --- transitions -----------------------------------------------------------------------------------------

/** A tenant whose alert rules fire, as the evaluator saw it when it opened or joined the incident. */
export interface BurningTenant {
  readonly tenant: string;
  readonly level: Severity;
  readonly burnRates: Readonly<Record<string, number>>;
  readonly budgetRemaining: number;
}

export interface OpenIncidentInput {
  readonly slo: string;
  readonly severity: Severity;
  /** At least one; the first one names the incident. */
  readonly tenants: readonly BurningTenant[];
  readonly now: number;
}

function requireSeverity(field: string, value: Severity): void {
  if (value !== 'page' && value !== 'ticket') throw new DomainInputError(field, '"page" or "ticket"', value);
}

function requireBurningTenants(tenants: readonly BurningTenant[]): void {
  if (!Array.isArray(tenants) || tenants.length === 0) {
    throw new DomainInputError('tenants', 'a list of at least one burning tenant', tenants);
  }
  tenants.forEach((entry, index) => {
    requireText(`tenants[${index}].tenant`, entry.tenant);
    requireSeverity(`tenants[${index}].level`, entry.level);
    requireFinite(`tenants[${index}].budgetRemaining`, entry.budgetRemaining);
  });
}

function higherSeverity(a: Severity, b: Severity): Severity {
  return LEVEL_RANK[a] >= LEVEL_RANK[b] ? a : b;
}

function listNames(names: readonly string[]): string {
  const listed = names.slice(0, NAMES_LISTED_IN_TIMELINE).join(', ');
  const more = names.length - NAMES_LISTED_IN_TIMELINE;
  return more > 0 ? `${listed} and ${more} more` : listed;
}

interface Merge {
  readonly tenants: IncidentTenant[];
  readonly entries: TimelineEntry[];
}

/**
 * Adds burning tenants: a new one joins; a recovered one burns again (keeping its first join, so its budget lost
 * covers the whole incident); a burning one only changes when its level rises. Anything else is a repeat.
 */
function mergeTenants(current: readonly IncidentTenant[], incoming: readonly BurningTenant[], now: number): Merge {
  const tenants = [...current];
  const entries: TimelineEntry[] = [];
  const joined: string[] = [];
  for (const entry of incoming) {
    const index = tenants.findIndex((existing) => existing.tenant === entry.tenant);
    const existing = index >= 0 ? tenants[index] : undefined;
    if (existing === undefined) {
      tenants.push({
        tenant: entry.tenant,
        joinedAt: now,
        level: entry.level,
        burnRates: { ...entry.burnRates },
        budgetRemainingAtJoin: entry.budgetRemaining,
        recoveredAt: null,
        budgetLost: null,
      });
      joined.push(entry.tenant);
    } else if (existing.recoveredAt !== null) {
      tenants[index] = { ...existing, level: entry.level, burnRates: { ...entry.burnRates }, recoveredAt: null, budgetLost: null };
      entries.push({ at: now, step: 'tenant-burning-again', detail: `${entry.tenant} burns again at ${entry.level}` });
    } else if (LEVEL_RANK[entry.level] > LEVEL_RANK[existing.level]) {
      tenants[index] = { ...existing, level: entry.level, burnRates: { ...entry.burnRates } };
      entries.push({ at: now, step: 'tenant-escalated', detail: `${entry.tenant} escalated to ${entry.level}` });
    }
  }
  if (joined.length > 0) {
    entries.unshift({ at: now, step: 'tenants-joined', detail: `${joined.length} joined: ${listNames(joined)}` });
  }
  return { tenants, entries };
}

function nextVersion(incident: Incident, changes: Partial<Incident>, entries: readonly TimelineEntry[]): Incident {
  return { ...incident, ...changes, timeline: [...incident.timeline, ...entries], version: incident.version + 1 };
}

function severityOf(base: Severity, tenants: readonly IncidentTenant[]): Severity {
  return tenants.reduce<Severity>((severity, entry) => higherSeverity(severity, entry.level), base);
}

export function openIncident(input: OpenIncidentInput): Incident {
  requireText('slo', input.slo);
  requireSeverity('severity', input.severity);
  requireEpochMs('now', input.now);
  requireBurningTenants(input.tenants);
  const [first] = input.tenants as [BurningTenant, ...BurningTenant[]];
  const merged = mergeTenants([], input.tenants, input.now);
  const severity = severityOf(input.severity, merged.tenants);
  const names = merged.tenants.map((entry) => entry.tenant);
  return {
    id: incidentIdFor(input.slo, input.now, first.tenant),
    slo: input.slo,
    severity,
    status: 'open',
    openedAt: input.now,
    resolvedAt: null,
    tenants: merged.tenants,
    executionArn: null,
    suspectedCause: null,
    failureMode: null,
    forensicUri: null,
    timeline: [{ at: input.now, step: 'opened', detail: `${severity} for ${names.length} tenant(s): ${listNames(names)}` }],
    version: 1,
  };
}

/** Idempotent: tenants already burning in the incident at the same or a higher level change nothing. */
export function joinIncident(incident: Incident, tenants: readonly BurningTenant[], now: number): Incident {
  requireEpochMs('now', now);
  requireBurningTenants(tenants);
  if (incident.status === 'resolved') {
    throw new IncidentStateError(incident.id, 'is resolved; a new burn opens a new incident instead of joining it');
  }
  const merged = mergeTenants(incident.tenants, tenants, now);
  if (merged.entries.length === 0) return incident;
  const severity = severityOf(incident.severity, merged.tenants);
  const entries =
    severity !== incident.severity
      ? [...merged.entries, { at: now, step: 'severity-raised', detail: `severity raised from ${incident.severity} to ${severity}` }]
      : merged.entries;
  return nextVersion(incident, { tenants: merged.tenants, severity }, entries);
}

function describeShare(share: number): string {
  return `${(share * 100).toFixed(2)}%`;
}

/**
 * Marks a tenant recovered. The budget it lost is what it had at join minus what it has now; the rolling period can
 * return budget while a burn lasts, so a negative difference is reported as no loss rather than a gain.
 */
export function recoverTenant(incident: Incident, tenant: string, now: number, budgetRemainingNow: number): Incident {
  requireText('tenant', tenant);
  requireEpochMs('now', now);
  requireFinite('budgetRemainingNow', budgetRemainingNow);
  const index = incident.tenants.findIndex((entry) => entry.tenant === tenant);
  const existing = incident.tenants[index];
  if (existing === undefined) {
    throw new DomainInputError('tenant', `one of the tenants of incident ${incident.id}`, tenant);
  }
  if (existing.recoveredAt !== null) return incident;
  const budgetLost = Math.max(0, existing.budgetRemainingAtJoin - budgetRemainingNow);
  const tenants = [...incident.tenants];
  tenants[index] = { ...existing, recoveredAt: now, budgetLost };
  const burned = Math.round((now - existing.joinedAt) / MINUTE_MS);
  const detail = `${tenant} recovered after ${burned} min; lost ${describeShare(budgetLost)} of the period's budget`;
  return nextVersion(incident, { tenants }, [{ at: now, step: 'tenant-recovered', detail }]);
}

/** Resolves the incident once its last tenant has recovered; while any tenant still burns it stays as it is. */
export function resolveIfAllRecovered(incident: Incident, now: number): Incident {
  requireEpochMs('now', now);
  if (incident.status === 'resolved') return incident;
  if (incident.tenants.some((entry) => entry.recoveredAt === null)) return incident;
  const minutes = Math.round((now - incident.openedAt) / MINUTE_MS);
  const detail = `all ${incident.tenants.length} tenant(s) recovered; open for ${minutes} min`;
  return nextVersion(incident, { status: 'resolved', resolvedAt: now }, [{ at: now, step: 'resolved', detail }]);
}

export function appendTimeline(incident: Incident, at: number, step: string, detail: string): Incident {
  requireEpochMs('at', at);
  requireText('step', step);
  if (typeof detail !== 'string') throw new DomainInputError('detail', 'a string', detail);
  return nextVersion(incident, {}, [{ at, step, detail }]);
}

// --- grouping --------------------------------------------------------------------------------------------

export interface GroupingInput {
  /** The SLO's open-incident pointer, or null when none is open. */
  readonly pointer: { readonly incidentId: string; readonly openedAt: number } | null;
  /** The incident the pointer names, as read from the store (null when it was not found). */
  readonly openIncident: Incident | null;
  /** Tenants whose alert rules started firing on this SLO (their own per-tenant decision). */
  readonly newlyBurning: readonly string[];
  /** How many tenants the SLO watches. */
  readonly sloTenantCount: number;
  readonly now: number;
  readonly groupingIntervalMinutes: number;
  /** 0..1 */
  readonly groupingTenantShare: number;
  /** Resources suspected for the new tenants' burn (ARNs or names). */
  readonly sharedCauseResources?: readonly string[];
  /**
   * Resources the open incident's correlation suspects. When absent, a resource counts as the incident's when its
   * `suspectedCause` names it (the Incident record keeps the cause as text only).
   */
  readonly incidentCauseResources?: readonly string[];
}

export type GroupingDecision =
  | { readonly action: 'join'; readonly incidentId: string; readonly reason: string }
  | { readonly action: 'open'; readonly reason: string };

function causeTokens(text: string | null): Set<string> {
  return new Set((text ?? '').split(/[\s;,()]+/).filter((token) => token.length > 0));
}

function requireGroupingInput(input: GroupingInput): void {
  requireEpochMs('now', input.now);
  requireWholeNumber('sloTenantCount', input.sloTenantCount, 1);
  if (!(Number.isFinite(input.groupingIntervalMinutes) && input.groupingIntervalMinutes >= 0)) {
    throw new DomainInputError('groupingIntervalMinutes', 'a finite number of minutes, 0 or more', input.groupingIntervalMinutes);
  }
  if (!(input.groupingTenantShare >= 0 && input.groupingTenantShare <= 1)) {
    throw new DomainInputError('groupingTenantShare', 'a share from 0 to 1', input.groupingTenantShare);
  }
  if (!Array.isArray(input.newlyBurning) || input.newlyBurning.length === 0) {
    throw new DomainInputError('newlyBurning', 'a list of at least one tenant', input.newlyBurning);
  }
  input.newlyBurning.forEach((tenant, index) => requireText(`newlyBurning[${index}]`, tenant));
}

/**
 * Whether newly burning tenants join the SLO's open incident or open a new one. Grouping only decides where a burn
 * is recorded; whether a tenant burns at all was already decided by its own thresholds.
 */
export function groupingDecision(input: GroupingInput): GroupingDecision {
  requireGroupingInput(input);
  const { pointer, openIncident: incident } = input;
  if (pointer === null) return { action: 'open', reason: 'no incident is open for this SLO' };
  if (incident === null) {
    return { action: 'open', reason: `the open-incident pointer names ${pointer.incidentId}, which was not found` };
  }
  if (incident.id !== pointer.incidentId) {
    throw new DomainInputError('openIncident.id', `the incident the pointer names (${pointer.incidentId})`, incident.id);
  }
  if (incident.status === 'resolved') return { action: 'open', reason: `incident ${incident.id} is resolved` };

  const ageMinutes = (input.now - pointer.openedAt) / MINUTE_MS;
  if (ageMinutes <= input.groupingIntervalMinutes) {
    const reason = `incident opened ${Math.round(ageMinutes)} min ago, within the ${input.groupingIntervalMinutes} min grouping interval`;
    return { action: 'join', incidentId: incident.id, reason };
  }

  const burning = new Set(incident.tenants.filter((entry) => entry.recoveredAt === null).map((entry) => entry.tenant));
  input.newlyBurning.forEach((tenant) => burning.add(tenant));
  const share = burning.size / input.sloTenantCount;
  const shareText = `${burning.size} of ${input.sloTenantCount} tenants burn`;
  const limitText = `${Math.round(input.groupingTenantShare * 100)}% grouping share`;
  // A wide burn joins only while the incident is still spreading (its last tenant joined within the interval):
  // a failover reaching tenant after tenant stays one incident, an unrelated incident from an hour ago absorbs nothing.
  const lastJoin = incident.tenants.reduce((latest, entry) => Math.max(latest, entry.joinedAt), pointer.openedAt);
  const spreading = (input.now - lastJoin) / MINUTE_MS <= input.groupingIntervalMinutes;
  if (share > input.groupingTenantShare && spreading) {
    return { action: 'join', incidentId: incident.id, reason: `${shareText}, more than the ${limitText}, and it is still spreading` };
  }

  const incidentCauses = input.incidentCauseResources
    ? new Set(input.incidentCauseResources)
    : causeTokens(incident.suspectedCause);
  const shared = (input.sharedCauseResources ?? []).find((resource) => incidentCauses.has(resource));
  if (shared !== undefined) {
    return { action: 'join', incidentId: incident.id, reason: `the new burn shares the suspected cause ${shared}` };
  }
  const reason = `incident ${incident.id} opened ${Math.round(ageMinutes)} min ago (interval ${input.groupingIntervalMinutes} min), ${shareText} (not more than the ${limitText}) and no suspected cause is shared`;
  return { action: 'open', reason };
}

// --- resolution summary ----------------------------------------------------------------------------------

export interface TenantResolution {
  readonly tenant: string;
  readonly level: Severity;
  readonly joinedAt: number;
  readonly recoveredAt: number | null;
  /** From joining to recovery; null while it still burns. */
  readonly burnedMinutes: number | null;
  /** Share of the period's budget; null while it still burns. */
  readonly budgetLost: number | null;
}

export interface ResolutionSummary {
  readonly incidentId: string;
  readonly slo: string;
  readonly severity: Severity;
  readonly openedAt: number;
  readonly resolvedAt: number | null;
  /** From opening to resolution; null while the incident is not resolved. */
  readonly durationMinutes: number | null;
  readonly tenants: readonly TenantResolution[];
  /** Tenants that have not recovered (empty once resolved). */
  readonly stillBurning: readonly string[];
}

export function summariseResolution(incident: Incident): ResolutionSummary {
  const tenants = incident.tenants.map(
    (entry): TenantResolution => ({
      tenant: entry.tenant,
      level: entry.level,
      joinedAt: entry.joinedAt,
      recoveredAt: entry.recoveredAt,
      burnedMinutes: entry.recoveredAt === null ? null : (entry.recoveredAt - entry.joinedAt) / MINUTE_MS,
      budgetLost: entry.budgetLost,
    }),
  );
  return {
    incidentId: incident.id,
    slo: incident.slo,
    severity: incident.severity,
    openedAt: incident.openedAt,
    resolvedAt: incident.resolvedAt,
    durationMinutes: incident.resolvedAt === null ? null : (incident.resolvedAt - incident.openedAt) / MINUTE_MS,
    tenants,
    stillBurning: tenants.filter((entry) => entry.recoveredAt === null).map((entry) => entry.tenant),
  };
}
