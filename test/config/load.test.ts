import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BurnwatchConfigError, BurnwatchConfigFileError } from '../../lib/config/errors';
import { loadBurnwatchConfig, parseBurnwatchYaml } from '../../lib/config/load';
import { normalizeBurnwatchProps } from '../../lib/config/normalize';
import { ratioSliOf, thrownBy } from './fixtures';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'burnwatch.yaml');

describe('loadBurnwatchConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'burnwatch-load-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the example file into a valid runtime config', () => {
    // Act
    const { runtime } = normalizeBurnwatchProps(loadBurnwatchConfig(EXAMPLE));

    // Assess
    const slo = runtime.slos[0]!;
    expect(slo.name).toBe('api-availability');
    expect(slo.objectivePercent).toBe(99.9);
    expect(slo.sli.namespace).toBe('MyService');
    expect(slo.sli.tenantDimension).toBe('TenantId');
    const sli = ratioSliOf(slo);
    expect(sli.metrics).toEqual([
      { id: 'requests', metricName: 'Requests', stat: 'Sum' },
      { id: 'errors5xx', metricName: 'Errors5xx', stat: 'Sum' },
      { id: 'timeouts', metricName: 'Timeouts', stat: 'Sum' },
    ]);
    expect([sli.bad, sli.total]).toEqual(['errors5xx + timeouts', 'requests']);
    expect(slo.tenants.mode).toBe('discover');
    expect(slo.overrides['premium-tier']).toEqual({ objectivePercent: 99.95 });
  });

  it('names a missing file and how to pass another', () => {
    // Act
    const error = thrownBy(() => loadBurnwatchConfig(join(dir, 'nope.yaml')));

    // Assess
    expect(error).toBeInstanceOf(BurnwatchConfigFileError);
    expect(error.message).toMatch(/nope\.yaml: file not found .*-c config=<file>/);
  });

  it('reports YAML syntax errors with their line', () => {
    // Prepare: a flow sequence opened on line 3 and never closed; the parser notices on line 4
    const file = join(dir, 'syntax.yaml');
    writeFileSync(file, 'slos:\n  - name: api\n    metrics: [a, b\n    objective: 99.9\n');

    // Act
    const error = thrownBy(() => loadBurnwatchConfig(file));

    // Assess
    expect(error).toBeInstanceOf(BurnwatchConfigFileError);
    expect(error.message).toMatch(/^Burnwatch configuration .*syntax\.yaml: is not valid YAML:\n {2}- .*syntax\.yaml:4:5: Flow sequence/);
  });

  it('reports a duplicate key as a YAML error', () => {
    // Act
    const error = thrownBy(() => parseBurnwatchYaml('evaluator:\n  timeoutSeconds: 30\n  timeoutSeconds: 40\nslos: []\n', 'dup.yaml'));

    // Assess
    expect(error).toBeInstanceOf(BurnwatchConfigFileError);
    expect(error.message).toContain('dup.yaml:3:3:');
  });

  it('reports wrong types with the field path and the line', () => {
    // Prepare
    const yaml = [
      'slos:',
      '  - name: api',
      '    objective: "99.9"',
      '    sli:',
      '      namespace: MyService',
      '      tenantDimension: TenantId',
      '      metrics:',
      '        requests: { metricName: Requests }',
      '      bad: requests',
      '      total: requests',
      'evaluator:',
      '  memorySize: lots',
    ].join('\n');

    // Act
    const error = thrownBy(() => parseBurnwatchYaml(yaml, 'types.yaml'));

    // Assess
    expect(error).toBeInstanceOf(BurnwatchConfigError);
    expect(error.message).toBe(
      [
        'Invalid Burnwatch configuration in types.yaml (2 problems):',
        '  - slos[0].objective: must be a number > 0 and < 100, got "99.9" (types.yaml:3:16)',
        '  - evaluator.memorySize: must be an integer from 128 to 10240, got "lots" (types.yaml:12:15)',
      ].join('\n'),
    );
  });

  it('points a missing field at its parent', () => {
    // Act
    const error = thrownBy(() => parseBurnwatchYaml('slos:\n  - name: api\n    objective: 99\n', 'missing.yaml'));

    // Assess
    expect(error.message).toContain('slos[0].sli: must be an object with namespace, tenantDimension and either metrics, total and bad or good (a ratio SLI) or threshold (a threshold SLI), got nothing (missing.yaml:2:5)');
  });

  it('reports an empty file as a missing configuration', () => {
    // Act
    const error = thrownBy(() => parseBurnwatchYaml('', 'empty.yaml'));

    // Assess
    expect(error).toBeInstanceOf(BurnwatchConfigError);
    expect(error.message).toContain('(config): must be an object with slos, evaluator, workflow, alerts, reports, got null');
  });
});
