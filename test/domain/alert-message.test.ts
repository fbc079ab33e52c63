import {
  ALERT_SCHEMA_VERSION,
  AlertDocumentError,
  InvalidAlertEventError,
  SLACK_DESCRIPTION_MAX_LENGTH,
  SNS_MAX_MESSAGE_BYTES,
  SUBJECT_MAX_LENGTH,
  TEXT_TOP_TENANTS,
  formatBurnRate,
  formatDuration,
  matchesFilter,
  parseAlertDocument,
  renderAlert,
  shorten,
  snsMessageBody,
  toAsciiPrintable,
  validateAlertFilter,
} from '../../lambda/domain/alert-message';
import type { AlertEvent, AlertTenant, RenderedAlert } from '../../lambda/domain/alert-message';
import type { ActionResult, AlertEventType, IncidentTenant, PlannedAction } from '../../lambda/domain/model';
import { MINUTE_MS } from '../../lambda/domain/model';

// ---------------------------------------------------------------------------------------------------------
// Numbers from the SRE Workbook: budget = 1 - objective; a burn rate b over a period P exhausts the
// remaining budget r in r * P / b; burning at b for t minutes costs b * t / P of the period's budget.
// ---------------------------------------------------------------------------------------------------------
const PERIOD_MINUTES = 30 * 24 * 60; // 43,200 minutes in a 30-day SLO period
const timeToExhaustion = (remaining: number, burnRate: number): number => (remaining * PERIOD_MINUTES) / burnRate;
const budgetCost = (burnRate: number, minutes: number): number => (burnRate * minutes) / PERIOD_MINUTES;

const OPENED_AT = Date.UTC(2024, 4, 1, 12, 0);
const SLO = { name: 'api-availability', objectivePercent: 99.9 };
const FORENSIC = {
  s3Uri: 's3://burnwatch-forensics/incidents/inc-42/bundle.json',
  consoleUrl: 'https://console.aws.amazon.com/s3/object/burnwatch-forensics?prefix=incidents/inc-42/bundle.json',
};

function burningTenant(tenant: string, burnRate: number, remaining = 0.71): AlertTenant {
  return {
    tenant,
    level: 'page',
    burnRates: { '5m': burnRate * 0.9, '1h': burnRate },
    budgetRemaining: remaining,
    timeToExhaustionMinutes: timeToExhaustion(remaining, burnRate),
    recoveredAt: null,
    budgetLost: null,
  };
}

function incidentTenant(tenant: string, joinedAt: number): IncidentTenant {
  return { tenant, joinedAt, level: 'page', burnRates: {}, budgetRemainingAtJoin: 0.8, recoveredAt: null, budgetLost: null };
}

function alertEvent(type: AlertEventType, tenants: readonly AlertTenant[], extra: Partial<AlertEvent> = {}): AlertEvent {
  const at = extra.at ?? OPENED_AT + 42 * MINUTE_MS;
  return {
    schemaVersion: 1,
    type,
    incident: {
      id: 'inc-42',
      slo: SLO.name,
      severity: 'page',
      status: type === 'resolved' ? 'resolved' : 'open',
      openedAt: OPENED_AT,
      resolvedAt: type === 'resolved' ? at : null,
      tenants: tenants.map((t) => incidentTenant(t.tenant, OPENED_AT)),
      executionArn: null,
      suspectedCause: null,
      failureMode: null,
      forensicUri: FORENSIC.s3Uri,
      timeline: [],
      version: 1,
    },
    slo: SLO,
    tenants,
    forensic: FORENSIC,
    at,
    ...extra,
  };
}

function manyTenants(count: number, name: (index: number) => string = (i) => `tenant-${String(i).padStart(4, '0')}`): AlertTenant[] {
  // Burn rates fall with the index, so the top tenants by burn are the first ones.
  return Array.from({ length: count }, (_, i) => burningTenant(name(i), 30 - (i % 1000) * 0.01));
}

