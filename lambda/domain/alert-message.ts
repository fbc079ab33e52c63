/**
 * Alert rendering: one incident event in, every delivery format out (SNS subject, phone-readable text, the
 * versioned JSON document of docs/alert-schema.md, SNS message attributes for filter policies, and the AWS Chatbot
 * custom-notification document). Pure: no SDK, no clock, no I/O; times come in as epoch ms.
 *
 * Size is part of the contract: SNS refuses messages over 256 KB (UTF-8 bytes, attributes included), so long lists
 * are cut to what fits and the JSON document says what it left out (`truncated`, `omitted`).
 */
import type {
  ActionKind,
  ActionOutcome,
  ActionResult,
  AlertEventType,
  AlertLevel,
  Correlation,
  Incident,
  IncidentStatus,
  PlannedAction,
  Severity,
} from './model';
import { ALERT_LEVELS, FAILURE_MODES, MINUTE_MS } from './model';

export const ALERT_SCHEMA_VERSION = 1;
export const ALERT_EVENT_TYPES: readonly AlertEventType[] = ['opened', 'escalated', 'mitigated', 'resolved'];
export const SEVERITIES: readonly Severity[] = ['page', 'ticket'];

/** SNS documents the subject as "less than 100 characters", so 99 is the longest that is always accepted. */
export const SUBJECT_MAX_LENGTH = 99;
/** PagerDuty Events API v2 truncates `payload.summary` at 1024 characters; the JSON headline keeps to that. */
export const HEADLINE_MAX_LENGTH = 1024;
/** SNS Publish limit for message body plus attributes, in UTF-8 bytes. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** Head room under the SNS limit for the envelope fields SNS itself counts (subject, structure keys). */
const SNS_SIZE_MARGIN_BYTES = 2_048;

/** Tenants listed by name in the text body and the Slack description; the rest are counted. */
export const TEXT_TOP_TENANTS = 20;
const SLACK_TOP_TENANTS = 10;
/** Slack renders a section of at most 3,000 characters; longer descriptions are cut by the chat client. */
export const SLACK_DESCRIPTION_MAX_LENGTH = 3_000;
/** Free-text fields (tenant ids, causes, details) are cut at this length everywhere, flagged in the JSON. */
export const MAX_FIELD_LENGTH = 1_024;
const TEXT_LINE_MAX_LENGTH = 400;
const SUBJECT_NAME_MAX_LENGTH = 32;
const HEADLINE_NAME_MAX_LENGTH = 64;
const MAX_NEW_TENANTS_IN_JSON = 100;
/** Steps tried in order when the JSON document is too big: fewer actions first, then fewer tenants. */
const ACTION_LIMITS: readonly number[] = [20, 5, 0];
/** Keep at least this many tenants before giving up on actions. */
const MIN_TENANTS_BEFORE_DROPPING_ACTIONS = 50;

// ---------------------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------------------

/** One tenant of the incident as the alert reports it. */
export interface AlertTenant {
  readonly tenant: string;
  /** Current level; `ok` once the tenant recovered. */
  readonly level: AlertLevel;
  /** Burn rate by window label, e.g. `{ '5m': 20.1, '1h': 15.2 }`. */
  readonly burnRates: Readonly<Record<string, number>>;
  /** Share of the period's error budget left (negative when breached). */
  readonly budgetRemaining: number;
  readonly timeToExhaustionMinutes: number | null;
  readonly recoveredAt: number | null;
  /** Share of the period's error budget lost during the incident. */
  readonly budgetLost: number | null;
}

/** The correlation result without its ranking (the ranked evidence is in the forensic bundle). */
export type AlertCorrelation = Pick<Correlation, 'suspectedCause' | 'failureMode' | 'confidence'>;

/** What the incident workflow asks to announce. Crosses the Step Functions -> Lambda boundary. */
export interface AlertEvent {
  readonly schemaVersion: 1;
  readonly type: AlertEventType;
  readonly incident: Incident;
  readonly slo: { readonly name: string; readonly objectivePercent: number };
  readonly tenants: readonly AlertTenant[];
  /** Tenants that joined with this event (for `escalated`). */
  readonly newTenants?: readonly string[];
  readonly correlation?: AlertCorrelation;
  /** Actions already executed, with their results. */
  readonly actions?: readonly ActionResult[];
  /** Actions recommended but not executed (guards, approval). */
  readonly recommended?: readonly PlannedAction[];
  readonly forensic?: { readonly s3Uri: string; readonly consoleUrl: string };
  readonly metricsConsoleUrl?: string;
  readonly approval?: { readonly command: string };
  readonly at: number;
}

// ---------------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------------

export interface AlertDocumentTenant {
  readonly tenant: string;
  readonly level: AlertLevel;
  readonly isNew: boolean;
  readonly burnRates: Readonly<Record<string, number>>;
  readonly peakBurnRate: number;
  readonly budgetRemaining: number;
  readonly timeToExhaustionMinutes: number | null;
  readonly joinedAt: string | null;
  readonly recoveredAt: string | null;
  readonly burnedMinutes: number | null;
  readonly budgetLost: number | null;
}

export interface AlertDocumentAction {
  readonly kind: ActionKind;
  readonly resource: string;
  readonly outcome: ActionOutcome;
  readonly detail: string;
  readonly at: string;
}

/** A recommended action appears in the document exactly as the workflow planned it. */
export type AlertDocumentRecommendation = PlannedAction;

/** The machine-readable alert, documented field by field in docs/alert-schema.md. */
export interface AlertDocument {
  readonly schemaVersion: 1;
  readonly type: AlertEventType;
  readonly severity: Severity;
  readonly headline: string;
  readonly at: string;
  readonly incident: {
    readonly id: string;
    readonly status: IncidentStatus;
    readonly openedAt: string;
    readonly resolvedAt: string | null;
    readonly durationMinutes: number;
    readonly executionArn: string | null;
  };
  readonly slo: { readonly name: string; readonly objectivePercent: number };
  readonly summary: {
    readonly tenantsCount: number;
    readonly newTenants: readonly string[];
    readonly peakBurnRate: number;
    readonly minBudgetRemaining: number;
    readonly minTimeToExhaustionMinutes: number | null;
    readonly maxBudgetLost: number | null;
  };
  readonly tenants: readonly AlertDocumentTenant[];
  readonly correlation: AlertCorrelation | null;
  readonly actionsTaken: readonly AlertDocumentAction[];
  readonly recommendedActions: readonly AlertDocumentRecommendation[];
  readonly approval: { readonly command: string } | null;
  readonly links: {
    readonly forensicBundle: string | null;
    readonly forensicConsole: string | null;
    readonly metricsConsole: string | null;
  };
  readonly truncated: boolean;
  readonly omitted: {
    readonly tenants: number;
    readonly newTenants: number;
    readonly actionsTaken: number;
    readonly recommendedActions: number;
  };
}

