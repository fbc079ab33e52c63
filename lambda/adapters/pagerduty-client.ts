/**
 * PagerDuty Events API v2: turns an alert document into a trigger or resolve event and sends it with `fetch`.
 *
 * - One PagerDuty alert per Burnwatch incident: `dedup_key` is `burnwatch-<incident id>`, so `escalated` updates the
 *   alert `opened` created and `resolved` closes it.
 * - `mitigated` sends nothing: acknowledging would silence escalation while the mitigation is still unproven; the
 *   responder acknowledges, and the `resolved` event closes the alert once recovery is confirmed.
 * - 429 and 5xx (and network errors) are retried with exponential backoff up to a bound; any other 4xx is a
 *   request PagerDuty will never accept and fails at once with {@link PagerDutyRejectedError}.
 * - The routing key lives in Secrets Manager only (never in the environment or the template) and is cached per
 *   container.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AlertDocument } from '../domain/alert-message';
import { formatBurnRate, formatPercent } from '../domain/alert-message';
import type { Sleep } from './sns-notifier';

export const DEFAULT_PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
/** PagerDuty truncates longer summaries; cutting here keeps the end readable. */
export const PAGERDUTY_SUMMARY_MAX_LENGTH = 1024;
/** PagerDuty's limit on dedup_key. */
export const PAGERDUTY_DEDUP_KEY_MAX_LENGTH = 255;
const CUSTOM_DETAILS_TOP_TENANTS = 20;
const MAX_BACKOFF_MS = 10_000;

/** Environment of the subscriber Lambda, set by the alert-channels construct. */
export const PAGERDUTY_ENVIRONMENT = {
  /** ARN of the secret holding the routing (integration) key. */
  secretArn: 'PAGERDUTY_SECRET_ARN',
  /** Overrides {@link DEFAULT_PAGERDUTY_EVENTS_URL} (e.g. an EU service region or a test server). */
  eventsUrl: 'PAGERDUTY_EVENTS_URL',
} as const;

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PagerDutyLink {
  readonly href: string;
  readonly text: string;
}

export type PagerDutyCustomDetails = Readonly<Record<string, string | number | boolean | null | readonly unknown[] | object>>;

export interface PagerDutyTriggerEvent {
  readonly routing_key: string;
  readonly event_action: 'trigger';
  readonly dedup_key: string;
  readonly payload: {
    readonly summary: string;
    readonly source: string;
    readonly severity: PagerDutySeverity;
    readonly timestamp: string;
    readonly component: string;
    readonly group: string;
    readonly class: string;
    readonly custom_details: PagerDutyCustomDetails;
  };
  readonly links: readonly PagerDutyLink[];
  readonly client: string;
  readonly client_url?: string;
}

export interface PagerDutyResolveEvent {
  readonly routing_key: string;
  readonly event_action: 'resolve';
  readonly dedup_key: string;
}

export type PagerDutyEvent = PagerDutyTriggerEvent | PagerDutyResolveEvent;

export type PagerDutyDeliveryResult =
  | { readonly status: 'sent'; readonly action: PagerDutyEvent['event_action']; readonly dedupKey: string; readonly attempts: number }
  | { readonly status: 'skipped'; readonly reason: string; readonly dedupKey: string };

/** PagerDuty answered with a 4xx other than 429: the request is wrong and sending it again will not help. */
export class PagerDutyRejectedError extends Error {
  constructor(
    readonly status: number,
    readonly responseBody: string,
    readonly dedupKey: string,
  ) {
    super(`PagerDuty rejected the event for ${dedupKey} with HTTP ${status}: ${responseBody.slice(0, 500)}`);
    this.name = 'PagerDutyRejectedError';
  }
}

/** Throttled, server errors or network failures until the attempts ran out. */
export class PagerDutyDeliveryError extends Error {
  constructor(
    readonly dedupKey: string,
    readonly attempts: number,
    readonly lastFailure: string,
  ) {
    super(`PagerDuty event for ${dedupKey} not delivered after ${attempts} attempt(s); last failure: ${lastFailure}`);
    this.name = 'PagerDutyDeliveryError';
  }
}

/** The routing key could not be read from Secrets Manager, or the secret holds no usable key. Never includes the value. */
export class RoutingKeyUnavailableError extends Error {
  constructor(secretArn: string, reason: string, options?: ErrorOptions) {
    super(`PagerDuty routing key from secret ${secretArn}: ${reason}`, options);
    this.name = 'RoutingKeyUnavailableError';
  }
}