const rollback: PlannedAction = {
  kind: 'codedeploy-rollback',
  resource: 'api-prod',
  parameters: { deploymentId: 'd-4F2' },
  allowed: true,
  blockedBy: [],
  requiresApproval: false,
  reason: 'deployment d-4F2 started 3 minutes before the burn',
};
const scaleOut: PlannedAction = {
  kind: 'asg-scale-out',
  resource: 'api-asg',
  parameters: { newMax: 12, newDesired: 10 },
  allowed: false,
  blockedBy: ['cooldown'],
  requiresApproval: true,
  reason: 'CPU at 95%',
};
const rolledBack: ActionResult = { action: rollback, outcome: 'succeeded', detail: 'rollback deployment d-4F3 created', at: OPENED_AT + 5 * MINUTE_MS };

/** What SNS counts: the Message with every protocol body plus attribute names, types and values, in UTF-8 bytes. */
function publishedBytes(rendered: RenderedAlert): number {
  const attributes = Object.entries(rendered.attributes).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value.DataType) + Buffer.byteLength(value.StringValue),
    0,
  );
  return Buffer.byteLength(snsMessageBody(rendered), 'utf8') + attributes;
}

describe('renderAlert', () => {
  describe('subject', () => {
    it('names the single tenant, its burn rate, budget left and time to exhaustion', () => {
      // Prepare: 15.2x with 71% left of a 30-day budget: 0.71 * 43,200 / 15.2 = 2,017.9 min = 1 day 9.6 h
      const event = alertEvent('opened', [burningTenant('acme-corp', 15.2)]);
      // Act
      const { subject } = renderAlert(event);
      // Assess
      expect(subject).toBe('[PAGE] api-availability: acme-corp burn 15.2x, budget 71% left, ETA 1d 9h');
    });

    it('counts the tenants of a shared incident and names the two burning fastest', () => {
      // Prepare
      const tenants = manyTenants(40, (i) => `t${i}`);
      // Act
      const { subject } = renderAlert(alertEvent('opened', tenants));
      // Assess: t0 burns at 30x; 0.71 * 43,200 / 30 = 1,022.4 min = 17 h 2 m
      expect(subject).toBe('[PAGE] api-availability: 40 tenants (t0, t1, +38) burn 30x, budget 71% left, ETA 17h 2m');
    });

    it('drops the time to exhaustion first when the whole line does not fit', () => {
      // Prepare
      const tenants = manyTenants(40);
      // Act
      const { subject } = renderAlert(alertEvent('opened', tenants));
      // Assess
      expect(subject).toBe('[PAGE] api-availability: 40 tenants (tenant-0000, tenant-0001, +38) burn 30x, budget 71% left');
    });

    it('reports a resolved incident with its duration and budget cost', () => {
      // Prepare: 14.4x for 42 minutes of a 30-day period costs 14.4 * 42 / 43,200 = 1.4% of the budget
      const tenant: AlertTenant = {
        ...burningTenant('acme-corp', 0.2, 0.69),
        level: 'ok',
        timeToExhaustionMinutes: null,
        recoveredAt: OPENED_AT + 42 * MINUTE_MS,
        budgetLost: budgetCost(14.4, 42),
      };
      // Act
      const { subject } = renderAlert(alertEvent('resolved', [tenant]));
      // Assess
      expect(subject).toBe('[RESOLVED] api-availability: acme-corp after 42m, cost 1.4% budget');
    });

    it('names the tenants that joined when an incident escalates', () => {
      // Prepare
      const tenants = [burningTenant('acme-corp', 15.2), burningTenant('initech', 20), burningTenant('umbrella', 18)];
      // Act
      const { subject } = renderAlert(alertEvent('escalated', tenants, { newTenants: ['initech', 'umbrella'] }));
      // Assess
      expect(subject).toMatch(/^\[PAGE\] api-availability escalated: initech, umbrella joined, 3 tenants burn 20x/);
    });

    it('says a mitigated burn is coming down and how long the incident has run', () => {
      // Prepare
      const tenant = { ...burningTenant('acme-corp', 0.8), timeToExhaustionMinutes: null };
      // Act
      const { subject } = renderAlert(alertEvent('mitigated', [tenant], { at: OPENED_AT + 18 * MINUTE_MS }));
      // Assess
      expect(subject).toBe('[MITIGATED] api-availability: acme-corp burn down to 0.8x after 18m');
    });

    it('marks a ticket-level incident as a ticket', () => {
      // Prepare
      const base = alertEvent('opened', [{ ...burningTenant('acme-corp', 3), level: 'ticket' }]);
      const event: AlertEvent = { ...base, incident: { ...base.incident, severity: 'ticket' } };
      // Act
      const { subject } = renderAlert(event);
      // Assess
      expect(subject.startsWith('[TICKET] api-availability: acme-corp burn 3x')).toBe(true);
    });

    it.each([
      ['a 1,000-character tenant name', 'tenant-'.repeat(143).slice(0, 1000)],
      ['a 1,000-character name without breaks', 'x'.repeat(1000)],
      ['unicode letters', 'Zürich-Straße-Ærø-Łódź'],
      ['emoji and quotes', '🍕 "Zoë\'s" café 🚀'],
      ['only non-latin script', '東京テナント'],
      ['line breaks and control characters', 'acme\ncorp\t\u0007'],
    ])('stays within %s as printable ASCII of at most the SNS limit', (_name, tenantName) => {
      // Prepare
      const event = alertEvent('opened', [burningTenant(tenantName, 15.2), burningTenant(`${tenantName}-2`, 14.9)]);
      // Act
      const { subject } = renderAlert(event);
      // Assess
      expect(SUBJECT_MAX_LENGTH).toBeLessThanOrEqual(100);
      expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
      expect(subject).toMatch(/^[\x20-\x7e]+$/);
      expect(subject.startsWith('[PAGE] api-availability: 2 tenants (')).toBe(true);
    });

    it('transliterates accents and quotes and drops emoji rather than mangling them', () => {
      // Prepare
      const event = alertEvent('opened', [burningTenant('🍕 “Zoë’s” café', 15.2)]);
      // Act
      const { subject } = renderAlert(event);
      // Assess
      expect(subject.startsWith('[PAGE] api-availability: "Zoe\'s" cafe burn 15.2x')).toBe(true);
    });

    it('drops the least important clauses before cutting words when the SLO name is long', () => {
      // Prepare
      const event = alertEvent('opened', [burningTenant('acme-corp', 15.2)], {
        slo: { name: 'checkout-payments-availability-eu-west', objectivePercent: 99.95 },
      });
      // Act
      const { subject } = renderAlert(event);
      // Assess
      expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
      expect(subject).toContain('acme-corp burn 15.2x');
      expect(subject.endsWith('...')).toBe(false);
    });
  });

  describe('text body', () => {
    it('gives a responder the burn per window, budget, time to exhaustion, cause, actions, approval and links', () => {
      // Prepare
      const event = alertEvent('opened', [burningTenant('acme-corp', 15.2)], {
        correlation: { suspectedCause: 'deployment d-4F2 to api-prod (InProgress)', failureMode: 'deployment', confidence: 0.82 },
        actions: [rolledBack],
        recommended: [scaleOut],
        approval: { command: 'burnwatch approve inc-42 --action asg-scale-out' },
        metricsConsoleUrl: 'https://console.aws.amazon.com/cloudwatch/home#dashboards:name=burnwatch',
      });
      // Act
      const { text } = renderAlert(event);
      // Assess: 5m burns at 0.9 * 15.2 = 13.68 -> 13.7x
      expect(text).toContain('- acme-corp [page]; burn 5m 13.7x, 1h 15.2x; budget 71% left; exhausted in 1d 9h');
      expect(text).toContain('Suspected cause: deployment d-4F2 to api-prod (InProgress) (deployment, confidence 82%)');
      expect(text).toContain('- codedeploy-rollback on api-prod: succeeded - rollback deployment d-4F3 created (2024-05-01 12:05 UTC)');
      expect(text).toContain('- asg-scale-out on api-asg (newMax=12, newDesired=10): needs approval; blocked by cooldown; CPU at 95%');
      expect(text).toContain('To approve: burnwatch approve inc-42 --action asg-scale-out');
      expect(text).toContain(`Forensic bundle: ${FORENSIC.s3Uri}`);
      expect(text).toContain('Metrics console: https://console.aws.amazon.com/cloudwatch/home#dashboards:name=burnwatch');
    });

    it('lists the top tenants by burn rate and counts the rest with a pointer to the forensic bundle', () => {
      // Prepare
      const tenants = manyTenants(40);
      // Act
      const { text } = renderAlert(alertEvent('opened', [...tenants].reverse()));
      // Assess
      const listedTenants = text.split('\n').filter((line) => line.startsWith('- tenant-'));
      expect(listedTenants).toHaveLength(TEXT_TOP_TENANTS);
      expect(listedTenants[0]).toContain('tenant-0000');
      expect(listedTenants[TEXT_TOP_TENANTS - 1]).toContain(`tenant-00${TEXT_TOP_TENANTS - 1}`);
      expect(text).toContain(`... 20 more in the forensic bundle ${FORENSIC.s3Uri}`);
    });

    it('lists per tenant how long it burned and the budget it lost once resolved, and the incident duration', () => {
      // Prepare: acme joined at the start and recovered after 42 min at 14.4x; globex joined 10 min in, recovered 20 min later at 6x
      const resolvedAt = OPENED_AT + 50 * MINUTE_MS;
      const acme: AlertTenant = { ...burningTenant('acme-corp', 0.1), level: 'ok', timeToExhaustionMinutes: null, recoveredAt: OPENED_AT + 42 * MINUTE_MS, budgetLost: budgetCost(14.4, 42) };
      const globex: AlertTenant = { ...burningTenant('globex', 0.1), level: 'ok', timeToExhaustionMinutes: null, recoveredAt: OPENED_AT + 30 * MINUTE_MS, budgetLost: budgetCost(6, 20) };
      const base = alertEvent('resolved', [globex, acme], { at: resolvedAt });
      const event: AlertEvent = {
        ...base,
        incident: { ...base.incident, tenants: [incidentTenant('acme-corp', OPENED_AT), incidentTenant('globex', OPENED_AT + 10 * MINUTE_MS)] },
      };
      // Act
      const { text } = renderAlert(event);
      // Assess: 14.4 * 42 / 43,200 = 1.4%; 6 * 20 / 43,200 = 0.28% -> 0.3%
      expect(text).toContain('Resolved: 2024-05-01 12:50 UTC, duration 50m');
      expect(text).toContain('- acme-corp: burned 42m, lost 1.4% of budget');
      expect(text).toContain('- globex: burned 20m, lost 0.3% of budget');
      expect(text.indexOf('- acme-corp')).toBeLessThan(text.indexOf('- globex'));
    });

    it('names the new tenants of an escalation', () => {
      // Prepare
      const tenants = [burningTenant('acme-corp', 15.2), burningTenant('initech', 20)];
      // Act
      const { text } = renderAlert(alertEvent('escalated', tenants, { newTenants: ['initech'] }));
      // Assess
      expect(text).toContain('New tenants (1):\n- initech');
      expect(text).toContain('- initech (new) [page]');
    });

    it('keeps unicode and emoji in the text but never a line break inside a tenant line', () => {
      // Prepare
      const event = alertEvent('opened', [burningTenant('🍕 Zoë\'s\ncafé', 15.2)]);
      // Act
      const { text } = renderAlert(event);
      // Assess
      expect(text).toContain("- 🍕 Zoë's café [page]");
    });
  });

  describe('JSON document', () => {
    it('is versioned and carries the incident, SLO, summary and every tenant of a small incident', () => {
      // Prepare
      const event = alertEvent('opened', [burningTenant('globex', 10), burningTenant('acme-corp', 15.2)]);
      // Act
      const { json } = renderAlert(event);
      // Assess
      expect(json.schemaVersion).toBe(ALERT_SCHEMA_VERSION);
      expect(json).toMatchObject({
        type: 'opened',
        severity: 'page',
        at: '2024-05-01T12:42:00.000Z',
        incident: { id: 'inc-42', status: 'open', openedAt: '2024-05-01T12:00:00.000Z', resolvedAt: null, durationMinutes: 42 },
        slo: SLO,
        summary: { tenantsCount: 2, newTenants: [] },
        links: { forensicBundle: FORENSIC.s3Uri, forensicConsole: FORENSIC.consoleUrl, metricsConsole: null },
        truncated: false,
        omitted: { tenants: 0, newTenants: 0, actionsTaken: 0, recommendedActions: 0 },
      });
      expect(json.tenants.map((t) => t.tenant)).toEqual(['acme-corp', 'globex']);
      expect(json.summary.peakBurnRate).toBeCloseTo(15.2);
      expect(json.summary.minTimeToExhaustionMinutes).toBeCloseTo(timeToExhaustion(0.71, 15.2));
    });

    it('keeps a 1,000-character tenant id whole', () => {
      // Prepare
      const longName = 'a'.repeat(1000);
      // Act
      const { json, attributes } = renderAlert(alertEvent('opened', [burningTenant(longName, 15.2)]));
      // Assess
      expect(json.tenants[0]?.tenant).toBe(longName);
      expect(attributes.tenant.StringValue).toBe(longName);
      expect(json.truncated).toBe(false);
    });

    it('survives JSON and parses back into the same document', () => {
      // Prepare
      const { json } = renderAlert(alertEvent('opened', [burningTenant('acme-corp', 15.2)], { actions: [rolledBack], recommended: [scaleOut] }));
      // Act
      const parsed = parseAlertDocument(JSON.parse(JSON.stringify(json)));
      // Assess
      expect(parsed).toEqual(json);
    });
  });

  describe('attributes', () => {
    it.each([
      ['one tenant', [burningTenant('acme-corp', 15.2)], 'acme-corp', '1'],
      ['many tenants', manyTenants(40), 'multiple', '40'],
    ])('are SNS String attributes for filter policies with %s', (_name, tenants, tenant, count) => {
      // Prepare
      const event = alertEvent('opened', tenants);
      // Act
      const { attributes } = renderAlert(event);
      // Assess
      expect(attributes).toEqual({
        severity: { DataType: 'String', StringValue: 'page' },
        tenant: { DataType: 'String', StringValue: tenant },
        tenants_count: { DataType: 'String', StringValue: count },
        slo: { DataType: 'String', StringValue: 'api-availability' },
        event_type: { DataType: 'String', StringValue: 'opened' },
        incident_id: { DataType: 'String', StringValue: 'inc-42' },
      });
    });
  });

  describe('size', () => {
    const hugeEvidence: Partial<AlertEvent> = {
      correlation: { suspectedCause: 'stack trace line\n'.repeat(5_000), failureMode: 'dependency', confidence: 0.4 },
      actions: Array.from({ length: 200 }, (_, i) => ({ ...rolledBack, detail: `detail ${i} `.repeat(2_000) })),
      recommended: Array.from({ length: 200 }, () => ({ ...scaleOut, reason: 'because '.repeat(2_000) })),
      approval: { command: 'burnwatch approve inc-42 '.repeat(500) },
    };

    it.each<[string, AlertTenant[], Partial<AlertEvent>]>([
      ['5,000 tenants', manyTenants(5_000), {}],
      ['5,000 tenants with 1,000-character multi-byte names', manyTenants(5_000, (i) => `${i}-${'ž🍕'.repeat(333)}`), {}],
      ['5,000 tenants and huge evidence', manyTenants(5_000), hugeEvidence],
      ['one tenant and huge evidence', [burningTenant('acme-corp', 15.2)], hugeEvidence],
    ])('keeps the whole SNS message under 256 KB with %s', (_name, tenants, extra) => {
      // Prepare
      const event = alertEvent('opened', tenants, extra);
      // Act
      const rendered = renderAlert(event);
      // Assess
      expect(publishedBytes(rendered)).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
      expect(rendered.json.truncated).toBe(true);
      expect(rendered.json.tenants.length + rendered.json.omitted.tenants).toBe(tenants.length);
    });

    it('says how many tenants it left out, in the text and the JSON', () => {
      // Prepare
      const tenants = manyTenants(5_000);
      // Act
      const { json, text } = renderAlert(alertEvent('opened', tenants));
      // Assess
      expect(json.omitted.tenants).toBeGreaterThan(0);
      expect(json.tenants[0]?.tenant).toBe('tenant-0000');
      expect(text).toContain(`... ${(5_000 - TEXT_TOP_TENANTS).toLocaleString('en-US')} more in the forensic bundle ${FORENSIC.s3Uri}`);
    });
  });

  describe('Slack (AWS Chatbot custom notification)', () => {
    it('follows the custom notification schema and threads by incident', () => {
      // Prepare
      const event = alertEvent('opened', manyTenants(40), {
        approval: { command: 'burnwatch approve inc-42 --action asg-scale-out' },
        correlation: { suspectedCause: 'deployment d-4F2', failureMode: 'deployment', confidence: 0.8 },
      });
      // Act
      const { slack, subject } = renderAlert(event);
      // Assess
      expect(slack).toMatchObject({
        version: '1.0',
        source: 'custom',
        content: {
          textType: 'client-markdown',
          title: subject,
          nextSteps: ['Approve: `burnwatch approve inc-42 --action asg-scale-out`', `Forensic bundle: ${FORENSIC.consoleUrl}`],
          keywords: ['page', 'opened', 'api-availability', 'deployment'],
        },
        metadata: { threadId: 'inc-42', eventType: 'burnwatch.opened', relatedResources: [FORENSIC.s3Uri] },
      });
      expect(slack.content.description).toContain('... 30 more in the forensic bundle');
      expect(Object.values(slack.metadata?.additionalContext ?? {}).every((value) => typeof value === 'string')).toBe(true);
    });

    it('keeps the description within what Slack shows, dropping whole lines', () => {
      // Prepare
      const event = alertEvent('opened', manyTenants(10, (i) => `${i}-${'long-tenant-name-'.repeat(30)}`));
      // Act
      const { slack } = renderAlert(event);
      // Assess
      expect(slack.content.description.length).toBeLessThanOrEqual(SLACK_DESCRIPTION_MAX_LENGTH);
      expect(slack.content.description.split('\n').every((line) => line.length <= 200 || !line.startsWith('- '))).toBe(true);
    });
  });

  describe('bad input', () => {
    it('lists every problem of an event at once, naming the field', () => {
      // Prepare
      const event = { ...alertEvent('opened', []), type: 'closed' as AlertEventType, slo: { name: '', objectivePercent: 100 } };
      // Act
      const act = (): RenderedAlert => renderAlert(event);
      // Assess
      expect(act).toThrow(InvalidAlertEventError);
      expect(act).toThrow(/type must be opened \| escalated \| mitigated \| resolved; got "closed"/);
      expect(act).toThrow(/slo\.name must be a non-empty string/);
      expect(act).toThrow(/slo\.objectivePercent must be a number between 0 and 100/);
      expect(act).toThrow(/tenants must be a non-empty array/);
    });

    it('rejects a burn rate that is not a finite number', () => {
      // Prepare
      const event = alertEvent('opened', [{ ...burningTenant('acme-corp', 15.2), burnRates: { '1h': Number.NaN } }]);
      // Act
      const act = (): RenderedAlert => renderAlert(event);
      // Assess
      expect(act).toThrow(/tenants\[0\]\.burnRates\.1h must be a finite number >= 0; got null/);
    });
  });
});

