/**
 * OpenSLO v1 import: valid documents map onto the same SloProps a burnwatch.yaml gives; documents Burnwatch cannot
 * honour are refused with the OpenSLO field path, what is allowed and what was given.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { normalizeSlo } from '../../lib/config/normalize';
import { convertOpenSlo, OpenSloError, openSloToSloProps, TENANT_DIMENSION_ANNOTATION } from '../../lib/config/openslo';
import type { SloProps } from '../../lib/config/props';
import { parseSloFile, SloFileError } from '../../lib/config/slo-file';
import { thrownBy, workbookBurnRate } from './fixtures';

const EXAMPLES = join(__dirname, '..', '..', 'examples', 'openslo');

type Doc = Record<string, any>;

/** A bad/total OpenSLO SLO over CloudWatch metrics; each test copies it and changes one thing. */
function baseDoc(): Doc {
  return parse(`
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-availability
  annotations: { ${TENANT_DIMENSION_ANNOTATION}: TenantId }
spec:
  description: API requests succeed
  budgetingMethod: Occurrences
  objectives: [{ target: 0.999 }]
  timeWindow: [{ duration: 30d, isRolling: true }]
  indicator:
    metadata: { name: api-errors }
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: CloudWatch
            spec: { namespace: MyService, metricName: Errors5xx, stat: Sum, dimensions: [{ name: Service, value: api }] }
        total:
          metricSource:
            type: CloudWatch
            spec: { namespace: MyService, metricName: Requests, stat: Sum, dimensions: [{ name: Service, value: api }] }
`) as Doc;
}

function withDoc(change: (doc: Doc) => void): Doc {
  const doc = baseDoc();
  change(doc);
  return doc;
}

const ratio = (doc: Doc): Doc => doc.spec.indicator.spec.ratioMetric as Doc;

function burnCondition(condition: Doc, extra: Doc = {}): Doc {
  return { kind: 'AlertCondition', metadata: { name: 'c' }, spec: { ...extra, condition: { kind: 'burnrate', ...condition } } };
}

function policy(conditions: Doc[], metadata: Doc = { name: 'p' }): Doc {
  return { kind: 'AlertPolicy', metadata, spec: { conditions } };
}

