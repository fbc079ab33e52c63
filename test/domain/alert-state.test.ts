import { appendsHistory, heartbeatDue, heartbeatOffsetMinutes, lastHeartbeatBefore, nextAlertState } from '../../lambda/domain/alert-state';
import type { AlertStateStep } from '../../lambda/domain/alert-state';
import type { AlertLevel, AlertTransition, BurnRateRule, TenantAlertState, TenantEvaluation } from '../../lambda/domain/model';
import { DAY_MS, HOUR_MS, MINUTE_MS, STATE_SCHEMA_VERSION } from '../../lambda/domain/model';

const RULES: BurnRateRule[] = [
  { name: '1h/5m', severity: 'page', longWindowMinutes: 60, shortWindowMinutes: 5, burnRate: 14.4 },
  { name: '6h/30m', severity: 'page', longWindowMinutes: 360, shortWindowMinutes: 30, burnRate: 6 },
  { name: '3d/6h', severity: 'ticket', longWindowMinutes: 4320, shortWindowMinutes: 360, burnRate: 1 },
];
const SETTINGS = { resolveAfterMinutes: 30, heartbeatMinutes: 60 };
// One of acme's heartbeat instants (they come every heartbeatMinutes - 1 = 59 minutes); NOW is half way to the next,
// so only the heartbeat tests below meet one.
const ACME_HEARTBEAT = lastHeartbeatBefore('acme', Date.UTC(2025, 2, 10, 12), SETTINGS.heartbeatMinutes);
const NOW = ACME_HEARTBEAT + 30 * MINUTE_MS;
const minutesAgo = (minutes: number): number => NOW - minutes * MINUTE_MS;

/** An evaluation in which the named rules fire; level and burn rates follow from them. */
function evaluation(firing: readonly string[], oneHourBurn = 0): TenantEvaluation {
  const results = RULES.map((rule) => ({
    rule,
    longBurnRate: firing.includes(rule.name) ? rule.burnRate : 0,
    shortBurnRate: firing.includes(rule.name) ? rule.burnRate : 0,
    firing: firing.includes(rule.name),
    guarded: false,
  }));
  const level: AlertLevel = results.some((r) => r.firing && r.rule.severity === 'page')
    ? 'page'
    : results.some((r) => r.firing)
      ? 'ticket'
      : 'ok';
  return {
    slo: 'checkout-availability',
    tenant: 'acme',
    objectivePercent: 99.9,
    evaluatedAt: NOW,
    windows: [
      { windowMinutes: 5, total: 1000, bad: 0, errorRatio: 0, burnRate: oneHourBurn },
      { windowMinutes: 60, total: 12_000, bad: 0, errorRatio: 0, burnRate: oneHourBurn },
    ],
    rules: results,
    level,
    budgetConsumed: 0.1,
    budgetRemaining: 0.9,
    timeToExhaustionMinutes: null,
    periodEvents: { total: 1_000_000, bad: 100 },
  };
}

function state(changes: Partial<TenantAlertState>): TenantAlertState {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    slo: 'checkout-availability',
    tenant: 'acme',
    level: 'ok',
    levelSince: null,
    lastFiringAt: null,
    activeRules: [],
    incidentId: null,
    burnRates: { '5': 0, '60': 0 },
    budgetRemaining: 0.9,
    timeToExhaustionMinutes: null,
    updatedAt: minutesAgo(1),
    version: 7,
    ...changes,
  };
}

