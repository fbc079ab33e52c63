import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TRAFFIC_GUARD } from '../../lambda/domain/policy';
import { EVALUATOR_DEFAULTS, SHARDED_TIMEOUT_SECONDS, SLO_DEFAULTS, TIME_SLICE_TRAFFIC_GUARD } from '../../lib/config/defaults';

const PROPS_SOURCE = readFileSync(join(__dirname, '..', '..', 'lib', 'config', 'props.ts'), 'utf8');

/** Each optional prop of props.ts with the TSDoc block right above it. */
function optionalProps(): { name: string; doc: string }[] {
  const found: { name: string; doc: string }[] = [];
  const pattern = /(\/\*\*(?:(?!\*\/)[\s\S])*\*\/)?\s*readonly (\w+)\?: (?!never)/g;
  for (const match of PROPS_SOURCE.matchAll(pattern)) found.push({ name: match[2]!, doc: match[1] ?? '' });
  return found;
}

/** The `@default` value written for `name` (the first prop of that name). */
function documentedDefault(name: string): string | undefined {
  const doc = optionalProps().find((prop) => prop.name === name)?.doc ?? '';
  return /@default (\S+)/.exec(doc)?.[1];
}

describe('props.ts documentation', () => {
  it('has an @default on every optional prop', () => {
    // Act
    const undocumented = optionalProps().filter((prop) => !prop.doc.includes('@default')).map((prop) => prop.name);

    // Assess
    expect(optionalProps().length).toBeGreaterThan(20);
    expect(undocumented).toEqual([]);
  });

  it.each(Object.entries(EVALUATOR_DEFAULTS))('documents evaluator.%s with the default the normaliser applies (%p)', (name, value) => {
    // Act / Assess
    expect(documentedDefault(name)).toBe(String(value));
  });

  it.each([
    ['periodDays', String(SLO_DEFAULTS.periodDays)],
    ['stat', `'${SLO_DEFAULTS.stat}'`],
    ['resolveAfterMinutes', String(SLO_DEFAULTS.resolveAfterMinutes)],
    ['hysteresisRatio', String(SLO_DEFAULTS.hysteresisRatio)],
    ['refreshMinutes', String(SLO_DEFAULTS.tenantRefreshMinutes)],
    ['minEventsInLongWindow', String(DEFAULT_TRAFFIC_GUARD.minEventsInLongWindow)],
    ['minBadEventsInShortWindow', String(DEFAULT_TRAFFIC_GUARD.minBadEventsInShortWindow)],
    ['timeSliceMinutes', String(SLO_DEFAULTS.timeSliceMinutes)],
    ['unit', `'${SLO_DEFAULTS.calendarUnit}'`],
    ['timeZone', `'${SLO_DEFAULTS.timeZone}'`],
  ])('documents %s with the default the normaliser applies (%s)', (name, value) => {
    // Act / Assess
    expect(documentedDefault(name)).toBe(value);
  });

  it('documents the sharded default of evaluator.timeoutSeconds next to the one-shard default', () => {
    // Act
    const doc = optionalProps().find((prop) => prop.name === 'timeoutSeconds')?.doc ?? '';

    // Assess
    expect(doc).toContain(`@default ${EVALUATOR_DEFAULTS.timeoutSeconds} (${SHARDED_TIMEOUT_SECONDS} with shards above 1)`);
  });

  it.each(Object.entries(TIME_SLICE_TRAFFIC_GUARD))('documents the time-slice default of %s (%p)', (name, value) => {
    // Act
    const doc = optionalProps().find((prop) => prop.name === name)?.doc ?? '';

    // Assess
    expect(doc).toContain(`(${value} with time-slice budgeting)`);
  });
});