describe('OpenSLO import: valid documents', () => {
  it('maps a bad/total CloudWatch ratio with a target to the same SloProps as burnwatch.yaml', () => {
    // Act
    const props = openSloToSloProps(baseDoc(), 'slo.yaml');
    // Assess
    const expected: SloProps = {
      name: 'api-availability',
      description: 'API requests succeed',
      objective: 99.9,
      periodDays: 30,
      sli: {
        namespace: 'MyService',
        tenantDimension: 'TenantId',
        metrics: {
          bad: { metricName: 'Errors5xx', stat: 'Sum', dimensions: { Service: 'api' } },
          total: { metricName: 'Requests', stat: 'Sum', dimensions: { Service: 'api' } },
        },
        bad: 'bad',
        total: 'total',
      },
    };
    expect(props).toEqual(expected);
  });

  it('maps good/total with targetPercent, a period in weeks and per-metric namespaces', () => {
    // Prepare
    const doc = withDoc((d) => {
      d.spec.objectives = [{ targetPercent: 99.5 }];
      d.spec.timeWindow = [{ duration: '4w', isRolling: true }];
      const sides = ratio(d);
      sides.good = { metricSource: { type: 'CloudWatch', spec: { namespace: 'Other', metricName: 'Ok', dimensions: { Service: 'api' } } } };
      delete sides.bad;
    });
    // Act
    const props = openSloToSloProps(doc, 'slo.yaml');
    // Assess
    expect(props).toMatchObject({ objective: 99.5, periodDays: 28, sli: { good: 'good', total: 'total' } });
    expect(props.sli.metrics).toEqual({
      good: { metricName: 'Ok', namespace: 'Other', dimensions: { Service: 'api' } },
      total: { metricName: 'Requests', stat: 'Sum', dimensions: { Service: 'api' } },
    });
  });

  it('uses the SRE Workbook policy without alert policies', () => {
    // Act
    const slo = normalizeSlo(openSloToSloProps(baseDoc(), 'slo.yaml'));
    // Assess
    expect(slo.rules.map((rule) => [rule.name, rule.severity])).toEqual([
      ['1h/5m', 'page'],
      ['6h/30m', 'page'],
      ['3d/6h', 'ticket'],
    ]);
    expect(slo.rules[0]?.burnRate).toBeCloseTo(workbookBurnRate(2, 60, 30));
  });

  it.each([
    ['the condition severity', { threshold: 2, lookbackWindow: '1h' }, { severity: 'page' }, {}, 'page'],
    ['a severity label on the condition', { threshold: 14.4, lookbackWindow: '1h' }, {}, { labels: { severity: 'ticket' } }, 'ticket'],
    ['no severity and a threshold of 6', { threshold: 6, lookbackWindow: '6h' }, {}, {}, 'page'],
    ['no severity and a threshold below 6', { threshold: 5.9, lookbackWindow: '6h' }, {}, {}, 'ticket'],
  ])('takes the severity from %s', (_label, condition, spec, metadata, severity) => {
    // Prepare
    const conditionDoc = burnCondition(condition, spec);
    conditionDoc.metadata = { name: 'c', ...metadata };
    const doc = withDoc((d) => (d.spec.alertPolicies = [policy([conditionDoc])]));
    // Act
    const props = openSloToSloProps(doc, 'slo.yaml');
    // Assess
    expect(props.alerting?.rules?.[0]?.severity).toBe(severity);
  });

  it('takes a severity label from the policy when the condition has none', () => {
    // Prepare
    const doc = withDoc((d) => (d.spec.alertPolicies = [policy([burnCondition({ threshold: 14.4, lookbackWindow: '1h' })], { name: 'p', labels: { severity: 'ticket' } })]));
    // Act / Assess
    expect(openSloToSloProps(doc, 'slo.yaml').alerting?.rules?.[0]?.severity).toBe('ticket');
  });

  it('maps each burnrate condition to a rule: long window = lookbackWindow, short = a twelfth of it, burnRate = threshold', () => {
    // Prepare
    const doc = withDoc((d) => {
      d.spec.alertPolicies = [
        policy([burnCondition({ op: 'gte', threshold: 14.4, lookbackWindow: '1h', alertAfter: '5m' }, { severity: 'page' })]),
        policy([burnCondition({ threshold: 1, lookbackWindow: '3d' }, { severity: 'ticket' })]),
      ];
    });
    // Act
    const slo = normalizeSlo(openSloToSloProps(doc, 'slo.yaml'));
    // Assess
    expect(slo.rules).toEqual([
      { name: '1h/5m', severity: 'page', longWindowMinutes: 60, shortWindowMinutes: 5, burnRate: 14.4 },
      { name: '3d/6h', severity: 'ticket', longWindowMinutes: 3 * 24 * 60, shortWindowMinutes: 6 * 60, burnRate: 1 },
    ]);
  });

  it('notes the fields it reads but does not apply', () => {
    // Prepare
    const doc = withDoc((d) => {
      ratio(d).total.metricSource.spec.region = 'eu-west-1';
      d.spec.alertPolicies = [policy([burnCondition({ threshold: 14.4, lookbackWindow: '1h', alertAfter: '5m' }, { severity: 'page' })])];
    });
    // Act
    const { notes } = convertOpenSlo(doc, 'slo.yaml');
    // Assess
    expect(notes).toEqual([
      expect.stringContaining('spec.indicator.spec.ratioMetric.counter is not used'),
      expect.stringContaining('spec.indicator.spec.ratioMetric.total.metricSource.spec: region and accountId are not used'),
      expect.stringContaining('spec.alertPolicies[0].spec.conditions[0].spec.condition.alertAfter is not used'),
    ]);
  });

  it('converts an SLI from another metric source for a CSV backtest, but not for the stack', () => {
    // Prepare
    const doc = withDoc((d) => {
      ratio(d).bad.metricSource = { type: 'Prometheus', spec: { query: 'errors' } };
      delete d.metadata.annotations;
    });
    // Act
    const conversion = convertOpenSlo(doc, 'slo.yaml');
    const error = thrownBy(() => openSloToSloProps(doc, 'slo.yaml'));
    // Assess
    expect(conversion.props.objective).toBe(99.9);
    expect(error).toBeInstanceOf(OpenSloError);
    expect(error.message).toContain('spec.indicator.spec.ratioMetric.bad.metricSource.type: must be "CloudWatch" for Burnwatch to read the SLI itself, got "Prometheus"');
    expect(error.message).toContain(`metadata.annotations["${TENANT_DIMENSION_ANNOTATION}"]: must name the CloudWatch dimension that carries the tenant id`);
  });

  it.each(['api-availability.yaml', 'checkout-success.yaml'])('loads the example %s', (name) => {
    // Act
    const loaded = parseSloFile(readFileSync(join(EXAMPLES, name), 'utf8'), name);
    // Assess
    expect(loaded.format).toBe('openslo');
    expect(loaded.cloudWatchProblems).toEqual([]);
  });

  it('gives the example the same runtime SLO as the equivalent burnwatch.yaml', () => {
    // Prepare
    const burnwatch = `
slos:
  - name: api-availability
    description: API requests succeed (no 5xx)
    objective: 99.9
    periodDays: 30
    sli:
      namespace: MyService
      tenantDimension: TenantId
      metrics:
        bad: { metricName: Errors5xx, stat: Sum, dimensions: { Service: api } }
        total: { metricName: Requests, stat: Sum, dimensions: { Service: api } }
      bad: bad
      total: total
`;
    // Act
    const fromOpenSlo = parseSloFile(readFileSync(join(EXAMPLES, 'api-availability.yaml'), 'utf8'), 'openslo.yaml');
    const fromBurnwatch = parseSloFile(burnwatch, 'burnwatch.yaml');
    // Assess
    expect(fromOpenSlo.slo).toEqual(fromBurnwatch.slo);
  });
});