export interface SnsStringAttribute {
  readonly DataType: 'String';
  readonly StringValue: string;
}

/** SNS message attribute names; subscription filter policies match on these. */
export type AlertAttributeName = 'severity' | 'tenant' | 'tenants_count' | 'slo' | 'event_type' | 'incident_id';
export type AlertAttributes = Readonly<Record<AlertAttributeName, SnsStringAttribute>>;
/** Value of the `tenant` attribute when more than one tenant is affected. */
export const MULTIPLE_TENANTS = 'multiple';

/** AWS Chatbot (Amazon Q Developer in chat applications) custom notification, schema version 1.0. */
export interface ChatbotNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id?: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps?: readonly string[];
    readonly keywords?: readonly string[];
  };
  readonly metadata?: {
    readonly threadId?: string;
    readonly summary?: string;
    readonly eventType?: string;
    readonly relatedResources?: readonly string[];
    readonly additionalContext?: Readonly<Record<string, string>>;
  };
}

export interface RenderedAlert {
  readonly subject: string;
  readonly text: string;
  readonly json: AlertDocument;
  readonly attributes: AlertAttributes;
  readonly slack: ChatbotNotification;
}

/** A subscription filter on the alert attributes: every listed key must match one of its values. */
export interface AlertFilter {
  readonly severity?: readonly string[];
  readonly tenant?: readonly string[];
  readonly eventType?: readonly string[];
  readonly slo?: readonly string[];
}

/** Which attribute each filter key matches. */
export const FILTER_ATTRIBUTE: Readonly<Record<keyof AlertFilter, AlertAttributeName>> = {
  severity: 'severity',
  tenant: 'tenant',
  eventType: 'event_type',
  slo: 'slo',
};

/** Environment variables through which the alert-channels construct tells publishers where to send. */
export const ALERT_ENVIRONMENT = {
  topicArn: 'ALERT_TOPIC_ARN',
  chatbotTopicArn: 'ALERT_CHATBOT_TOPIC_ARN',
  /** JSON of an {@link AlertFilter}; absent means every alert goes to Chatbot. */
  chatbotFilter: 'ALERT_CHATBOT_FILTER',
} as const;

/** SNS accepts at most 150 combinations of values in one filter policy (product of the value counts). */
export const MAX_FILTER_COMBINATIONS = 150;

const FILTER_ALLOWED_VALUES: Readonly<Partial<Record<keyof AlertFilter, readonly string[]>>> = {
  severity: SEVERITIES,
  eventType: ALERT_EVENT_TYPES,
};

/** One problem of a filter: where (`['pagerDuty', 'filter', 'severity', 0]`), what is allowed, what was given. */
export interface FilterProblem {
  readonly path: readonly (string | number)[];
  /** Starts with `must`, e.g. `must be one of page | ticket`. */
  readonly allowed: string;
  readonly given: unknown;
}

/** Every problem of a filter; empty when it is valid. Shared by the construct (at synth) and the notifier (at cold start). */
export function validateAlertFilter(filter: unknown, path: readonly (string | number)[]): FilterProblem[] {
  const keys = Object.keys(FILTER_ATTRIBUTE).join(', ');
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    return [{ path, allowed: `must be an object with some of the keys ${keys}`, given: filter }];
  }
  const problems: FilterProblem[] = [];
  let combinations = 1;
  for (const [key, values] of Object.entries(filter)) {
    const at = [...path, key];
    if (!(key in FILTER_ATTRIBUTE)) {
      problems.push({ path: at, allowed: `must not be given; the keys are ${keys}`, given: values });
      continue;
    }
    if (values === undefined) continue;
    if (!Array.isArray(values) || values.length === 0) {
      problems.push({ path: at, allowed: 'must be a non-empty array of strings', given: values });
      continue;
    }
    combinations *= values.length;
    const allowed = FILTER_ALLOWED_VALUES[key as keyof AlertFilter];
    values.forEach((value: unknown, index) => {
      if (typeof value !== 'string' || value === '') problems.push({ path: [...at, index], allowed: 'must be a non-empty string', given: value });
      else if (allowed !== undefined && !allowed.includes(value)) {
        problems.push({ path: [...at, index], allowed: `must be one of ${allowed.join(' | ')}`, given: value });
      }
    });
  }
  if (combinations > MAX_FILTER_COMBINATIONS) {
    problems.push({
      path,
      allowed: `must allow at most ${MAX_FILTER_COMBINATIONS} combinations of values (SNS filter policy limit)`,
      given: `${combinations} combinations`,
    });
  }
  return problems;
}

export class InvalidAlertEventError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid alert event:\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidAlertEventError';
  }
}

