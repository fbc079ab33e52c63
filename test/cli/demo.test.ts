/**
 * Demo smoke test: a short scenario through the real pipeline (local CloudWatch, dynalite, evaluator, alerts) must
 * page on its outage, group its shared failure into one incident, and write the report and the summary.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../../cli/demo/run';
import { parseScenario, ScenarioError } from '../../cli/demo/scenario';
import type { DemoSummary } from '../../cli/demo/run';
import { runHeadlessChromium } from '../support/chromium';

const SCENARIO = `
name: smoke
start: "2026-11-24T08:00:00Z"
hours: 2
historyHours: 6
seed: 3
burnwatch:
  slos:
    - name: api-availability
      objective: 99.9
      sli:
        namespace: Demo/Api
        tenantDimension: TenantId
        metrics:
          requests: { metricName: Requests }
          errors: { metricName: Errors5xx }
        bad: errors
        total: requests
      alerting: { resolveAfterMinutes: 5 }
  workflow:
    mitigationMode: auto
    allowlist: [api/api-prod]
    waitAfterActionSeconds: 600
    resources:
      api-availability:
        deploymentGroups: [{ application: api, group: api-prod }]
traffic:
  tenants: 12
  requestsPerMinute: [300, 900]
  baselineErrorRate: 0.0001
  extraTenants:
    - { name: tiny-startup, requestsPerMinute: 0.05, errorsAt: ["00:30"] }
events:
  - { kind: deployment, at: "00:20", durationMinutes: 10, tenants: [acme-corp], errorRate: 0.5, resource: { application: api, deploymentGroup: api-prod, deploymentId: d-1 }, recoveryMinutes: 2 }
  - { kind: database-failover, at: "01:10", durationMinutes: 4, tenants: all, errorRate: 0.4 }
`;

/** The report as headless Chromium lays it out: a screenshot into `dir` (report.png), and the DOM it returns. */
function renderInChromium(reportPath: string, dir: string): string {
  const url = `file://${reportPath}`;
  const screenshot = runHeadlessChromium(['--window-size=1280,2000', `--screenshot=${join(dir, 'report.png')}`, url]);
  expect(screenshot.status).toBe(0);
  const dom = runHeadlessChromium(['--dump-dom', url]);
  expect(dom.status).toBe(0);
  return dom.stdout;
}

describe('demo', () => {
  it('pages the outage, groups the shared failure into one incident and writes its report', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'burnwatch-demo-'));
    const scenarioPath = join(dir, 'smoke.yaml');
    writeFileSync(scenarioPath, SCENARIO);
    const lines: string[] = [];
    // Act
    const result = await runDemo({ scenarioPath, outDir: dir, quiet: false, write: (l) => lines.push(l) });
    // Assess
    const summary = JSON.parse(readFileSync(result.summaryPath, 'utf8')) as DemoSummary;
    expect(summary.incidents).toHaveLength(2);
    const [deployment, failover] = summary.incidents;
    expect(deployment?.tenants).toEqual(['acme-corp']);
    expect(deployment?.severity).toBe('page');
    // 12 generated tenants and tiny-startup: the failover hits all. acme-corp, still in its deployment incident when it
    // starts paging again, moves into the failover's incident (one cause, one page) rather than paging on its own; one
    // failure on a quiet tenant never pages.
    expect(failover?.tenants).toHaveLength(12);
    expect(failover?.tenants).toContain('acme-corp');
    expect(failover?.tenants).not.toContain('tiny-startup');
    expect(summary.pages).toBe(2);
    // The workflow found the deployment, rolled it back, and the re-sampled burn showed the recovery.
    expect(deployment?.failureMode).toBe('deployment');
    expect(deployment?.suspectedCause).toContain('deployment d-1 to api/api-prod');
    expect(deployment?.actions).toEqual(['codedeploy-rollback api/api-prod: succeeded']);
    expect(deployment?.recovery).toBe('recovered');
    expect(deployment?.validations.map((v) => v.recovered)).toEqual([true]);
    expect(lines.some((l) => l.includes('StopDeployment d-1'))).toBe(true);
    expect(readdirSync(join(dir, 'demo-forensics'))).toContain(`${deployment?.id ?? 'missing'}.json`);
    const html = readFileSync(result.reportPath, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain(deployment?.id ?? 'missing');
    expect(lines.some((l) => l.includes('OPENED') && l.includes('acme-corp'))).toBe(true);

    // The report renders in headless Chromium (installed by .ci/run): the DOM it lays out has the charts and rows.
    const dom = renderInChromium(result.reportPath, dir);
    expect(dom.match(/<svg /g)?.length ?? 0).toBeGreaterThanOrEqual(result.tracks.size);
    expect(dom).toContain(`<code>${deployment?.id ?? 'missing'}</code>`);
    expect(readFileSync(join(dir, 'report.png')).subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  it.each([
    ['an unknown event kind', SCENARIO.replace('kind: deployment', 'kind: meteor'), 'events[0].kind: must be one of deployment'],
    ['an unknown tenant', SCENARIO.replace('tenants: [acme-corp]', 'tenants: [nobody]'), 'events[0].tenants: unknown tenant "nobody"'],
    ['a bad offset', SCENARIO.replace('at: "00:20"', 'at: "noon"'), 'events[0].at: must be an offset from start as HH:MM, got "noon"'],
    ['a bad objective', SCENARIO.replace('objective: 99.9', 'objective: 100'), 'objective'],
  ])('refuses a scenario with %s, naming the field', (_label, text, message) => {
    expect(() => parseScenario(text, 'x.yaml')).toThrow(ScenarioError);
    expect(() => parseScenario(text, 'x.yaml')).toThrow(message);
  });
});