export class InvalidPagerDutyOptionError extends Error {
  constructor(field: string, allowed: string, value: unknown) {
    super(`${field} must be ${allowed}; got ${JSON.stringify(value)}`);
    this.name = 'InvalidPagerDutyOptionError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Payload
// ---------------------------------------------------------------------------------------------------------

/** Stable per incident, so every event of one incident lands on the same PagerDuty alert. */
export function pagerDutyDedupKey(incidentId: string): string {
  const key = `burnwatch-${incidentId}`;
  if (incidentId === '' || key.length > PAGERDUTY_DEDUP_KEY_MAX_LENGTH) {
    throw new InvalidPagerDutyOptionError(
      'incident.id',
      `a non-empty id of at most ${PAGERDUTY_DEDUP_KEY_MAX_LENGTH - 'burnwatch-'.length} characters`,
      incidentId.slice(0, 80),
    );
  }
  return key;
}

function isHttpUrl(value: string | null): value is string {
  return value !== null && /^https?:\/\//i.test(value);
}

function links(doc: AlertDocument): PagerDutyLink[] {
  const out: PagerDutyLink[] = [];
  if (isHttpUrl(doc.links.forensicConsole)) out.push({ href: doc.links.forensicConsole, text: 'Forensic bundle' });
  if (isHttpUrl(doc.links.metricsConsole)) out.push({ href: doc.links.metricsConsole, text: 'Burn-rate metrics' });
  return out;
}

function customDetails(doc: AlertDocument): PagerDutyCustomDetails {
  const top = doc.tenants.slice(0, CUSTOM_DETAILS_TOP_TENANTS).map((t) => ({
    tenant: t.tenant,
    level: t.level,
    burn_rates: t.burnRates,
    budget_remaining: formatPercent(t.budgetRemaining),
    time_to_exhaustion_minutes: t.timeToExhaustionMinutes,
  }));
  return {
    incident_id: doc.incident.id,
    event_type: doc.type,
    slo: doc.slo.name,
    objective_percent: doc.slo.objectivePercent,
    tenants_count: doc.summary.tenantsCount,
    new_tenants: doc.summary.newTenants,
    peak_burn_rate: formatBurnRate(doc.summary.peakBurnRate),
    min_budget_remaining: formatPercent(doc.summary.minBudgetRemaining),
    min_time_to_exhaustion_minutes: doc.summary.minTimeToExhaustionMinutes,
    tenants: top,
    tenants_not_listed: doc.summary.tenantsCount - top.length,
    suspected_cause: doc.correlation?.suspectedCause ?? null,
    failure_mode: doc.correlation?.failureMode ?? null,
    confidence: doc.correlation?.confidence ?? null,
    actions_taken: doc.actionsTaken.map((a) => `${a.kind} on ${a.resource}: ${a.outcome}${a.detail === '' ? '' : ` - ${a.detail}`}`),
    recommended_actions: doc.recommendedActions.map(
      (a) => `${a.kind} on ${a.resource}${a.requiresApproval ? ' (needs approval)' : ''}${a.blockedBy.length > 0 ? ` blocked by ${a.blockedBy.join(', ')}` : ''}`,
    ),
    approve_command: doc.approval?.command ?? null,
    forensic_bundle: doc.links.forensicBundle,
    execution_arn: doc.incident.executionArn,
    opened_at: doc.incident.openedAt,
  };
}

/**
 * The Events API v2 event for an alert document, or null when the event type maps to no PagerDuty action
 * (`mitigated`, see the module comment).
 */
export function buildPagerDutyEvent(doc: AlertDocument, routingKey: string): PagerDutyEvent | null {
  const dedupKey = pagerDutyDedupKey(doc.incident.id);
  switch (doc.type) {
    case 'mitigated':
      return null;
    case 'resolved':
      return { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey };
    case 'opened':
    case 'escalated': {
      const single = doc.summary.tenantsCount === 1 ? doc.tenants[0]?.tenant : undefined;
      return {
        routing_key: routingKey,
        event_action: 'trigger',
        dedup_key: dedupKey,
        payload: {
          summary: Array.from(doc.headline).slice(0, PAGERDUTY_SUMMARY_MAX_LENGTH).join(''),
          source: `burnwatch/${doc.slo.name}`,
          severity: doc.severity === 'page' ? 'critical' : 'warning',
          timestamp: doc.at,
          component: single ?? `${doc.summary.tenantsCount} tenants`,
          group: doc.slo.name,
          class: doc.correlation?.failureMode ?? 'error-budget-burn',
          custom_details: customDetails(doc),
        },
        links: links(doc),
        client: 'Burnwatch',
        ...(isHttpUrl(doc.links.metricsConsole) ? { client_url: doc.links.metricsConsole } : {}),
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Routing key
// ---------------------------------------------------------------------------------------------------------

export interface RoutingKeySource {
  getRoutingKey(): Promise<string>;
}

/** Accepts the bare key or a JSON object with `routingKey`, `routing_key` or `integrationKey`. */
export function routingKeyFromSecretString(secretString: string): string | null {
  const trimmed = secretString.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (typeof parsed === 'object' && parsed !== null) {
        const record = parsed as Record<string, unknown>;
        const value = record.routingKey ?? record.routing_key ?? record.integrationKey;
        return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
      }
    } catch {
      return null;
    }
  }
  return trimmed === '' ? null : trimmed;
}

/** Reads the routing key once per container; a failed read is not cached, so the next message tries again. */
export class SecretsManagerRoutingKey implements RoutingKeySource {
  private cached: Promise<string> | null = null;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretArn: string,
  ) {
    if (secretArn === '') throw new InvalidPagerDutyOptionError(PAGERDUTY_ENVIRONMENT.secretArn, 'a Secrets Manager secret ARN', secretArn);
  }

  getRoutingKey(): Promise<string> {
    this.cached ??= this.read().catch((error: unknown) => {
      this.cached = null;
      throw error;
    });
    return this.cached;
  }

  private async read(): Promise<string> {
    let secretString: string | undefined;
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretArn }));
      secretString = out.SecretString;
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new RoutingKeyUnavailableError(this.secretArn, `GetSecretValue failed (${reason})`, { cause: error });
    }
    const key = secretString === undefined ? null : routingKeyFromSecretString(secretString);
    if (key === null) {
      throw new RoutingKeyUnavailableError(
        this.secretArn,
        'the secret must hold the key as a string or as JSON {"routingKey": "..."}',
      );
    }
    return key;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------------------

export interface PagerDutyClientOptions {
  readonly routingKey: RoutingKeySource;
  /** @default DEFAULT_PAGERDUTY_EVENTS_URL */
  readonly url?: string;
  /** Attempts per event, the first included. @default 4 */
  readonly maxAttempts?: number;
  /** First backoff; doubled per retry, at most 10 s. @default 500 */
  readonly baseDelayMs?: number;
  /** Per-request timeout. @default 5000 */
  readonly timeoutMs?: number;
  readonly sleep?: Sleep;
}

const defaultSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function retryAfterMs(response: Response): number | null {
  const header = response.headers.get('retry-after');
  if (header === null) return null;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1_000, MAX_BACKOFF_MS) : null;
}