describe('nextAlertState', () => {
  interface TransitionRow {
    readonly case: string;
    readonly prev: TenantAlertState | null;
    readonly firing: readonly string[];
    readonly level: AlertLevel;
    readonly transition: AlertTransition;
    readonly shouldWrite: boolean;
  }
  const paging = { level: 'page' as const, levelSince: minutesAgo(50), incidentId: 'inc-1' };
  const ticketing = state({
    level: 'ticket',
    levelSince: minutesAgo(90),
    lastFiringAt: minutesAgo(1),
    activeRules: ['3d/6h'],
    incidentId: 'inc-1',
  });

  it.each<TransitionRow>([
    { case: 'a new tenant with no burn is written as ok', prev: null, firing: [], level: 'ok', transition: 'none', shouldWrite: true },
    { case: 'a new tenant already paging opens', prev: null, firing: ['1h/5m'], level: 'page', transition: 'opened', shouldWrite: true },
    { case: 'ok to page opens', prev: state({}), firing: ['1h/5m'], level: 'page', transition: 'opened', shouldWrite: true },
    { case: 'ok to ticket opens', prev: state({}), firing: ['3d/6h'], level: 'ticket', transition: 'opened', shouldWrite: true },
    {
      case: 'ticket to page escalates at once',
      prev: ticketing,
      firing: ['1h/5m', '3d/6h'],
      level: 'page',
      transition: 'escalated',
      shouldWrite: true,
    },
    {
      case: 'page that keeps firing changes nothing to write',
      prev: state({ ...paging, lastFiringAt: minutesAgo(5), activeRules: ['1h/5m'], updatedAt: minutesAgo(5) }),
      firing: ['1h/5m'],
      level: 'page',
      transition: 'none',
      shouldWrite: false,
    },
    {
      case: 'page quiet for 29 of 30 minutes is held',
      prev: state({ ...paging, lastFiringAt: minutesAgo(29), updatedAt: minutesAgo(29) }),
      firing: [],
      level: 'page',
      transition: 'none',
      shouldWrite: false,
    },
    {
      case: 'page quiet for 30 minutes resolves',
      prev: state({ ...paging, lastFiringAt: minutesAgo(30), updatedAt: minutesAgo(30) }),
      firing: [],
      level: 'ok',
      transition: 'resolved',
      shouldWrite: true,
    },
    {
      case: 'page quiet for 30 minutes with a ticket rule firing deescalates',
      prev: state({ ...paging, lastFiringAt: minutesAgo(30), activeRules: ['3d/6h'], updatedAt: minutesAgo(30) }),
      firing: ['3d/6h'],
      level: 'ticket',
      transition: 'deescalated',
      shouldWrite: true,
    },
    {
      case: 'page quiet for 10 minutes when a ticket rule starts is held, written for the new rule',
      prev: state({ ...paging, lastFiringAt: minutesAgo(10), updatedAt: minutesAgo(10) }),
      firing: ['3d/6h'],
      level: 'page',
      transition: 'none',
      shouldWrite: true,
    },
  ])('$case', ({ prev, firing, level, transition, shouldWrite }) => {
    // Act
    const step = nextAlertState(prev, evaluation(firing), SETTINGS, NOW);
    // Assess
    expect(step.next.level).toBe(level);
    expect(step.transition).toBe(transition);
    expect(step.shouldWrite).toBe(shouldWrite);
    expect(step.next.activeRules).toEqual(firing);
  });

  it.each([
    { transition: 'opened', prev: state({}), firing: ['1h/5m'], levelSince: NOW, when: 'now', incidentId: null },
    {
      transition: 'escalated',
      prev: ticketing,
      firing: ['1h/5m'],
      levelSince: NOW,
      when: 'now',
      incidentId: 'inc-1',
    },
    {
      transition: 'deescalated',
      prev: state({ ...paging, lastFiringAt: minutesAgo(30), activeRules: ['3d/6h'] }),
      firing: ['3d/6h'],
      levelSince: NOW,
      when: 'now',
      incidentId: 'inc-1',
    },
    {
      transition: 'resolved',
      prev: state({ ...paging, lastFiringAt: minutesAgo(45) }),
      firing: [],
      levelSince: null,
      when: 'null',
      incidentId: null,
    },
  ])('$transition sets levelSince to $when and incidentId to $incidentId', ({ prev, firing, levelSince, incidentId }) => {
    // Act
    const { next } = nextAlertState(prev, evaluation(firing), SETTINGS, NOW);
    // Assess
    expect(next.levelSince).toBe(levelSince);
    expect(next.incidentId).toBe(incidentId);
  });

  it.each([
    { case: 'one minute before its next instant, 58 minutes later', writtenBefore: 58, shouldWrite: false },
    { case: 'at its next instant, heartbeatMinutes - 1 = 59 minutes later', writtenBefore: 59, shouldWrite: true },
  ])('an unchanged tenant written at a heartbeat instant is rewritten $case: $shouldWrite', ({ writtenBefore, shouldWrite }) => {
    // Prepare: heartbeat 60
    const now = ACME_HEARTBEAT + writtenBefore * MINUTE_MS;
    const prev = state({ updatedAt: ACME_HEARTBEAT });
    // Act
    const step = nextAlertState(prev, evaluation([]), SETTINGS, now);
    // Assess
    expect(step.shouldWrite).toBe(shouldWrite);
    expect(step.next.version).toBe(shouldWrite ? prev.version + 1 : prev.version);
    expect(step.next.updatedAt).toBe(shouldWrite ? now : prev.updatedAt);
  });

  it.each([
    { case: 'written 10 minutes after an instant is rewritten at the next one, 49 minutes later', writtenAfter: 10, dueAfter: 59 },
    { case: 'written the minute before an instant skips it and is rewritten at the next, 60 minutes later', writtenAfter: -1, dueAfter: 59 },
  ])('a tenant $case', ({ writtenAfter, dueAfter }) => {
    // Prepare: a write off the heartbeat instants (a transition, say)
    const prev = state({ updatedAt: ACME_HEARTBEAT + writtenAfter * MINUTE_MS });
    // Act
    const before = nextAlertState(prev, evaluation([]), SETTINGS, ACME_HEARTBEAT + (dueAfter - 1) * MINUTE_MS);
    const at = nextAlertState(prev, evaluation([]), SETTINGS, ACME_HEARTBEAT + dueAfter * MINUTE_MS);
    const onTheInstant = nextAlertState(prev, evaluation([]), SETTINGS, ACME_HEARTBEAT);
    // Assess
    expect(before.shouldWrite).toBe(false);
    expect(at.shouldWrite).toBe(true);
    expect(onTheInstant.shouldWrite).toBe(false);
  });

  it('does not write when only the burn rates moved, yet carries the new burn rates keyed by window minutes', () => {
    // Prepare
    const prev = state({ burnRates: { '5': 0.2, '60': 0.3 } });
    // Act
    const step = nextAlertState(prev, evaluation([], 3.5), SETTINGS, NOW);
    // Assess
    expect(step.shouldWrite).toBe(false);
    expect(step.next.burnRates).toEqual({ '5': 3.5, '60': 3.5 });
    expect(step.next.version).toBe(prev.version);
  });

  it.each([
    { from: 'a new tenant', prev: null, version: 1 },
    { from: 'version 7', prev: state({ version: 7 }), version: 8 },
  ])('a state written from $from gets version $version and the current schema', ({ prev, version }) => {
    // Act
    const step = nextAlertState(prev, evaluation(['1h/5m']), SETTINGS, NOW);
    // Assess
    expect(step.shouldWrite).toBe(true);
    expect(step.next.version).toBe(version);
    expect(step.next.schemaVersion).toBe(STATE_SCHEMA_VERSION);
    expect(step.next.updatedAt).toBe(NOW);
  });

  describe('over a sequence of ticks', () => {
    /** Replays one evaluation a minute; `stored` keeps only written states, as a reader of DynamoDB would. */
    function replay(firingAt: (minute: number) => readonly string[], minutes: number, stored: boolean) {
      let prev: TenantAlertState | null = null;
      const steps: { minute: number; step: AlertStateStep }[] = [];
      for (let minute = 0; minute < minutes; minute += 1) {
        const step = nextAlertState(prev, evaluation(firingAt(minute)), SETTINGS, NOW + minute * MINUTE_MS);
        steps.push({ minute, step });
        if (step.shouldWrite || !stored) prev = step.next;
      }
      return steps;
    }

    it.each([{ stored: true }, { stored: false }])(
      'a page firing for 10 minutes is held for resolveAfterMinutes after its last firing and then resolved (stored state only: $stored)',
      ({ stored }) => {
        // Prepare: the page rule fires at minutes 0..9; the first quiet evaluation is minute 10.
        const firingAt = (minute: number): string[] => (minute < 10 ? ['1h/5m'] : []);
        // Act
        const steps = replay(firingAt, 60, stored);
        // Assess: held through minute 10 + 30 - 1, resolved at minute 10 + 30 (never before 30 quiet minutes).
        const transitions = steps.filter(({ step }) => step.transition !== 'none').map(({ minute, step }) => [minute, step.transition]);
        expect(transitions).toEqual([
          [0, 'opened'],
          [40, 'resolved'],
        ]);
        expect(steps.filter(({ minute }) => minute >= 10 && minute < 40).every(({ step }) => step.next.level === 'page')).toBe(true);
      },
    );

    it('steady state costs at most one write per 50 tenant-ticks', () => {
      // Prepare: an existing ok tenant whose burn rates wander every tick; heartbeat 60 minutes.
      let prev: TenantAlertState = state({ updatedAt: NOW });
      let historyItems = 0;
      let writes = 0;
      const ticks = 300;
      // Act
      for (let minute = 1; minute <= ticks; minute += 1) {
        const now = NOW + minute * MINUTE_MS;
        const step = nextAlertState(prev, evaluation([], (minute % 7) / 10), SETTINGS, now);
        if (step.shouldWrite) writes += 1;
        if (step.shouldWrite && appendsHistory(prev, step.transition, now)) historyItems += 1;
        prev = step.next;
      }
      // Assess: one heartbeat every 59 ticks (300 / 59: 5, or 6 with an instant at each end), and no history item
      // (no transition, no new UTC day).
      expect(writes).toBeGreaterThanOrEqual(Math.floor(ticks / (SETTINGS.heartbeatMinutes - 1)));
      expect(writes).toBeLessThanOrEqual(Math.ceil(ticks / (SETTINGS.heartbeatMinutes - 1)));
      expect(historyItems).toBe(0);
      expect((writes + historyItems) / ticks).toBeLessThanOrEqual(1 / 50);
    });
  });

  it.each([
    {
      field: 'heartbeatMinutes',
      settings: { resolveAfterMinutes: 30, heartbeatMinutes: 0 },
      message: /^heartbeatMinutes must be a finite number greater than 0; got 0$/,
    },
    {
      field: 'resolveAfterMinutes',
      settings: { resolveAfterMinutes: -1, heartbeatMinutes: 60 },
      message: /^resolveAfterMinutes must be a finite number of minutes, 0 or more; got -1$/,
    },
  ])('refuses a bad $field and names it', ({ settings, message }) => {
    // Act / Assess
    expect(() => nextAlertState(null, evaluation([]), settings, NOW)).toThrow(message);
  });
});