describe('OpenSLO import: refused documents', () => {
  const conditionAt = 'spec.alertPolicies[0].spec.conditions[0]';
  const withPolicy = (condition: Doc, spec: Doc = { severity: 'page' }) => (d: Doc) => (d.spec.alertPolicies = [policy([burnCondition(condition, spec)])]);

  it.each<[string, (doc: Doc) => void, string]>([
    ['another apiVersion', (d) => (d.apiVersion = 'openslo/v2alpha'), 'apiVersion: must be "openslo/v1", got "openslo/v2alpha"'],
    ['another kind', (d) => (d.kind = 'SLI'), 'kind: must be "SLO", got "SLI"'],
    ['no objective', (d) => delete d.spec.objectives, 'spec.objectives: must be a list with exactly one objective, got nothing'],
    ['two objectives', (d) => (d.spec.objectives = [{ target: 0.99 }, { target: 0.999 }]), 'spec.objectives: must have exactly one objective'],
    ['a target of 1 or more', (d) => (d.spec.objectives = [{ target: 1.5 }]), 'spec.objectives[0].target: must be a number > 0 and < 1, got 1.5'],
    ['both target and targetPercent', (d) => (d.spec.objectives = [{ target: 0.99, targetPercent: 99 }]), 'spec.objectives[0]: must give exactly one of target (0..1) or targetPercent (0..100), got both'],
    ['RatioTimeslices budgeting', (d) => (d.spec.budgetingMethod = 'RatioTimeslices'), 'spec.budgetingMethod: must be "Occurrences" or "Timeslices" (RatioTimeslices is not supported), got "RatioTimeslices"'],
    ['a time-slice target with Occurrences', (d) => (d.spec.objectives = [{ target: 0.99, timeSliceTarget: 0.95 }]), 'spec.objectives[0].timeSliceTarget: must be omitted unless spec.budgetingMethod is "Timeslices", got 0.95'],
    ['a calendar-aligned window without its calendar', (d) => (d.spec.timeWindow = [{ duration: '1M', isRolling: false }]), 'spec.timeWindow[0].calendar: must be a calendar with startTime and timeZone for a calendar-aligned window, got nothing'],
    ['a period in months', (d) => (d.spec.timeWindow = [{ duration: '1M', isRolling: true }]), 'spec.timeWindow[0].duration: must be an OpenSLO duration of whole minutes, hours, days or weeks, like "5m", "1h", "28d" or "4w" (calendar units M, Q and Y have no fixed length: write days, e.g. "30d"), got "1M"'],
    ['a period over 90 days', (d) => (d.spec.timeWindow = [{ duration: '13w', isRolling: true }]), 'spec.timeWindow[0].duration: must be a whole number of days from 1 to 90, like "28d" or "4w", got "13w"'],
    ['a threshold metric counted by Occurrences', (d) => (d.spec.indicator.spec = { thresholdMetric: { metricSource: { type: 'CloudWatch' } } }), 'spec.budgetingMethod: must be "Timeslices" for a thresholdMetric SLI'],
    ['a precomputed ratio', (d) => (d.spec.indicator.spec.ratioMetric = { rawType: 'failure', raw: { metricSource: { type: 'CloudWatch' } } }), 'spec.indicator.spec.ratioMetric.raw: must be omitted: precomputed ratios cannot be summed over windows'],
    ['both good and bad', (d) => (ratio(d).good = ratio(d).bad), 'spec.indicator.spec.ratioMetric: must give exactly one of good or bad, with total, got both'],
    ['an SLI by reference', (d) => ((d.spec.indicatorRef = 'api-errors'), delete d.spec.indicator), 'spec.indicatorRef: must be omitted: put the SLI inline under spec.indicator (references are not supported yet), got "api-errors"'],
    ['a misspelt field', (d) => (d.spec.objectivs = d.spec.objectives), 'spec.objectivs: unknown field (allowed: description, service, indicator'],
    ['a name Burnwatch cannot key state by', (d) => (d.metadata.name = 'api availability!'), 'metadata.name: must be 1-64 characters: a letter or digit, then letters, digits, ".", "_" or "-", got "api availability!"'],
    ['a Metrics Insights query', (d) => (ratio(d).total.metricSource.spec.sql = 'SELECT SUM(Requests) FROM MyService'), 'spec.indicator.spec.ratioMetric.total.metricSource.spec.sql: must be omitted: Metrics Insights queries are not supported'],
    ['an alert policy by reference', (d) => (d.spec.alertPolicies = [{ alertPolicyRef: 'fast-burn' }]), 'spec.alertPolicies[0].alertPolicyRef: must be omitted: put the AlertPolicy inline (references are not supported yet), got "fast-burn"'],
    ['no burnrate condition', (d) => (d.spec.alertPolicies = [policy([])]), 'spec.alertPolicies[0].spec.conditions: must be a list of inline alert conditions, got []'],
    ['a condition of another kind', withPolicy({ kind: 'threshold', threshold: 2, lookbackWindow: '1h' }), `${conditionAt}.spec.condition.kind: must be "burnrate", got "threshold"`],
    ['a less-than condition', withPolicy({ op: 'lte', threshold: 2, lookbackWindow: '1h' }), `${conditionAt}.spec.condition.op: must be "gte" (or "gt", read as gte)`],
    ['a threshold of 0', withPolicy({ threshold: 0, lookbackWindow: '1h' }), `${conditionAt}.spec.condition.threshold: must be a number > 0, got 0`],
    ['no lookback window', withPolicy({ threshold: 2 }), `${conditionAt}.spec.condition.lookbackWindow: must be an OpenSLO duration`],
    ['a severity Burnwatch does not have', withPolicy({ threshold: 2, lookbackWindow: '1h' }, { severity: 'sev1' }), `${conditionAt}.spec.severity: must be "page" or "ticket", or omitted to page from burn rate 6 up and ticket below, got "sev1"`],
    ['alerting on no data', (d) => (d.spec.alertPolicies = [{ ...policy([burnCondition({ threshold: 2, lookbackWindow: '1h' })]), spec: { alertWhenNoData: true, conditions: [burnCondition({ threshold: 2, lookbackWindow: '1h' })] } }]), 'spec.alertPolicies[0].spec.alertWhenNoData: must be false or omitted'],
    ['a lookback window longer than the period', withPolicy({ threshold: 2, lookbackWindow: '5w' }), `${conditionAt}.spec.condition.lookbackWindow: must be at most the SLO's time window (30d), got "5w"`],
    ['a threshold no error ratio can reach', (d) => ((d.spec.objectives = [{ target: 0.9 }]), withPolicy({ threshold: 14.4, lookbackWindow: '1h' })(d)), 'spec.objectives[0].target: must be at least 93.06 for the custom rule 1h/5m (burn rate 14.4) to be able to fire'],
    ['two conditions on the same windows', (d) => (d.spec.alertPolicies = [policy([burnCondition({ threshold: 14.4, lookbackWindow: '1h' }), burnCondition({ threshold: 20, lookbackWindow: '60m' })])]), 'spec.alertPolicies[0].spec.conditions[1]: must use a window pair not used by another rule (rules[0] is also 1h/5m), got "1h/5m"'],
  ])('refuses %s, naming the field', (_label, change, message) => {
    // Act
    const error = thrownBy(() => openSloToSloProps(withDoc(change), 'slo.yaml'));
    // Assess
    expect(error).toBeInstanceOf(OpenSloError);
    expect(error.message).toContain('Cannot use the OpenSLO document in slo.yaml');
    expect(error.message).toContain(message);
  });

  it('reports only the header when the apiVersion is wrong, not every field of another version', () => {
    // Act
    const error = thrownBy(() => openSloToSloProps(withDoc((d) => ((d.apiVersion = 'openslo/v2alpha'), (d.spec.unknownV2Field = 1))), 'slo.yaml')) as OpenSloError;
    // Assess
    expect(error.problems).toHaveLength(1);
  });
});