describe('parseAlertDocument', () => {
  it.each<[string, unknown, RegExp]>([
    ['not an object', 'hello', /\(document\) must be a JSON object/],
    ['a newer schema version', { schemaVersion: 2 }, /schemaVersion must be 1; got 2/],
    ['an unknown severity', { severity: 'urgent' }, /severity must be one of page \| ticket; got "urgent"/],
    ['a missing incident id', { incident: { status: 'open' } }, /incident\.id must be a non-empty string; got undefined/],
    ['a tenant without a name', { tenants: [{ level: 'page' }] }, /tenants\[0\]\.tenant must be a non-empty string/],
  ])('rejects %s with the field, what is allowed and what was given', (_name, value, expected) => {
    // Prepare
    const base = renderAlert(alertEvent('opened', [burningTenant('acme-corp', 15.2)])).json;
    const document = typeof value === 'object' && value !== null ? { ...base, ...value } : value;
    // Act
    const act = (): unknown => parseAlertDocument(document);
    // Assess
    expect(act).toThrow(AlertDocumentError);
    expect(act).toThrow(expected);
  });
});

describe('formatting', () => {
  it.each([
    [0.4, '0m'],
    [42, '42m'],
    [60, '1h'],
    [245, '4h 5m'],
    [24 * 60, '1d'],
    [2 * 24 * 60 + 3 * 60 + 59, '2d 3h'],
  ])('formats %f minutes as %s', (minutes, expected) => {
    expect(formatDuration(minutes)).toBe(expected);
  });

  it.each([
    [15.2, '15.2x'],
    [22, '22x'],
    [14.44, '14.4x'],
    [144.4, '144x'],
  ])('formats a burn rate of %f as %s', (burnRate, expected) => {
    expect(formatBurnRate(burnRate)).toBe(expected);
  });

  it.each([
    ['Zürich', 'Zurich'],
    ['Straße', 'Strasse'],
    ['“quoted” – dash', '"quoted" - dash'],
    ['🍕 pizza', 'pizza'],
    ['ｆｕｌｌｗｉｄｔｈ', 'fullwidth'],
    ['a\tb\nc', 'a b c'],
  ])('transliterates %j to printable ASCII %j', (value, expected) => {
    expect(toAsciiPrintable(value)).toBe(expected);
  });

  it.each([
    ['a short value', 'acme-corp', 20, 'acme-corp'],
    ['at a word break', 'checkout payments availability', 20, 'checkout payments...'],
    ['a long word hard', 'x'.repeat(30), 10, 'xxxxxxx...'],
  ])('shortens %s', (_name, value, max, expected) => {
    expect(shorten(value, max)).toBe(expected);
  });
});