describe('heartbeats spread over the interval', () => {
  const heartbeatMinutes = 60;
  const tenants = Array.from({ length: 600 }, (_, index) => `tenant-${String(index).padStart(3, '0')}`);
  const T0 = Date.UTC(2026, 0, 5, 9, 0);

  /** Three hours of one-minute ticks after every tenant was written at T0 (a deployment); the writes of each tick. */
  function replayHeartbeats(): { writesPerTick: number[]; longestGapMinutes: number } {
    const lastWrite = new Map(tenants.map((tenant) => [tenant, T0]));
    const writesPerTick: number[] = [];
    let longestGapMinutes = 0;
    for (let minute = 1; minute <= 180; minute += 1) {
      const now = T0 + minute * MINUTE_MS;
      let writes = 0;
      for (const tenant of tenants) {
        const updatedAt = lastWrite.get(tenant) ?? T0;
        if (!heartbeatDue(tenant, updatedAt, now, heartbeatMinutes)) continue;
        writes += 1;
        longestGapMinutes = Math.max(longestGapMinutes, (now - updatedAt) / MINUTE_MS);
        lastWrite.set(tenant, now);
      }
      writesPerTick.push(writes);
    }
    return { writesPerTick, longestGapMinutes };
  }

  it('600 tenants written on the same tick come due on different ticks: none above twice the average of 600 / 59', () => {
    // Act
    const { writesPerTick } = replayHeartbeats();
    // Assess: each tenant once every 59 minutes, so 600 / 59 = 10.2 a tick on average, and at most 20.3 on any tick
    const average = tenants.length / (heartbeatMinutes - 1);
    const total = writesPerTick.reduce((sum, writes) => sum + writes, 0);
    expect(total).toBeGreaterThanOrEqual(Math.floor(180 / (heartbeatMinutes - 1)) * tenants.length);
    expect(Math.max(...writesPerTick)).toBeLessThanOrEqual(2 * average);
    // Only the tick right after the common write has none: its instants are skipped, being a minute after a write.
    expect(writesPerTick.filter((writes) => writes === 0)).toEqual([0]);
    expect(writesPerTick[0]).toBe(0);
  });

  it('no heartbeat comes later than heartbeatMinutes after the previous write', () => {
    // Act
    const { longestGapMinutes } = replayHeartbeats();
    // Assess
    expect(longestGapMinutes).toBeLessThanOrEqual(heartbeatMinutes);
  });

  it.each([
    { case: 'a 60-minute heartbeat', minutes: 60 },
    { case: 'a 15-minute heartbeat', minutes: 15 },
  ])('gives every tenant the same offset every time, a whole minute of its cycle, within $case', ({ minutes }) => {
    // Act
    const offsets = tenants.map((tenant) => heartbeatOffsetMinutes(tenant, minutes));
    // Assess: the cycle is minutes - 1 long
    expect(offsets).toEqual(tenants.map((tenant) => heartbeatOffsetMinutes(tenant, minutes)));
    expect(offsets.every((offset) => Number.isInteger(offset) && offset >= 0 && offset < minutes - 1)).toBe(true);
    expect(new Set(offsets).size).toBe(minutes - 1);
  });

  it.each([
    { case: 'an instant between two heartbeats', sinceHeartbeat: 17 },
    { case: 'a heartbeat instant itself', sinceHeartbeat: 0 },
  ])('lastHeartbeatBefore of $case is the latest instant strictly before it', ({ sinceHeartbeat }) => {
    // Prepare: instants every 59 minutes from the epoch, shifted by the tenant's offset
    const cycle = (heartbeatMinutes - 1) * MINUTE_MS;
    const instant = Math.floor(T0 / cycle) * cycle + heartbeatOffsetMinutes('acme', heartbeatMinutes) * MINUTE_MS;
    const at = instant + sinceHeartbeat * MINUTE_MS;
    // Act
    const last = lastHeartbeatBefore('acme', at, heartbeatMinutes);
    // Assess
    expect(last).toBe(sinceHeartbeat === 0 ? instant - cycle : instant);
  });
});