describe('SLO files in either format', () => {
  const openSloText = readFileSync(join(EXAMPLES, 'api-availability.yaml'), 'utf8');
  const service = 'apiVersion: openslo/v1\nkind: Service\nmetadata: { name: api }\nspec: {}\n';

  it('reads the SLO document among others of other kinds, and notes the others', () => {
    // Act
    const loaded = parseSloFile(`${service}---\n${openSloText}`, 'slos.yaml');
    // Assess
    expect(loaded.slo.name).toBe('api-availability');
    expect(loaded.notes).toContain('1 document(s) of other kinds ignored: only inline SLO documents are read');
  });

  it.each([
    [undefined, 'slos.yaml: defines 2 SLOs (api-availability, api-copy): pick one with --slo-name'],
    ['nope', 'slos.yaml: --slo-name: no SLO named "nope"; choices: api-availability, api-copy'],
  ])('asks which of several OpenSLO SLOs to use (--slo-name %p)', (sloName, message) => {
    // Prepare
    const text = `${openSloText}\n---\n${openSloText.replace('name: api-availability', 'name: api-copy')}`;
    // Act
    const error = thrownBy(() => parseSloFile(text, 'slos.yaml', sloName === undefined ? {} : { sloName }));
    // Assess
    expect(error).toBeInstanceOf(SloFileError);
    expect(error.message).toBe(message);
  });

  it('picks one of several OpenSLO SLOs by name', () => {
    // Prepare
    const text = `${openSloText}\n---\n${openSloText.replace('name: api-availability', 'name: api-copy')}`;
    // Act / Assess
    expect(parseSloFile(text, 'slos.yaml', { sloName: 'api-copy' }).slo.name).toBe('api-copy');
  });

  it('reports a YAML syntax error with its line, whatever the format', () => {
    // Act
    const error = thrownBy(() => parseSloFile('apiVersion: openslo/v1\nkind: [SLO\n', 'broken.yaml'));
    // Assess
    expect(error.message).toMatch(/broken\.yaml:\d+:\d+/);
  });
});

