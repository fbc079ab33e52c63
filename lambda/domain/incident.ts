/**
 * Incident transitions. An incident belongs to one SLO and has one or more tenants from the start: burns that
 * share a cause are grouped into one incident, while whether a tenant burns stays a per-tenant decision made by
 * the alert rules. Every transition returns a new Incident with `version + 1` (optimistic concurrency), or the
 * same object when nothing changed, so a retried call does not cause a pointless write.
 */
import { createHash } from 'node:crypto';
import { DomainInputError } from './burn';
import type { AlertLevel, Incident, IncidentTenant, Severity, TimelineEntry } from './model';
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

/**
 * Timeline steps that link incidents. The Incident record has no field for them, so the link is the entry's
 * detail up to LINK_SEPARATOR (incident ids never contain it); the rest of the detail is for people.
 */
export const FOLLOWS_STEP = 'follows';
export const MERGED_INTO_STEP = 'merged-into';
export const INCIDENT_MERGED_STEP = 'incident-merged';
export const TENANT_MOVED_STEP = 'tenant-moved';
export const SUSPECTED_RESOURCE_STEP = 'suspected-resource';
export const LINK_SEPARATOR = ': ';

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
  /**
   * The incident the SLO's open-incident pointer named when this one opened (open or not). Recorded as a `follows`
   * timeline entry so the workflow can walk back to earlier incidents when it finds a shared cause after the fact.
   */
  readonly previousIncidentId?: string | null;
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
  const previous = input.previousIncidentId ?? null;
  if (previous !== null) requireText('previousIncidentId', previous);
  const opened: TimelineEntry = { at: input.now, step: 'opened', detail: `${severity} for ${names.length} tenant(s): ${listNames(names)}` };
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
    timeline: previous === null ? [opened] : [opened, { at: input.now, step: FOLLOWS_STEP, detail: `${previous}${LINK_SEPARATOR}the SLO's previous incident` }],
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

/** The tenant's entry, or a DomainInputError naming the incident's tenants. */
function memberOf(incident: Incident, tenant: string): { index: number; entry: IncidentTenant } {
  const index = incident.tenants.findIndex((entry) => entry.tenant === tenant);
  const entry = incident.tenants[index];
  if (entry === undefined) throw new DomainInputError('tenant', `one of the tenants of incident ${incident.id}`, tenant);
  return { index, entry };
}

/**
 * Ends a tenant's burn in this incident. The budget it lost is what it had at join minus what it has now; the rolling
 * period can return budget while a burn lasts, so a negative difference is reported as no loss rather than a gain.
 */
function endTenantBurn(incident: Incident, tenant: string, now: number, budgetRemainingNow: number, describe: (burnedMinutes: number, lost: string) => TimelineEntry): Incident {
  requireText('tenant', tenant);
  requireEpochMs('now', now);
  requireFinite('budgetRemainingNow', budgetRemainingNow);
  const { index, entry: existing } = memberOf(incident, tenant);
  if (existing.recoveredAt !== null) return incident;
  const budgetLost = Math.max(0, existing.budgetRemainingAtJoin - budgetRemainingNow);
  const tenants = [...incident.tenants];
  tenants[index] = { ...existing, recoveredAt: now, budgetLost };
  const burned = Math.round((now - existing.joinedAt) / MINUTE_MS);
  return nextVersion(incident, { tenants }, [describe(burned, describeShare(budgetLost))]);
}

/** Marks a tenant recovered (see endTenantBurn for the budget it lost). */
export function recoverTenant(incident: Incident, tenant: string, now: number, budgetRemainingNow: number): Incident {
  return endTenantBurn(incident, tenant, now, budgetRemainingNow, (burned, lost) => ({
    at: now,
    step: 'tenant-recovered',
    detail: `${tenant} recovered after ${burned} min; lost ${lost} of the period's budget`,
  }));
}

/**
 * A tenant still burning leaves this incident for `targetId` (a shared incident it belongs to now). Its entry keeps
 * the budget it lost here, with `recoveredAt` as the time it left, so this incident resolves when its last tenant
 * has recovered or left, and the budget lost is never counted twice (the target counts from the move).
 */