describe('filters', () => {
  const { attributes } = renderAlert(alertEvent('opened', [burningTenant('acme-corp', 15.2)]));

  it.each([
    ['no filter', true, undefined],
    ['a filter on its severity', true, { severity: ['page'] }],
    ['a filter on another severity', false, { severity: ['ticket'] }],
    ['a filter on its tenant and event type', true, { tenant: ['acme-corp'], eventType: ['opened', 'resolved'] }],
    ['a filter on another tenant', false, { tenant: ['globex'] }],
    ['a filter on another SLO', false, { slo: ['checkout'] }],
  ])('a page for acme-corp meeting %s passes: %s', (_name, expected, filter) => {
    expect(matchesFilter(attributes, filter)).toBe(expected);
  });

  it('reports every problem of a filter with its path', () => {
    // Prepare
    const filter = { severity: ['urgent'], tenant: [], colour: ['red'] };
    // Act
    const problems = validateAlertFilter(filter, ['slack', 'filter']);
    // Assess
    expect(problems.map((p) => p.path.join('.'))).toEqual(['slack.filter.severity.0', 'slack.filter.tenant', 'slack.filter.colour']);
  });

  it('rejects a filter over the SNS limit of 150 value combinations', () => {
    // Prepare: 2 severities x 4 event types x 20 tenants = 160 combinations
    const filter = { severity: ['page', 'ticket'], eventType: ['opened', 'escalated', 'mitigated', 'resolved'], tenant: manyTenants(20).map((t) => t.tenant) };
    // Act
    const problems = validateAlertFilter(filter, ['email', 0, 'filter']);
    // Assess
    expect(problems).toEqual([expect.objectContaining({ given: '160 combinations' })]);
  });
});