export class PagerDutyClient {
  private readonly url: string;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: Sleep;

  constructor(private readonly options: PagerDutyClientOptions) {
    this.url = options.url ?? DEFAULT_PAGERDUTY_EVENTS_URL;
    // Worst case with the defaults: 4 x 5 s + 0.5 + 1 + 2 s of backoff, inside the subscriber's 30 s timeout.
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.sleep = options.sleep ?? defaultSleep;
    if (!/^https?:\/\//i.test(this.url)) throw new InvalidPagerDutyOptionError('url', 'an http(s) URL', this.url);
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new InvalidPagerDutyOptionError('maxAttempts', 'an integer >= 1', options.maxAttempts);
    }
    if (!(this.baseDelayMs >= 0)) throw new InvalidPagerDutyOptionError('baseDelayMs', 'a number >= 0', options.baseDelayMs);
  }

  /** Maps the alert document to its PagerDuty action and sends it; `mitigated` is skipped. */
  async deliver(doc: AlertDocument): Promise<PagerDutyDeliveryResult> {
    const routingKey = await this.options.routingKey.getRoutingKey();
    const event = buildPagerDutyEvent(doc, routingKey);
    if (event === null) {
      return { status: 'skipped', reason: `${doc.type} events are not sent to PagerDuty`, dedupKey: pagerDutyDedupKey(doc.incident.id) };
    }
    const attempts = await this.send(event);
    return { status: 'sent', action: event.event_action, dedupKey: event.dedup_key, attempts };
  }

  /** Posts one event; returns the number of attempts it took. */
  async send(event: PagerDutyEvent): Promise<number> {
    const body = JSON.stringify(event);
    let lastFailure = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      let waitMs = this.baseDelayMs * 2 ** (attempt - 1);
      try {
        const response = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        // An error answer may quote the request; the routing key must not reach logs or the dead-letter trail.
        const text = (await response.text()).split(event.routing_key).join('<routing key>');
        if (response.ok) return attempt;
        if (response.status !== 429 && response.status < 500) throw new PagerDutyRejectedError(response.status, text, event.dedup_key);
        lastFailure = `HTTP ${response.status}: ${text.slice(0, 200)}`;
        waitMs = retryAfterMs(response) ?? waitMs;
      } catch (error) {
        if (error instanceof PagerDutyRejectedError) throw error;
        // fetch rejects on network failures and timeouts: worth another try, like a 5xx.
        lastFailure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      if (attempt < this.maxAttempts) await this.sleep(Math.min(waitMs, MAX_BACKOFF_MS));
    }
    throw new PagerDutyDeliveryError(event.dedup_key, this.maxAttempts, lastFailure);
  }
}