export function moveTenantOut(incident: Incident, tenant: string, targetId: string, now: number, budgetRemainingNow: number): Incident {
  requireText('targetId', targetId);
  if (targetId === incident.id) throw new DomainInputError('targetId', `an incident other than ${incident.id}`, targetId);
  return endTenantBurn(incident, tenant, now, budgetRemainingNow, (burned, lost) => ({
    at: now,
    step: TENANT_MOVED_STEP,
    detail: `${targetId}${LINK_SEPARATOR}${tenant} moved there after ${burned} min here; lost ${lost} of the period's budget here`,
  }));
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

// --- merging (a cause found after the fact) ---------------------------------------------------------------

/** The incident a link entry of `step` names (the newest one), or null. */
export function linkedIncident(incident: Pick<Incident, 'timeline'>, step: string): string | null {
  for (let i = incident.timeline.length - 1; i >= 0; i -= 1) {
    const entry = incident.timeline[i];
    if (entry?.step === step) {
      const cut = entry.detail.indexOf(LINK_SEPARATOR);
      return cut > 0 ? entry.detail.slice(0, cut) : entry.detail;
    }
  }
  return null;
}

export interface Absorbed {
  readonly incident: Incident;
  /** Tenants that were not in the survivor before (the ones an `escalated` alert names). */
  readonly joined: readonly string[];
}

/**
 * The survivor takes over every tenant of `merged` with the figures it had there (join time, budget at join,
 * recovery), so its resolution summary covers the whole burn. A tenant already in the survivor keeps its earlier
 * entry: burning again if it had recovered there, a higher level if it rose. Idempotent: absorbing the same
 * incident again (a retried write) changes only what changed in `merged` since.
 */
export function absorbIncident(survivor: Incident, merged: Incident, resource: string, now: number): Absorbed {
  requireEpochMs('now', now);
  requireText('resource', resource);
  if (survivor.status === 'resolved') throw new IncidentStateError(survivor.id, `is resolved; ${merged.id} cannot merge into it`);
  if (merged.id === survivor.id) throw new DomainInputError('merged.id', `an incident other than ${survivor.id}`, merged.id);
  if (merged.slo !== survivor.slo) throw new DomainInputError('merged.slo', `the survivor's SLO (${survivor.slo})`, merged.slo);
  const tenants = [...survivor.tenants];
  const entries: TimelineEntry[] = [];
  const joined: string[] = [];
  for (const moving of merged.tenants) {
    const index = tenants.findIndex((existing) => existing.tenant === moving.tenant);
    const existing = index >= 0 ? tenants[index] : undefined;
    if (existing === undefined) {
      tenants.push({ ...moving, burnRates: { ...moving.burnRates } });
      joined.push(moving.tenant);
    } else if (existing.joinedAt === moving.joinedAt && existing.budgetRemainingAtJoin === moving.budgetRemainingAtJoin) {
      // Copied by an earlier absorb of the same incident: follow what happened to it there since (a recovery).
      const synced: IncidentTenant = { ...existing, level: moving.level, recoveredAt: moving.recoveredAt, budgetLost: moving.budgetLost };
      if (synced.recoveredAt !== existing.recoveredAt || synced.level !== existing.level) tenants[index] = synced;
    } else if (moving.recoveredAt === null && existing.recoveredAt !== null) {
      tenants[index] = { ...existing, level: moving.level, burnRates: { ...moving.burnRates }, recoveredAt: null, budgetLost: null };
      entries.push({ at: now, step: 'tenant-burning-again', detail: `${moving.tenant} burns again at ${moving.level} (from ${merged.id})` });
    } else if (moving.recoveredAt === null && LEVEL_RANK[moving.level] > LEVEL_RANK[existing.level]) {
      tenants[index] = { ...existing, level: moving.level, burnRates: { ...moving.burnRates } };
      entries.push({ at: now, step: 'tenant-escalated', detail: `${moving.tenant} escalated to ${moving.level} (from ${merged.id})` });
    }
  }
  const alreadyLinked = survivor.timeline.some((entry) => entry.step === INCIDENT_MERGED_STEP && entry.detail.startsWith(`${merged.id}${LINK_SEPARATOR}`));
  const changed = entries.length > 0 || joined.length > 0 || tenants.some((entry, i) => entry !== survivor.tenants[i]);
  if (alreadyLinked && !changed) return { incident: survivor, joined };
  if (!alreadyLinked) {
    const who = joined.length > 0 ? `${joined.length} tenant(s) joined: ${listNames(joined)}` : 'no new tenants';
    entries.unshift({ at: now, step: INCIDENT_MERGED_STEP, detail: `${merged.id}${LINK_SEPARATOR}merged in, sharing the suspected cause ${resource}; ${who}` });
  }
  const severity = severityOf(higherSeverity(survivor.severity, merged.severity), tenants);
  if (severity !== survivor.severity) {
    entries.push({ at: now, step: 'severity-raised', detail: `severity raised from ${survivor.severity} to ${severity}` });
  }
  return { incident: nextVersion(survivor, { tenants, severity }, entries), joined };
}

/**
 * Closes an incident merged into `survivorId`: resolved, with a `merged-into` entry naming the survivor. Its tenants
 * are the survivor's now: their recovery is recorded there (the evaluator follows the link).
 */
export function closeAsMerged(merged: Incident, survivorId: string, resource: string, now: number): Incident {
  requireEpochMs('now', now);
  requireText('survivorId', survivorId);
  requireText('resource', resource);
  const linked = linkedIncident(merged, MERGED_INTO_STEP);
  if (linked === survivorId) return merged;
  if (linked !== null) throw new IncidentStateError(merged.id, `was merged into ${linked} already; it cannot merge into ${survivorId} too`);
  if (merged.status === 'resolved') throw new IncidentStateError(merged.id, `is resolved; a resolved incident is not merged into ${survivorId}`);
  const detail = `${survivorId}${LINK_SEPARATOR}shares the suspected cause ${resource}; its ${merged.tenants.length} tenant(s) continue there`;
  return nextVersion(merged, { status: 'resolved', resolvedAt: now }, [{ at: now, step: MERGED_INTO_STEP, detail }]);
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

// --- rising burns of tenants already in an incident ------------------------------------------------------

/**
 * Where a tenant's rising burn (opened or escalated this tick) is grouped: `new-burn` when it has no open incident
 * (none, or the one its state names is resolved); `may-move` when it escalates to page inside an open incident, so it
 * moves into a shared incident of this tick or of the grouping interval if there is one (one page for one event,
 * not one per tenant); `stays` for any other rise (its incident's severity rises with it).
 */
export type RisingPlacement = 'new-burn' | 'may-move' | 'stays';

export function risingBurnPlacement(own: Pick<Incident, 'status'> | null, previousLevel: AlertLevel | null, level: AlertLevel): RisingPlacement {
  if (own === null || own.status === 'resolved') return 'new-burn';
  return level === 'page' && previousLevel !== 'page' ? 'may-move' : 'stays';
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