describe('appendsHistory', () => {
  const MIDNIGHT = Date.UTC(2026, 0, 6);
  it.each([
    { case: 'a new tenant\'s first write', prev: null, transition: 'none' as const, now: MIDNIGHT + HOUR_MS, expected: true },
    { case: 'an opening', prev: state({ updatedAt: MIDNIGHT + HOUR_MS }), transition: 'opened' as const, now: MIDNIGHT + 2 * HOUR_MS, expected: true },
    { case: 'a resolution', prev: state({ updatedAt: MIDNIGHT + HOUR_MS }), transition: 'resolved' as const, now: MIDNIGHT + 2 * HOUR_MS, expected: true },
    {
      case: 'a heartbeat later the same UTC day',
      prev: state({ updatedAt: MIDNIGHT + HOUR_MS }),
      transition: 'none' as const,
      now: MIDNIGHT + 2 * HOUR_MS,
      expected: false,
    },
    {
      case: 'the first heartbeat of a new UTC day (the daily budget snapshot)',
      prev: state({ updatedAt: MIDNIGHT - 20 * MINUTE_MS }),
      transition: 'none' as const,
      now: MIDNIGHT + 40 * MINUTE_MS,
      expected: true,
    },
    {
      case: 'a write a day after the last one',
      prev: state({ updatedAt: MIDNIGHT + HOUR_MS }),
      transition: 'none' as const,
      now: MIDNIGHT + DAY_MS + HOUR_MS,
      expected: true,
    },
  ])('$case appends a history item: $expected', ({ prev, transition, now, expected }) => {
    // Act / Assess
    expect(appendsHistory(prev, transition, now)).toBe(expected);
  });

  it('keeps a heartbeat-only tenant to one history item a day: 1 of its 24 or 25 writes', () => {
    // Prepare: acme at ok, written at each heartbeat for two days
    let prev: TenantAlertState = state({ updatedAt: MIDNIGHT - MINUTE_MS });
    let writes = 0;
    let historyItems = 0;
    // Act
    for (let minute = 0; minute < 2 * 24 * 60; minute += 1) {
      const now = MIDNIGHT + minute * MINUTE_MS;
      const step = nextAlertState(prev, evaluation([]), SETTINGS, now);
      if (!step.shouldWrite) continue;
      writes += 1;
      if (appendsHistory(prev, step.transition, now)) historyItems += 1;
      prev = step.next;
    }
    // Assess: a heartbeat every 59 minutes, 2 x 1440 / 59 = 48.8 in two days, one a day the day's first
    expect(writes).toBeGreaterThanOrEqual(48);
    expect(writes).toBeLessThanOrEqual(49);
    expect(historyItems).toBe(2);
  });
});