/** The base document as a p99 <= 300 ms threshold SLO budgeted by 1-minute slices. */
function thresholdDoc(change: (doc: Doc) => void = () => undefined): Doc {
  return withDoc((d) => {
    d.spec.budgetingMethod = 'Timeslices';
    d.spec.objectives = [{ op: 'lte', value: 300, target: 0.99, timeSliceTarget: 1, timeSliceWindow: '1m' }];
    d.spec.indicator.spec = {
      thresholdMetric: { metricSource: { type: 'CloudWatch', spec: { namespace: 'Shop/Checkout', metricName: 'Latency', stat: 'p99' } } },
    };
    change(d);
  });
}

/** The base ratio document budgeted by slices, a slice good at 95 % good events. */
function ratioSlicesDoc(change: (doc: Doc) => void = () => undefined): Doc {
  return withDoc((d) => {
    d.spec.budgetingMethod = 'Timeslices';
    d.spec.objectives = [{ target: 0.999, timeSliceTarget: 0.95, timeSliceWindow: '1m' }];
    change(d);
  });
}

const objectiveAt = 'spec.objectives[0]';

describe('OpenSLO import: thresholdMetric, Timeslices and calendar windows', () => {
  it('maps the latency-timeslices example to a threshold SLI budgeted by 1-minute slices', () => {
    // Act
    const loaded = parseSloFile(readFileSync(join(EXAMPLES, 'latency-timeslices.yaml'), 'utf8'), 'latency-timeslices.yaml');

    // Assess
    expect(loaded.format).toBe('openslo');
    expect(loaded.cloudWatchProblems).toEqual([]);
    expect(loaded.notes).toEqual([]);
    expect(loaded.slo).toMatchObject({
      name: 'checkout-p99-latency',
      objectivePercent: 99,
      periodDays: 28,
      sli: {
        kind: 'threshold',
        namespace: 'Shop/Checkout',
        tenantDimension: 'TenantId',
        metric: { metricName: 'Latency', stat: 'p99', dimensions: { Service: 'checkout' } },
        op: 'lte',
        threshold: 300,
      },
      timeSlices: { sliceMinutes: 1, timeSliceTarget: null },
    });
    expect(loaded.slo).not.toHaveProperty('calendar');
  });

  it('gives the latency example the same runtime SLO as the equivalent burnwatch.yaml', () => {
    // Prepare
    const burnwatch = `
slos:
  - name: checkout-p99-latency
    description: Each minute's p99 checkout latency is 300 ms or less
    objective: 99
    periodDays: 28
    budgeting: timeslices
    timeSliceMinutes: 1
    sli:
      namespace: Shop/Checkout
      tenantDimension: TenantId
      threshold:
        metric: { metricName: Latency, stat: p99, dimensions: { Service: checkout } }
        op: lte
        value: 300
`;
    // Act
    const fromOpenSlo = parseSloFile(readFileSync(join(EXAMPLES, 'latency-timeslices.yaml'), 'utf8'), 'openslo.yaml');
    const fromBurnwatch = parseSloFile(burnwatch, 'burnwatch.yaml');

    // Assess
    expect(fromOpenSlo.slo).toEqual(fromBurnwatch.slo);
  });

  it('maps the calendar-month example to a calendar month in Paris, budgeted by slices of 95 % good requests', () => {
    // Act
    const loaded = parseSloFile(readFileSync(join(EXAMPLES, 'calendar-month.yaml'), 'utf8'), 'calendar-month.yaml');

    // Assess
    expect(loaded.cloudWatchProblems).toEqual([]);
    expect(loaded.slo).toMatchObject({
      name: 'api-monthly-sla',
      objectivePercent: 99.5,
      // A calendar month's nominal length: the burn-rate factors come from it.
      periodDays: 30,
      calendar: { unit: 'month', timeZone: 'Europe/Paris' },
      timeSlices: { sliceMinutes: 1, timeSliceTarget: 0.95 },
      sli: { kind: 'ratio', bad: 'bad', total: 'total' },
    });
    expect(loaded.slo.rules[0]?.burnRate).toBeCloseTo(workbookBurnRate(2, 60, 30));
  });

  it.each<[string, string, number]>([
    ['1m', 'a minute', 1],
    ['60s', 'sixty seconds', 1],
    ['5m', 'five minutes', 5],
  ])('reads timeSliceWindow %s as %s', (window, _label, minutes) => {
    // Act
    const props = openSloToSloProps(ratioSlicesDoc((d) => (d.spec.objectives[0].timeSliceWindow = window)), 'slo.yaml');

    // Assess
    expect(props).toMatchObject({ budgeting: 'timeslices', timeSliceMinutes: minutes, timeSliceTarget: 0.95 });
  });

  it('reads a window with a calendar and no isRolling as calendar-aligned, as OpenSLO does', () => {
    // Prepare
    const doc = withDoc((d) => (d.spec.timeWindow = [{ duration: '1M', calendar: { timeZone: 'UTC' } }]));

    // Act
    const props = openSloToSloProps(doc, 'slo.yaml');

    // Assess
    expect(props.calendar).toEqual({ unit: 'month', timeZone: 'UTC' });
    expect(props).not.toHaveProperty('periodDays');
  });

  it('notes that a thresholdMetric time-slice target below 1 has no effect', () => {
    // Act
    const { notes } = convertOpenSlo(thresholdDoc((d) => (d.spec.objectives[0].timeSliceTarget = 0.95)), 'slo.yaml');

    // Assess
    expect(notes).toEqual([expect.stringContaining(`${objectiveAt}.timeSliceTarget has no effect for a thresholdMetric`)]);
  });

  it('converts a thresholdMetric from another metric source for a CSV backtest, but not for the stack', () => {
    // Prepare
    const doc = thresholdDoc((d) => (d.spec.indicator.spec.thresholdMetric.metricSource = { type: 'Prometheus', spec: { query: 'p99' } }));

    // Act
    const conversion = convertOpenSlo(doc, 'slo.yaml');
    const error = thrownBy(() => openSloToSloProps(doc, 'slo.yaml'));

    // Assess
    expect(normalizeSlo(conversion.props)).toMatchObject({ sli: { kind: 'threshold', op: 'lte', threshold: 300 }, timeSlices: { sliceMinutes: 1 } });
    expect(error.message).toContain('spec.indicator.spec.thresholdMetric.metricSource.type: must be "CloudWatch" for Burnwatch to read the SLI itself, got "Prometheus"');
  });

  it.each<[string, Doc, string]>([
    ['a thresholdMetric without a budgeting method', thresholdDoc((d) => delete d.spec.budgetingMethod), 'spec.budgetingMethod: must be "Timeslices" for a thresholdMetric SLI: a statistic such as p99 judges a time slice, it counts no events (for Occurrences, count the samples in a ratioMetric, e.g. good: stat TC(:300), total: stat SampleCount), got nothing'],
    ['a thresholdMetric without op', thresholdDoc((d) => delete d.spec.objectives[0].op), `${objectiveAt}.op: must be "lt", "lte", "gt", "gte" for a thresholdMetric: a slice is good when its statistic op value holds, got nothing`],
    ['a thresholdMetric with an op OpenSLO lacks', thresholdDoc((d) => (d.spec.objectives[0].op = 'eq')), `${objectiveAt}.op: must be "lt", "lte", "gt", "gte" for a thresholdMetric: a slice is good when its statistic op value holds, got "eq"`],
    ['a thresholdMetric without value', thresholdDoc((d) => delete d.spec.objectives[0].value), `${objectiveAt}.value: must be a number, got nothing`],
    ['a thresholdMetric without a statistic', thresholdDoc((d) => delete d.spec.indicator.spec.thresholdMetric.metricSource.spec.stat), 'spec.indicator.spec.thresholdMetric.metricSource.spec.stat: must be given for a thresholdMetric: the CloudWatch statistic judged per slice, e.g. "p99", got nothing'],
    ['a thresholdMetric statistic CloudWatch does not know', thresholdDoc((d) => (d.spec.indicator.spec.thresholdMetric.metricSource.spec.stat = 'P99')), 'spec.indicator.spec.thresholdMetric.metricSource.spec: (as Burnwatch stat) must be a CloudWatch statistic: Sum, SampleCount'],
    ['a TC without a bound as the thresholdMetric statistic', thresholdDoc((d) => (d.spec.indicator.spec.thresholdMetric.metricSource.spec.stat = 'TC(:)')), 'needs at least one bound, e.g. TC(:250)), got "TC(:)"'],
    ['a thresholdMetric time-slice target above 1', thresholdDoc((d) => (d.spec.objectives[0].timeSliceTarget = 1.5)), `${objectiveAt}.timeSliceTarget: must be a number > 0 and <= 1, got 1.5`],
    ['both ratioMetric and thresholdMetric', thresholdDoc((d) => (d.spec.indicator.spec.ratioMetric = baseDoc().spec.indicator.spec.ratioMetric)), 'spec.indicator.spec: must give exactly one of ratioMetric or thresholdMetric, got both'],
    ['op and value on a ratioMetric', ratioSlicesDoc((d) => (d.spec.objectives[0].op = 'lte')), `${objectiveAt}.op: must be omitted for a ratioMetric SLI: op and value compare a thresholdMetric with its threshold, got "lte"`],
    ['Timeslices without timeSliceWindow', ratioSlicesDoc((d) => delete d.spec.objectives[0].timeSliceWindow), `${objectiveAt}.timeSliceWindow: must be a duration of whole minutes, like "1m" or "5m" (CloudWatch's finest per-tenant metric period is one minute), got nothing`],
    ['a time slice shorter than the 1-minute metric period', ratioSlicesDoc((d) => (d.spec.objectives[0].timeSliceWindow = '30s')), `${objectiveAt}.timeSliceWindow: must be a duration of whole minutes, like "1m" or "5m" (CloudWatch's finest per-tenant metric period is one minute), got "30s"`],
    ['a time slice of 90 seconds', ratioSlicesDoc((d) => (d.spec.objectives[0].timeSliceWindow = '90s')), `${objectiveAt}.timeSliceWindow: must be a duration of whole minutes`],
    ['a time slice that does not divide an hour', ratioSlicesDoc((d) => (d.spec.objectives[0].timeSliceWindow = '7m')), `${objectiveAt}.timeSliceWindow: must be one of 1, 5, 10, 15, 20, 30, 60: whole minutes that divide an hour and fit CloudWatch's 5-minute resolution for data older than 15 days, got 7`],
    ['slices longer than the Workbook policy\'s 5-minute short window', ratioSlicesDoc((d) => (d.spec.objectives[0].timeSliceWindow = '1h')), `${objectiveAt}.timeSliceWindow: must divide every window of the SRE Workbook policy (1h/5m does not fit whole slices)`],
    ['a ratioMetric by Timeslices without timeSliceTarget', ratioSlicesDoc((d) => delete d.spec.objectives[0].timeSliceTarget), `${objectiveAt}.timeSliceTarget: must be given for a ratio SLI with budgeting: "timeslices": a number > 0 and <= 1, the share of good events that makes a slice good, got nothing`],
    ['a time-slice window with Occurrences', withDoc((d) => (d.spec.objectives = [{ target: 0.999, timeSliceWindow: '1m' }])), `${objectiveAt}.timeSliceWindow: must be omitted unless spec.budgetingMethod is "Timeslices", got "1m"`],
    [
      'a lookback window too short for the time-slice traffic guard',
      ratioSlicesDoc((d) => (d.spec.alertPolicies = [policy([burnCondition({ threshold: 14.4, lookbackWindow: '6m' }, { severity: 'page' })])])),
      "spec.alertPolicies[0].spec.conditions[0].spec.condition.lookbackWindow: must hold at least 10 minutes with Timeslices, and its short window (a twelfth of it, here 1m) at least 2: Burnwatch's traffic guard counts minutes with data and bad minutes, got \"6m\"",
    ],
    [
      'a lookback window whose short window is not whole slices',
      ratioSlicesDoc((d) => ((d.spec.objectives[0].timeSliceWindow = '5m'), (d.spec.alertPolicies = [policy([burnCondition({ threshold: 6, lookbackWindow: '90m' }, { severity: 'page' })])]))),
      // 90m holds 18 slices of 5 minutes; its short window, 90 / 12 = 7.5 rounded to 8m, holds none whole.
      'spec.alertPolicies[0].spec.conditions[0]: (as Burnwatch shortWindow) must be a whole number of time slices (timeSliceMinutes 5), got "8m"',
    ],
    ['a calendar window of a week', withDoc((d) => (d.spec.timeWindow = [{ duration: '1w', isRolling: false, calendar: { timeZone: 'UTC' } }])), 'spec.timeWindow[0].duration: must be "1M" for a calendar-aligned window: calendar months are the only calendar period (or set isRolling: true), got "1w"'],
    ['a calendar time zone Intl does not know', withDoc((d) => (d.spec.timeWindow = [{ duration: '1M', isRolling: false, calendar: { timeZone: 'Europe/Atlantis' } }])), 'spec.timeWindow[0].calendar.timeZone: must be an IANA time zone name such as "UTC" or "Europe/Paris", got "Europe/Atlantis"'],
    ['a calendar without a time zone', withDoc((d) => (d.spec.timeWindow = [{ duration: '1M', isRolling: false, calendar: { startTime: '2024-01-01 00:00:00' } }])), 'spec.timeWindow[0].calendar.timeZone: must be an IANA time zone name such as "UTC" or "Europe/Paris", got nothing'],
    ['a calendar starting mid-month', withDoc((d) => (d.spec.timeWindow = [{ duration: '1M', isRolling: false, calendar: { startTime: '2024-01-15 00:00:00', timeZone: 'UTC' } }])), 'spec.timeWindow[0].calendar.startTime: must be midnight on the 1st of a month, like "2024-01-01 00:00:00": the budget resets when each calendar month starts, got "2024-01-15 00:00:00"'],
    ['a calendar starting at noon', withDoc((d) => (d.spec.timeWindow = [{ duration: '1M', isRolling: false, calendar: { startTime: '2024-01-01 12:00:00', timeZone: 'UTC' } }])), 'spec.timeWindow[0].calendar.startTime: must be midnight on the 1st of a month'],
    ['a calendar on a rolling window', withDoc((d) => (d.spec.timeWindow = [{ duration: '30d', isRolling: true, calendar: { timeZone: 'UTC' } }])), 'spec.timeWindow[0].calendar: must be omitted for a rolling window (isRolling: true), got {"timeZone":"UTC"}'],
  ])('refuses %s, naming the field', (_label, doc, message) => {
    // Act
    const error = thrownBy(() => openSloToSloProps(doc, 'slo.yaml'));

    // Assess
    expect(error).toBeInstanceOf(OpenSloError);
    expect(error.message).toContain(message);
  });
});