export class AlertDocumentError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid alert document (schemaVersion ${ALERT_SCHEMA_VERSION}):\n- ${problems.join('\n- ')}`);
    this.name = 'AlertDocumentError';
  }
}

/** Even an empty document does not fit: only possible if a bound above was raised carelessly. */
export class AlertTooLargeError extends Error {
  constructor(incidentId: string, bytes: number) {
    super(`alert for incident ${incidentId}: the smallest message is ${bytes} bytes, over the SNS limit of ${SNS_MAX_MESSAGE_BYTES}`);
    this.name = 'AlertTooLargeError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Small formatting helpers
// ---------------------------------------------------------------------------------------------------------

const TRANSLITERATION: Readonly<Record<string, string>> = {
  'ß': 'ss', 'Æ': 'AE', 'æ': 'ae', 'Ø': 'O', 'ø': 'o', 'Œ': 'OE', 'œ': 'oe', 'Ł': 'L', 'ł': 'l', 'Đ': 'D',
  'đ': 'd', 'Þ': 'Th', 'þ': 'th', 'ı': 'i', '‘': "'", '’': "'", '‚': "'", '“': '"', '”': '"', '„': '"',
  '«': '"', '»': '"', '–': '-', '—': '-', '−': '-', '×': 'x', '€': 'EUR', '£': 'GBP',
};

/** Printable ASCII only: letters lose their accents, known symbols get an ASCII spelling, the rest is dropped. */
export function toAsciiPrintable(value: string): string {
  let out = '';
  for (const char of value.normalize('NFKD')) {
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0x20 && code <= 0x7e) out += char;
    else if (TRANSLITERATION[char] !== undefined) out += TRANSLITERATION[char];
    else if (/\s/u.test(char)) out += ' ';
  }
  return out.replace(/\s+/g, ' ').trim();
}

/** One line of readable text: control characters and line breaks become spaces. */
function toSingleLine(value: string): string {
  return value.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').replace(/\s+/g, ' ').trim();
}

const BREAK_CHARS = /[\s\-_.,/:;)]/;
const ELLIPSIS = '...';

/**
 * Cuts `value` to `max` characters with a trailing `...`, at the last word break in the second half of the
 * allowed length (so a long word is cut rather than losing most of the text). Code points are never split.
 */
export function shorten(value: string, max: number): string {
  const chars = Array.from(value);
  if (chars.length <= max) return value;
  if (max <= ELLIPSIS.length) return chars.slice(0, max).join('');
  const room = max - ELLIPSIS.length;
  let cut = room;
  for (let i = room; i > Math.floor(room / 2); i -= 1) {
    if (BREAK_CHARS.test(chars[i] ?? '')) {
      cut = i;
      break;
    }
  }
  return `${chars.slice(0, cut).join('').replace(/[\s\-_.,/:;]+$/, '')}${ELLIPSIS}`;
}

function charLength(value: string): number {
  let count = 0;
  for (const _ of value) count += 1;
  return count;
}

/** UTF-8 length without allocating (the size check runs many times on large documents). */
export function utf8ByteLength(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Burn rate as a multiple of the sustainable rate: `15.2x`, `22x`. */
export function formatBurnRate(burnRate: number): string {
  return `${Number(burnRate.toFixed(burnRate >= 100 ? 0 : 1))}x`;
}

/** A share (0.71) as a percentage (`71%`); one decimal below 10% so small budgets stay visible. */
export function formatPercent(share: number, decimals?: number): string {
  const percent = share * 100;
  const digits = decimals ?? (Math.abs(percent) < 10 ? 1 : 0);
  return `${Number(percent.toFixed(digits))}%`;
}

/** `42m`, `4h`, `4h 5m`, `2d 3h`: minutes rounded to the nearest whole minute. */
export function formatDuration(minutes: number): string {
  const total = Math.max(0, Math.round(minutes));
  if (total < 60) return `${total}m`;
  if (total < 24 * 60) {
    const hours = Math.floor(total / 60);
    const rest = total % 60;
    return rest === 0 ? `${hours}h` : `${hours}h ${rest}m`;
  }
  const days = Math.floor(total / (24 * 60));
  const hours = Math.floor((total % (24 * 60)) / 60);
  return hours === 0 ? `${days}d` : `${days}d ${hours}h`;
}

function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** `2024-05-01 12:00 UTC`: what a responder reads. */
function readableTime(epochMs: number): string {
  return `${isoTime(epochMs).slice(0, 16).replace('T', ' ')} UTC`;
}

const WINDOW_LABEL = /^(\d+(?:\.\d+)?)\s*(m|min|h|d)$/i;
const UNIT_MINUTES: Readonly<Record<string, number>> = { m: 1, min: 1, h: 60, d: 24 * 60 };

/** Minutes of a window label (`5m`, `1h`, `3d`); labels of another shape sort last. */
function windowMinutes(label: string): number {
  const match = WINDOW_LABEL.exec(label.trim());
  if (match === null) return Number.POSITIVE_INFINITY;
  return Number(match[1]) * (UNIT_MINUTES[(match[2] ?? '').toLowerCase()] ?? Number.NaN);
}

function sortedWindows(burnRates: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(burnRates).sort(
    ([a], [b]) => windowMinutes(a) - windowMinutes(b) || (a < b ? -1 : a > b ? 1 : 0),
  );
}

/** The highest burn rate over the tenant's windows: how fast it is burning right now at worst. */
export function peakBurnRate(tenant: Pick<AlertTenant, 'burnRates'>): number {
  return Object.values(tenant.burnRates).reduce((max, rate) => Math.max(max, rate), 0);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

// ---------------------------------------------------------------------------------------------------------
// Validation of the event
// ---------------------------------------------------------------------------------------------------------

function given(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(shorten(value, 80));
  if (value === undefined) return 'undefined';
  try {
    return shorten(JSON.stringify(value) ?? String(value), 80);
  } catch {
    return String(value);
  }
}

function problem(field: string, allowed: string, value: unknown): string {
  return `${field} must be ${allowed}; got ${given(value)}`;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Checks the fields rendering depends on and lists every problem at once. */
export function validateAlertEvent(event: AlertEvent): void {
  const problems: string[] = [];
  if (event.schemaVersion !== ALERT_SCHEMA_VERSION) problems.push(problem('schemaVersion', '1', event.schemaVersion));
  if (!ALERT_EVENT_TYPES.includes(event.type)) problems.push(problem('type', ALERT_EVENT_TYPES.join(' | '), event.type));
  if (!isFiniteNumber(event.at)) problems.push(problem('at', 'epoch milliseconds', event.at));
  if (typeof event.slo?.name !== 'string' || event.slo.name.trim() === '') {
    problems.push(problem('slo.name', 'a non-empty string', event.slo?.name));
  }
  if (!(isFiniteNumber(event.slo?.objectivePercent) && event.slo.objectivePercent > 0 && event.slo.objectivePercent < 100)) {
    problems.push(problem('slo.objectivePercent', 'a number between 0 and 100 (exclusive)', event.slo?.objectivePercent));
  }
  if (typeof event.incident?.id !== 'string' || event.incident.id === '') {
    problems.push(problem('incident.id', 'a non-empty string', event.incident?.id));
  }
  if (!SEVERITIES.includes(event.incident?.severity)) {
    problems.push(problem('incident.severity', SEVERITIES.join(' | '), event.incident?.severity));
  }
  if (!isFiniteNumber(event.incident?.openedAt)) problems.push(problem('incident.openedAt', 'epoch milliseconds', event.incident?.openedAt));
  if (!Array.isArray(event.tenants) || event.tenants.length === 0) {
    problems.push(problem('tenants', 'a non-empty array', event.tenants));
  } else {
    event.tenants.forEach((tenant, index) => {
      const at = `tenants[${index}]`;
      if (typeof tenant.tenant !== 'string' || tenant.tenant === '') problems.push(problem(`${at}.tenant`, 'a non-empty string', tenant.tenant));
      if (!ALERT_LEVELS.includes(tenant.level)) problems.push(problem(`${at}.level`, ALERT_LEVELS.join(' | '), tenant.level));
      if (!isFiniteNumber(tenant.budgetRemaining)) problems.push(problem(`${at}.budgetRemaining`, 'a finite number', tenant.budgetRemaining));
      for (const [window, rate] of Object.entries(tenant.burnRates ?? {})) {
        if (!(isFiniteNumber(rate) && rate >= 0)) problems.push(problem(`${at}.burnRates.${window}`, 'a finite number >= 0', rate));
      }
      if (tenant.timeToExhaustionMinutes !== null && !isFiniteNumber(tenant.timeToExhaustionMinutes)) {
        problems.push(problem(`${at}.timeToExhaustionMinutes`, 'a finite number or null', tenant.timeToExhaustionMinutes));
      }
    });
  }
  if (event.correlation !== undefined && !FAILURE_MODES.includes(event.correlation.failureMode)) {
    problems.push(problem('correlation.failureMode', FAILURE_MODES.join(' | '), event.correlation.failureMode));
  }
  if (problems.length > 0) throw new InvalidAlertEventError(problems);
}

// ---------------------------------------------------------------------------------------------------------
// Facts shared by every format
// ---------------------------------------------------------------------------------------------------------

interface TenantFacts {
  readonly source: AlertTenant;
  readonly peak: number;
  readonly isNew: boolean;
  readonly joinedAt: number | null;
  readonly burnedMinutes: number | null;
}

interface AlertFacts {
  readonly event: AlertEvent;
  readonly severity: Severity;
  /** Ordered for reading: by peak burn rate, or by budget lost once resolved. */
  readonly tenants: readonly TenantFacts[];
  readonly newTenants: readonly string[];
  readonly peak: number;
  readonly minBudgetRemaining: number;
  readonly minTimeToExhaustion: number | null;
  readonly maxBudgetLost: number | null;
  readonly endedAt: number;
  readonly durationMinutes: number;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function collectFacts(event: AlertEvent): AlertFacts {
  const joined = new Map(event.incident.tenants.map((tenant) => [tenant.tenant, tenant.joinedAt]));
  const newTenants = event.type === 'escalated' ? [...new Set(event.newTenants ?? [])] : [];
  const newSet = new Set(newTenants);
  const endedAt = event.type === 'resolved' ? (event.incident.resolvedAt ?? event.at) : event.at;
  const tenants: TenantFacts[] = event.tenants.map((tenant) => {
    const joinedAt = joined.get(tenant.tenant) ?? null;
    const burnEnd = tenant.recoveredAt ?? (event.type === 'resolved' ? endedAt : null);
    const start = joinedAt ?? event.incident.openedAt;
    return {
      source: tenant,
      peak: peakBurnRate(tenant),
      isNew: newSet.has(tenant.tenant),
      joinedAt,
      burnedMinutes: burnEnd === null ? null : Math.max(0, burnEnd - start) / MINUTE_MS,
    };
  });
  const byLoss = event.type === 'resolved';
  tenants.sort((a, b) =>
    byLoss
      ? (b.source.budgetLost ?? 0) - (a.source.budgetLost ?? 0) || compareNames(a.source.tenant, b.source.tenant)
      : b.peak - a.peak || compareNames(a.source.tenant, b.source.tenant),
  );
  const exhaustion = tenants.map((t) => t.source.timeToExhaustionMinutes).filter((m): m is number => m !== null);
  const losses = tenants.map((t) => t.source.budgetLost).filter((l): l is number => l !== null);
  return {
    event,
    severity: event.incident.severity,
    tenants,
    newTenants,
    peak: tenants.reduce((max, t) => Math.max(max, t.peak), 0),
    minBudgetRemaining: tenants.reduce((min, t) => Math.min(min, t.source.budgetRemaining), Number.POSITIVE_INFINITY),
    minTimeToExhaustion: exhaustion.length === 0 ? null : Math.min(...exhaustion),
    maxBudgetLost: losses.length === 0 ? null : Math.max(...losses),
    endedAt,
    durationMinutes: Math.max(0, endedAt - event.incident.openedAt) / MINUTE_MS,
  };
}

function budgetLeftPhrase(share: number): string {
  return share <= 0 ? 'budget exhausted' : `budget ${formatPercent(share)} left`;
}

function costPhrase(facts: AlertFacts): string | null {
  if (facts.maxBudgetLost === null) return null;
  return `cost ${facts.tenants.length > 1 ? 'up to ' : ''}${formatPercent(facts.maxBudgetLost, 1)} budget`;
}

// ---------------------------------------------------------------------------------------------------------
// Subject and headline: one line, most important words first, optional clauses dropped to fit
// ---------------------------------------------------------------------------------------------------------

interface LineStyle {
  readonly maxLength: number;
  readonly nameMaxLength: number;
  readonly clean: (value: string) => string;
}

const SUBJECT_STYLE: LineStyle = {
  maxLength: SUBJECT_MAX_LENGTH,
  nameMaxLength: SUBJECT_NAME_MAX_LENGTH,
  clean: (value) => toAsciiPrintable(value) || '?',
};
const HEADLINE_STYLE: LineStyle = {
  maxLength: HEADLINE_MAX_LENGTH,
  nameMaxLength: HEADLINE_NAME_MAX_LENGTH,
  clean: (value) => toSingleLine(value) || '?',
};

function prefixOf(facts: AlertFacts): string {
  if (facts.event.type === 'resolved') return '[RESOLVED]';
  if (facts.event.type === 'mitigated') return '[MITIGATED]';
  return facts.severity === 'page' ? '[PAGE]' : '[TICKET]';
}

/** `acme`, `acme, globex`, `acme, globex, +38`. */
function nameList(names: readonly string[], total: number, style: LineStyle): string {
  const shown = names.slice(0, 2).map((name) => shorten(style.clean(name), style.nameMaxLength));
  const rest = total - shown.length;
  return rest > 0 ? `${shown.join(', ')}, +${formatCount(rest)}` : shown.join(', ');
}

/** `acme-corp` or `40 tenants (acme, globex, +38)`. */
function whoPhrase(facts: AlertFacts, style: LineStyle): string {
  const names = facts.tenants.map((t) => t.source.tenant);
  if (names.length === 1) return shorten(style.clean(names[0] ?? ''), style.nameMaxLength);
  return `${formatCount(names.length)} tenants (${nameList(names, names.length, style)})`;
}

function buildLine(facts: AlertFacts, style: LineStyle): string {
  const slo = shorten(style.clean(facts.event.slo.name), style.nameMaxLength + 8);
  const prefix = prefixOf(facts);
  let head: string;
  const clauses: string[] = [];
  switch (facts.event.type) {
    case 'opened':
      head = `${prefix} ${slo}: ${whoPhrase(facts, style)} burn ${formatBurnRate(facts.peak)}`;
      break;
    case 'escalated':
      head =
        facts.newTenants.length > 0
          ? `${prefix} ${slo} escalated: ${nameList(facts.newTenants, facts.newTenants.length, style)} joined, ` +
            `${plural(facts.tenants.length, 'tenant')} burn ${formatBurnRate(facts.peak)}`
          : `${prefix} ${slo} escalated: ${whoPhrase(facts, style)} burn ${formatBurnRate(facts.peak)}`;
      break;
    case 'mitigated':
      head = `${prefix} ${slo}: ${whoPhrase(facts, style)} burn down to ${formatBurnRate(facts.peak)}`;
      clauses.push(` after ${formatDuration(facts.durationMinutes)}`);
      break;
    case 'resolved': {
      head = `${prefix} ${slo}: ${whoPhrase(facts, style)} after ${formatDuration(facts.durationMinutes)}`;
      const cost = costPhrase(facts);
      if (cost !== null) clauses.push(`, ${cost}`);
      break;
    }
  }
  if (facts.event.type === 'opened' || facts.event.type === 'escalated') {
    clauses.push(`, ${budgetLeftPhrase(facts.minBudgetRemaining)}`);
    if (facts.minTimeToExhaustion !== null) clauses.push(`, ETA ${formatDuration(facts.minTimeToExhaustion)}`);
  }
  // Least important clauses go first when the line is too long.
  let line = head + clauses.join('');
  while (charLength(line) > style.maxLength && clauses.length > 0) {
    clauses.pop();
    line = head + clauses.join('');
  }
  return shorten(line, style.maxLength);
}

// ---------------------------------------------------------------------------------------------------------
// Text body: for a responder on a phone
// ---------------------------------------------------------------------------------------------------------

function windowsPhrase(burnRates: Readonly<Record<string, number>>): string {
  const windows = sortedWindows(burnRates);
  if (windows.length === 0) return 'no burn data';
  return `burn ${windows.map(([label, rate]) => `${toSingleLine(label)} ${formatBurnRate(rate)}`).join(', ')}`;
}

function displayName(name: string, max = 120): string {
  return shorten(toSingleLine(name) || '?', max);
}

function tenantLine(facts: AlertFacts, tenant: TenantFacts): string {
  const t = tenant.source;
  const name = `${displayName(t.tenant)}${tenant.isNew ? ' (new)' : ''}`;
  if (facts.event.type === 'resolved') {
    const burned = tenant.burnedMinutes === null ? 'burn time unknown' : `burned ${formatDuration(tenant.burnedMinutes)}`;
    const lost = t.budgetLost === null ? 'budget lost unknown' : `lost ${formatPercent(t.budgetLost, 1)} of budget`;
    return `- ${name}: ${burned}, ${lost}, ${budgetLeftPhrase(t.budgetRemaining)}`;
  }
  const parts = [`[${t.level}]`, windowsPhrase(t.burnRates), budgetLeftPhrase(t.budgetRemaining)];
  if (t.timeToExhaustionMinutes !== null) parts.push(`exhausted in ${formatDuration(t.timeToExhaustionMinutes)}`);
  if (t.recoveredAt !== null) parts.push(`recovered ${readableTime(t.recoveredAt)}`);
  return shorten(`- ${name} ${parts.join('; ')}`, TEXT_LINE_MAX_LENGTH);
}

function moreLine(count: number, event: AlertEvent): string {
  const where = event.forensic === undefined ? 'in the JSON alert document' : `in the forensic bundle ${event.forensic.s3Uri}`;
  return `... ${formatCount(count)} more ${where}`;
}

function listed<T>(items: readonly T[], limit: number, render: (item: T) => string, event: AlertEvent): string[] {
  const lines = items.slice(0, limit).map(render);
  if (items.length > limit) lines.push(moreLine(items.length - limit, event));
  return lines;
}

function parametersPhrase(parameters: Readonly<Record<string, string | number | boolean>>): string {
  return Object.entries(parameters)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(', ');
}

function actionLine(result: ActionResult): string {
  const detail = result.detail === '' ? '' : ` - ${toSingleLine(result.detail)}`;
  return shorten(
    `- ${result.action.kind} on ${toSingleLine(result.action.resource)}: ${result.outcome}${detail} (${readableTime(result.at)})`,
    TEXT_LINE_MAX_LENGTH,
  );
}

function recommendationLine(action: PlannedAction): string {
  const params = parametersPhrase(action.parameters);
  const notes: string[] = [];
  if (action.requiresApproval) notes.push('needs approval');
  if (action.blockedBy.length > 0) notes.push(`blocked by ${action.blockedBy.map(toSingleLine).join(', ')}`);
  if (action.reason !== '') notes.push(toSingleLine(action.reason));
  return shorten(
    `- ${action.kind} on ${toSingleLine(action.resource)}${params === '' ? '' : ` (${params})`}${notes.length > 0 ? `: ${notes.join('; ')}` : ''}`,
    TEXT_LINE_MAX_LENGTH,
  );
}

function openingSentence(facts: AlertFacts): string {
  const { event } = facts;
  const slo = `${displayName(event.slo.name)} (objective ${event.slo.objectivePercent}%)`;
  const who = facts.tenants.length === 1 ? displayName(facts.tenants[0]?.source.tenant ?? '?') : plural(facts.tenants.length, 'tenant');
  const severity = facts.severity.toUpperCase();
  switch (event.type) {
    case 'opened':
      return `${severity}: SLO ${slo} is burning error budget for ${who}.`;
    case 'escalated':
      return facts.newTenants.length > 0
        ? `${severity}: incident on SLO ${slo} escalated: ${plural(facts.newTenants.length, 'new tenant')}, ${plural(facts.tenants.length, 'tenant')} affected now.`
        : `${severity}: incident on SLO ${slo} escalated to ${facts.severity} for ${who}.`;
    case 'mitigated':
      return `MITIGATED: SLO ${slo}: the burn is coming down for ${who}; watch until it resolves.`;
    case 'resolved':
      return `RESOLVED: SLO ${slo} recovered for ${who} after ${formatDuration(facts.durationMinutes)}.`;
  }
}

function renderText(facts: AlertFacts): string {
  const { event } = facts;
  const lines: string[] = [openingSentence(facts), ''];
  lines.push(`Incident: ${event.incident.id} (severity ${facts.severity}, status ${event.incident.status})`);
  lines.push(`Opened: ${readableTime(event.incident.openedAt)}`);
  if (event.type === 'resolved') {
    lines.push(`Resolved: ${readableTime(facts.endedAt)}, duration ${formatDuration(facts.durationMinutes)}`);
    if (facts.maxBudgetLost !== null) {
      const scope = facts.tenants.length > 1 ? 'up to ' : '';
      lines.push(`Budget lost: ${scope}${formatPercent(facts.maxBudgetLost, 1)} of the period's error budget`);
    }
  } else {
    const worst = [`Worst: burn ${formatBurnRate(facts.peak)}`, budgetLeftPhrase(facts.minBudgetRemaining)];
    if (facts.minTimeToExhaustion !== null) worst.push(`exhausted in ${formatDuration(facts.minTimeToExhaustion)}`);
    lines.push(worst.join(', '));
  }
  if (facts.newTenants.length > 0) {
    lines.push('', `New tenants (${formatCount(facts.newTenants.length)}):`);
    lines.push(...listed(facts.newTenants, TEXT_TOP_TENANTS, (name) => `- ${displayName(name)}`, event));
  }
  const heading =
    event.type === 'resolved'
      ? 'Tenants by budget lost'
      : facts.tenants.length > TEXT_TOP_TENANTS
        ? `Tenants (top ${TEXT_TOP_TENANTS} by burn rate)`
        : 'Tenants by burn rate';
  lines.push('', `${heading}:`);
  lines.push(...listed(facts.tenants, TEXT_TOP_TENANTS, (t) => tenantLine(facts, t), event));
  if (event.correlation !== undefined) {
    const c = event.correlation;
    lines.push(
      '',
      `Suspected cause: ${shorten(toSingleLine(c.suspectedCause), 500)} (${c.failureMode}, confidence ${formatPercent(c.confidence, 0)})`,
    );
  }
  const taken = event.actions ?? [];
  if (taken.length > 0) lines.push('', 'Actions taken:', ...listed(taken, 10, actionLine, event));
  const recommended = event.recommended ?? [];
  if (recommended.length > 0) lines.push('', 'Recommended actions:', ...listed(recommended, 10, recommendationLine, event));
  if (event.approval !== undefined) lines.push('', `To approve: ${shorten(toSingleLine(event.approval.command), 1_000)}`);
  const links: string[] = [];
  if (event.forensic !== undefined) {
    links.push(`Forensic bundle: ${shorten(event.forensic.s3Uri, 2_000)}`, `Forensic console: ${shorten(event.forensic.consoleUrl, 2_000)}`);
  }
  if (event.metricsConsoleUrl !== undefined) links.push(`Metrics console: ${shorten(event.metricsConsoleUrl, 2_000)}`);
  if (links.length > 0) lines.push('', ...links);
  lines.push('', `Sent by Burnwatch at ${readableTime(event.at)}.`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// JSON document
// ---------------------------------------------------------------------------------------------------------

interface Cutter {
  cut(value: string, max?: number): string;
  readonly cutAny: boolean;
}

/** Cuts free text to MAX_FIELD_LENGTH and remembers whether anything was cut (the document says so). */
function makeCutter(): Cutter {
  let cutAny = false;
  return {
    cut(value: string, max = MAX_FIELD_LENGTH): string {
      const out = shorten(value, max);
      if (out !== value) cutAny = true;
      return out;
    },
    get cutAny() {
      return cutAny;
    },
  };
}

function documentTenant(tenant: TenantFacts, cutter: Cutter): AlertDocumentTenant {
  const t = tenant.source;
  return {
    tenant: cutter.cut(t.tenant),
    level: t.level,
    isNew: tenant.isNew,
    burnRates: Object.fromEntries(sortedWindows(t.burnRates).map(([label, rate]) => [cutter.cut(label, 32), rate])),
    peakBurnRate: tenant.peak,
    budgetRemaining: t.budgetRemaining,
    timeToExhaustionMinutes: t.timeToExhaustionMinutes,
    joinedAt: tenant.joinedAt === null ? null : isoTime(tenant.joinedAt),
    recoveredAt: t.recoveredAt === null ? null : isoTime(t.recoveredAt),
    burnedMinutes: tenant.burnedMinutes === null ? null : Math.round(tenant.burnedMinutes * 10) / 10,
    budgetLost: t.budgetLost,
  };
}

function documentAction(result: ActionResult, cutter: Cutter): AlertDocumentAction {
  return {
    kind: result.action.kind,
    resource: cutter.cut(result.action.resource),
    outcome: result.outcome,
    detail: cutter.cut(result.detail, 512),
    at: isoTime(result.at),
  };
}

function documentRecommendation(action: PlannedAction, cutter: Cutter): AlertDocumentRecommendation {
  const parameters = Object.entries(action.parameters).slice(0, 20);
  return {
    kind: action.kind,
    resource: cutter.cut(action.resource),
    parameters: Object.fromEntries(
      parameters.map(([key, value]) => [cutter.cut(key, 64), typeof value === 'string' ? cutter.cut(value, 256) : value]),
    ),
    allowed: action.allowed,
    blockedBy: action.blockedBy.slice(0, 10).map((reason) => cutter.cut(reason, 256)),
    requiresApproval: action.requiresApproval,
    reason: cutter.cut(action.reason, 512),
  };
}

interface DocumentLimits {
  readonly tenants: number;
  readonly actions: number;
}

function buildDocument(facts: AlertFacts, headline: string, limits: DocumentLimits): AlertDocument {
  const { event } = facts;
  const cutter = makeCutter();
  const taken = event.actions ?? [];
  const recommended = event.recommended ?? [];
  const tenants = facts.tenants.slice(0, limits.tenants).map((t) => documentTenant(t, cutter));
  const newTenants = facts.newTenants.slice(0, Math.min(limits.tenants, MAX_NEW_TENANTS_IN_JSON)).map((name) => cutter.cut(name));
  const actionsTaken = taken.slice(0, limits.actions).map((a) => documentAction(a, cutter));
  const recommendedActions = recommended.slice(0, limits.actions).map((a) => documentRecommendation(a, cutter));
  const omitted = {
    tenants: facts.tenants.length - tenants.length,
    newTenants: facts.newTenants.length - newTenants.length,
    actionsTaken: taken.length - actionsTaken.length,
    recommendedActions: recommended.length - recommendedActions.length,
  };
  const correlation =
    event.correlation === undefined
      ? null
      : {
          suspectedCause: cutter.cut(event.correlation.suspectedCause),
          failureMode: event.correlation.failureMode,
          confidence: event.correlation.confidence,
        };
  const approval = event.approval === undefined ? null : { command: cutter.cut(event.approval.command, 2_048) };
  const links = {
    forensicBundle: event.forensic === undefined ? null : cutter.cut(event.forensic.s3Uri, 2_048),
    forensicConsole: event.forensic === undefined ? null : cutter.cut(event.forensic.consoleUrl, 2_048),
    metricsConsole: event.metricsConsoleUrl === undefined ? null : cutter.cut(event.metricsConsoleUrl, 2_048),
  };
  const incident = event.incident;
  return {
    schemaVersion: ALERT_SCHEMA_VERSION,
    type: event.type,
    severity: facts.severity,
    headline,
    at: isoTime(event.at),
    incident: {
      id: incident.id,
      status: incident.status,
      openedAt: isoTime(incident.openedAt),
      resolvedAt: incident.resolvedAt === null ? null : isoTime(incident.resolvedAt),
      durationMinutes: Math.round(facts.durationMinutes * 10) / 10,
      executionArn: incident.executionArn,
    },
    slo: { name: cutter.cut(event.slo.name), objectivePercent: event.slo.objectivePercent },
    summary: {
      tenantsCount: facts.tenants.length,
      newTenants,
      peakBurnRate: facts.peak,
      minBudgetRemaining: facts.minBudgetRemaining,
      minTimeToExhaustionMinutes: facts.minTimeToExhaustion,
      maxBudgetLost: facts.maxBudgetLost,
    },
    tenants,
    correlation,
    actionsTaken,
    recommendedActions,
    approval,
    links,
    truncated: cutter.cutAny || Object.values(omitted).some((count) => count > 0),
    omitted,
  };
}

// ---------------------------------------------------------------------------------------------------------
// SNS message and attributes
// ---------------------------------------------------------------------------------------------------------

/**
 * The `Message` of a Publish with `MessageStructure: 'json'`: text for people (default, email), the JSON document
 * as a string for machines (sqs, lambda, https).
 */
export function snsMessageBody(alert: Pick<RenderedAlert, 'text' | 'json'>): string {
  const json = JSON.stringify(alert.json);
  return JSON.stringify({ default: alert.text, email: alert.text, sqs: json, lambda: json, https: json });
}

export function attributesByteLength(attributes: AlertAttributes): number {
  return Object.entries(attributes).reduce(
    (sum, [name, value]) => sum + utf8ByteLength(name) + utf8ByteLength(value.DataType) + utf8ByteLength(value.StringValue),
    0,
  );
}

function renderAttributes(facts: AlertFacts): AlertAttributes {
  const { event } = facts;
  const only = facts.tenants.length === 1 ? facts.tenants[0]?.source.tenant : undefined;
  const value = (StringValue: string): SnsStringAttribute => ({ DataType: 'String', StringValue });
  return {
    severity: value(facts.severity),
    tenant: value(shorten(only ?? MULTIPLE_TENANTS, MAX_FIELD_LENGTH)),
    tenants_count: value(String(facts.tenants.length)),
    slo: value(shorten(event.slo.name, MAX_FIELD_LENGTH)),
    event_type: value(event.type),
    incident_id: value(event.incident.id),
  };
}

/** Whether a message with these attributes passes the filter (the same rule SNS applies to a filter policy). */
export function matchesFilter(attributes: AlertAttributes, filter: AlertFilter | undefined): boolean {
  if (filter === undefined) return true;
  return (Object.keys(FILTER_ATTRIBUTE) as (keyof AlertFilter)[]).every((key) => {
    const allowed = filter[key];
    return allowed === undefined || allowed.includes(attributes[FILTER_ATTRIBUTE[key]].StringValue);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Chatbot (Slack) custom notification
// ---------------------------------------------------------------------------------------------------------

function slackDescription(facts: AlertFacts): string {
  const { event } = facts;
  const lines: string[] = [openingSentence(facts)];
  lines.push(`*Incident* \`${event.incident.id}\` opened ${readableTime(event.incident.openedAt)}`);
  const tenantLines = facts.tenants.slice(0, SLACK_TOP_TENANTS).map((t) => shorten(tenantLine(facts, t), 200));
  if (facts.tenants.length > SLACK_TOP_TENANTS) tenantLines.push(moreLine(facts.tenants.length - SLACK_TOP_TENANTS, event));
  lines.push(...tenantLines);
  if (event.correlation !== undefined) {
    lines.push(`*Suspected cause:* ${shorten(toSingleLine(event.correlation.suspectedCause), 300)} (${event.correlation.failureMode})`);
  }
  for (const result of (event.actions ?? []).slice(0, 3)) lines.push(`*Action:* ${actionLine(result).slice(2)}`);
  // Lines are dropped whole from the end (the top of the message matters most), never cut mid-line.
  while (lines.length > 1 && charLength(lines.join('\n')) > SLACK_DESCRIPTION_MAX_LENGTH) lines.pop();
  return shorten(lines.join('\n'), SLACK_DESCRIPTION_MAX_LENGTH);
}

function renderSlack(facts: AlertFacts, subject: string, headline: string): ChatbotNotification {
  const { event } = facts;
  const nextSteps: string[] = [];
  if (event.approval !== undefined) nextSteps.push(`Approve: \`${shorten(toSingleLine(event.approval.command), 500)}\``);
  if (event.forensic !== undefined) nextSteps.push(`Forensic bundle: ${shorten(event.forensic.consoleUrl, 1_000)}`);
  if (event.metricsConsoleUrl !== undefined) nextSteps.push(`Metrics: ${shorten(event.metricsConsoleUrl, 1_000)}`);
  const keywords = [facts.severity, event.type, shorten(toSingleLine(event.slo.name), 50)];
  if (event.correlation !== undefined) keywords.push(event.correlation.failureMode);
  return {
    version: '1.0',
    source: 'custom',
    id: `${event.incident.id}:${event.type}:${event.at}`,
    content: {
      textType: 'client-markdown',
      title: subject,
      description: slackDescription(facts),
      ...(nextSteps.length > 0 ? { nextSteps } : {}),
      keywords,
    },
    metadata: {
      // One thread per incident: opened, escalated, mitigated and resolved read as one conversation.
      threadId: event.incident.id,
      summary: shorten(headline, 300),
      eventType: `burnwatch.${event.type}`,
      ...(event.forensic !== undefined ? { relatedResources: [shorten(event.forensic.s3Uri, 1_000)] } : {}),
      additionalContext: {
        incidentId: event.incident.id,
        slo: shorten(event.slo.name, 256),
        severity: facts.severity,
        tenantsCount: String(facts.tenants.length),
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------------------

/**
 * Renders one alert event in every delivery format. The JSON document lists as many tenants and actions as keep
 * the whole SNS message (all protocol bodies plus attributes) under 256 KB.
 */
export function renderAlert(event: AlertEvent): RenderedAlert {
  validateAlertEvent(event);
  const facts = collectFacts(event);
  const subject = buildLine(facts, SUBJECT_STYLE);
  const headline = buildLine(facts, HEADLINE_STYLE);
  const text = renderText(facts);
  const attributes = renderAttributes(facts);
  const budget = SNS_MAX_MESSAGE_BYTES - SNS_SIZE_MARGIN_BYTES - attributesByteLength(attributes) - utf8ByteLength(subject);
  const json = fitDocument(facts, headline, text, budget);
  return { subject, text, json, attributes, slack: renderSlack(facts, subject, headline) };
}

function fitDocument(facts: AlertFacts, headline: string, text: string, budget: number): AlertDocument {
  const total = facts.tenants.length;
  const build = (tenants: number, actions: number): AlertDocument => buildDocument(facts, headline, { tenants, actions });
  const fits = (doc: AlertDocument): boolean => utf8ByteLength(snsMessageBody({ text, json: doc })) <= budget;
  for (const [step, actions] of ACTION_LIMITS.entries()) {
    const full = build(total, actions);
    if (fits(full)) return full;
    // Binary search for the most tenants that fit: every tenant entry adds bytes, so size grows with the count.
    let low = 0;
    let high = total - 1;
    let best: AlertDocument | null = null;
    while (low <= high) {
      const mid = Math.floor((low + high) / 2);
      const doc = build(mid, actions);
      if (fits(doc)) {
        best = doc;
        low = mid + 1;
      } else high = mid - 1;
    }
    const isLastStep = step === ACTION_LIMITS.length - 1;
    if (best !== null && (best.tenants.length >= Math.min(total, MIN_TENANTS_BEFORE_DROPPING_ACTIONS) || isLastStep)) return best;
  }
  throw new AlertTooLargeError(facts.event.incident.id, utf8ByteLength(snsMessageBody({ text, json: build(0, 0) })));
}

// ---------------------------------------------------------------------------------------------------------
// Parsing the JSON document (subscribers): validated at the boundary, every problem listed
// ---------------------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Checker {
  readonly problems: string[] = [];

  string(obj: Json, key: string, path: string, options: { nullable?: boolean; oneOf?: readonly string[] } = {}): void {
    const value = obj[key];
    if (options.nullable === true && value === null) return;
    if (typeof value !== 'string' || value === '') {
      this.problems.push(problem(`${path}${key}`, options.nullable === true ? 'a non-empty string or null' : 'a non-empty string', value));
    } else if (options.oneOf !== undefined && !options.oneOf.includes(value)) {
      this.problems.push(problem(`${path}${key}`, `one of ${options.oneOf.join(' | ')}`, value));
    }
  }

  number(obj: Json, key: string, path: string, nullable = false): void {
    const value = obj[key];
    if (nullable && value === null) return;
    if (!isFiniteNumber(value)) this.problems.push(problem(`${path}${key}`, nullable ? 'a finite number or null' : 'a finite number', value));
  }

  boolean(obj: Json, key: string, path: string): void {
    if (typeof obj[key] !== 'boolean') this.problems.push(problem(`${path}${key}`, 'true or false', obj[key]));
  }

  object(obj: Json, key: string, path: string, nullable = false): Json | null {
    const value = obj[key];
    if (nullable && value === null) return null;
    if (!isObject(value)) {
      this.problems.push(problem(`${path}${key}`, nullable ? 'an object or null' : 'an object', value));
      return null;
    }
    return value;
  }

  array(obj: Json, key: string, path: string): unknown[] {
    const value = obj[key];
    if (!Array.isArray(value)) {
      this.problems.push(problem(`${path}${key}`, 'an array', value));
      return [];
    }
    return value;
  }

  objects(obj: Json, key: string, path: string, each: (item: Json, itemPath: string) => void): void {
    this.array(obj, key, path).forEach((item, index) => {
      const itemPath = `${path}${key}[${index}]`;
      if (isObject(item)) each(item, `${itemPath}.`);
      else this.problems.push(problem(itemPath, 'an object', item));
    });
  }
}

const INCIDENT_STATUSES: readonly IncidentStatus[] = ['open', 'mitigating', 'resolved'];
const ACTION_KINDS: readonly ActionKind[] = ['codedeploy-rollback', 'asg-scale-out', 'notify-only'];
const ACTION_OUTCOMES: readonly ActionOutcome[] = ['succeeded', 'failed', 'skipped'];

/** Parses and validates an alert document (schemaVersion 1); throws AlertDocumentError listing every problem. */
export function parseAlertDocument(value: unknown): AlertDocument {
  const c = new Checker();
  if (!isObject(value)) throw new AlertDocumentError([problem('(document)', 'a JSON object', value)]);
  if (value.schemaVersion !== ALERT_SCHEMA_VERSION) c.problems.push(problem('schemaVersion', '1', value.schemaVersion));
  c.string(value, 'type', '', { oneOf: ALERT_EVENT_TYPES });
  c.string(value, 'severity', '', { oneOf: SEVERITIES });
  c.string(value, 'headline', '');
  c.string(value, 'at', '');
  const incident = c.object(value, 'incident', '');
  if (incident !== null) {
    c.string(incident, 'id', 'incident.');
    c.string(incident, 'status', 'incident.', { oneOf: INCIDENT_STATUSES });
    c.string(incident, 'openedAt', 'incident.');
    c.string(incident, 'resolvedAt', 'incident.', { nullable: true });
    c.number(incident, 'durationMinutes', 'incident.');
    c.string(incident, 'executionArn', 'incident.', { nullable: true });
  }
  const slo = c.object(value, 'slo', '');
  if (slo !== null) {
    c.string(slo, 'name', 'slo.');
    c.number(slo, 'objectivePercent', 'slo.');
  }
  const summary = c.object(value, 'summary', '');
  if (summary !== null) {
    c.number(summary, 'tenantsCount', 'summary.');
    c.array(summary, 'newTenants', 'summary.');
    c.number(summary, 'peakBurnRate', 'summary.');
    c.number(summary, 'minBudgetRemaining', 'summary.');
    c.number(summary, 'minTimeToExhaustionMinutes', 'summary.', true);
    c.number(summary, 'maxBudgetLost', 'summary.', true);
  }
  c.objects(value, 'tenants', '', (tenant, path) => {
    c.string(tenant, 'tenant', path);
    c.string(tenant, 'level', path, { oneOf: ALERT_LEVELS });
    c.boolean(tenant, 'isNew', path);
    c.object(tenant, 'burnRates', path);
    c.number(tenant, 'peakBurnRate', path);
    c.number(tenant, 'budgetRemaining', path);
    c.number(tenant, 'timeToExhaustionMinutes', path, true);
    c.string(tenant, 'joinedAt', path, { nullable: true });
    c.string(tenant, 'recoveredAt', path, { nullable: true });
    c.number(tenant, 'burnedMinutes', path, true);
    c.number(tenant, 'budgetLost', path, true);
  });
  const correlation = c.object(value, 'correlation', '', true);
  if (correlation !== null) {
    c.string(correlation, 'suspectedCause', 'correlation.');
    c.string(correlation, 'failureMode', 'correlation.', { oneOf: FAILURE_MODES });
    c.number(correlation, 'confidence', 'correlation.');
  }
  c.objects(value, 'actionsTaken', '', (action, path) => {
    c.string(action, 'kind', path, { oneOf: ACTION_KINDS });
    c.string(action, 'resource', path);
    c.string(action, 'outcome', path, { oneOf: ACTION_OUTCOMES });
    c.string(action, 'at', path);
  });
  c.objects(value, 'recommendedActions', '', (action, path) => {
    c.string(action, 'kind', path, { oneOf: ACTION_KINDS });
    c.string(action, 'resource', path);
    c.boolean(action, 'allowed', path);
    c.boolean(action, 'requiresApproval', path);
  });
  const approval = c.object(value, 'approval', '', true);
  if (approval !== null) c.string(approval, 'command', 'approval.');
  const links = c.object(value, 'links', '');
  if (links !== null) {
    for (const key of ['forensicBundle', 'forensicConsole', 'metricsConsole']) c.string(links, key, 'links.', { nullable: true });
  }
  c.boolean(value, 'truncated', '');
  const omitted = c.object(value, 'omitted', '');
  if (omitted !== null) {
    for (const key of ['tenants', 'newTenants', 'actionsTaken', 'recommendedActions']) c.number(omitted, key, 'omitted.');
  }
  if (c.problems.length > 0) throw new AlertDocumentError(c.problems);
  return value as unknown as AlertDocument;
}
