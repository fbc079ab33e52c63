/**
 * The local wiring (cli/local/workflow-runner.ts, used by test/workflow and `npm run demo`) builds the X-Ray, Logs
 * Insights and load collectors as the Lambda handlers do, so an SLO that configures them gets evidence instead of
 * `unavailable: no ... collector is wired`. Calls go through the collect handler, as the state machine makes them.
 * X-Ray and Logs are answered by aws-sdk-client-mock; load reads the request counts held by the LocalCloudWatch.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetServiceGraphCommand, GetTraceSummariesCommand, XRayClient } from '@aws-sdk/client-xray';
import { mockClient } from 'aws-sdk-client-mock';
import { LocalCloudWatch } from '../../lambda/adapters/local-cloudwatch';
import { DAY_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { SloDefinition } from '../../lambda/domain/model';
import { workflowHandlers } from '../../lambda/handlers/workflow';
import type { IncidentWorkflowInput, Log, StateStore, GuardStore } from '../../lambda/ports';
import type { CollectorOutcome } from '../../lambda/usecases/workflow/state';
import { normalizeWorkflowProps } from '../../lib/config/workflow';
import { localAwsClients, localWorkflowWiring } from '../../cli/local/workflow-runner';
import { checkoutSlo, runtimeConfig } from '../support/faults';

const ONSET = Date.UTC(2026, 10, 20, 12, 0, 0);
const NOW = ONSET + 10 * MINUTE_MS;
const TENANT = 'acme';
const BASELINE_PER_MINUTE = 1000;
/** From the onset on, the tenant sends this multiple of its usual rate: above the default overload factor of 2. */
const JUMP = 3;
const QUERY_TIMEOUT_SECONDS = 10;
const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };

const slo: SloDefinition = checkoutSlo({ tenants: { mode: 'list', tenants: [TENANT] } });
const workflow = normalizeWorkflowProps({
  resources: {
    [slo.name]: {
      traces: { annotationKey: 'tenant' },
      logs: { logGroups: ['/aws/lambda/checkout-api'], queryTimeoutSeconds: QUERY_TIMEOUT_SECONDS },
      load: {},
    },
  },
}).runtime;
const input: IncidentWorkflowInput = { incidentId: 'inc-local', slo: slo.name, severity: 'page', tenants: [TENANT], onsetAt: ONSET, openedAt: ONSET };

const xray = mockClient(XRayClient);
const logs = mockClient(CloudWatchLogsClient);

/** Eight days of the tenant's requests at its usual rate, then JUMP times that from the onset. */
function trafficWithJump(): LocalCloudWatch {
  const cw = new LocalCloudWatch({ clock: () => NOW });
  const from = ONSET - 8 * DAY_MS;
  const minutes = (NOW - from) / MINUTE_MS;
  const requests = new Float64Array(minutes);
  for (let i = 0; i < minutes; i += 1) requests[i] = from + i * MINUTE_MS >= ONSET ? JUMP * BASELINE_PER_MINUTE : BASELINE_PER_MINUTE;
  cw.putMinutes(slo.sli.namespace, 'Requests', { ...slo.sli.dimensions, [slo.sli.tenantDimension]: TENANT }, from, requests);
  return cw;
}

function collect(source: 'xray' | 'logs' | 'load'): Promise<CollectorOutcome> {
  const wiring = localWorkflowWiring({
    clock: { now: () => NOW },
    log: quiet,
    runtime: runtimeConfig(slo),
    workflow,
    // The collect step touches neither store.
    store: undefined as unknown as StateStore,
    guards: undefined as unknown as GuardStore,
    cloudwatch: trafficWithJump(),
    clients: { ...localAwsClients(), coldStartCloudWatch: new CloudWatchClient({ region: 'eu-west-1' }) },
  });
  return workflowHandlers(wiring).collect({ source, input });
}

describe('the local wiring of the optional collectors', () => {
  beforeEach(() => {
    xray.reset();
    logs.reset();
    xray.on(GetTraceSummariesCommand).resolves({
      TraceSummaries: [
        {
          Id: '1-6720a000-000000000000000000000001',
          StartTime: new Date(ONSET + MINUTE_MS),
          HasFault: true,
          ResponseTime: 1.5,
          Annotations: { tenant: [{ AnnotationValue: { StringValue: TENANT } }] },
          FaultRootCauses: [{ Services: [{ Name: 'api', EntityPath: [{ Name: 'api' }] }, { Name: 'orders-db', EntityPath: [{ Name: 'orders-db', Remote: true }] }] }],
        },
      ],
    });
    xray.on(GetServiceGraphCommand).resolves({ Services: [] });
    logs.on(StartQueryCommand).resolves({ queryId: 'q-local' });
    logs.on(StopQueryCommand).resolves({ success: true });
  });

  it('collects traces through the X-Ray collector with the SLO\'s tenant annotation', async () => {
    // Act
    const outcome = await collect('xray');
    // Assess
    expect(outcome.result.status).toBe('ok');
    expect(outcome.result.status === 'ok' ? outcome.result.items.map((item) => item.resource) : []).toContain('api -> orders-db');
    expect(xray.commandCalls(GetTraceSummariesCommand)[0]?.args[0].input.FilterExpression).toContain('annotation.tenant = "acme"');
  });

  it('collects error logs through one Logs Insights query on the configured log group', async () => {
    // Prepare
    logs.on(GetQueryResultsCommand).resolves({
      status: 'Complete',
      results: [
        [
          { field: '@log', value: '123456789012:/aws/lambda/checkout-api' },
          { field: 'bwTenant', value: TENANT },
          { field: 'bwMessage', value: 'ERROR connection refused to orders-db' },
          { field: 'bwEvents', value: '42' },
          { field: 'bwFirst', value: '2026-11-20 12:00:10.000' },
          { field: 'bwLast', value: '2026-11-20 12:09:58.000' },
        ],
      ],
    });
    // Act
    const outcome = await collect('logs');
    // Assess
    expect(outcome.result.status).toBe('ok');
    expect(outcome.result.status === 'ok' ? outcome.result.items[0]?.details : undefined).toMatchObject({ events: 42 });
    expect(logs.commandCalls(StartQueryCommand)[0]?.args[0].input.logGroupNames).toEqual(['/aws/lambda/checkout-api']);
  });

  it('stops a query that outlives its deadline on simulated time, reporting logs unavailable', async () => {
    // Prepare: the query never completes
    logs.on(GetQueryResultsCommand).resolves({ status: 'Running' });
    // Act
    const outcome = await collect('logs');
    // Assess
    expect(outcome.result).toEqual({ source: 'logs', status: 'unavailable', reason: `logs: InsightsQueryTimeoutError: query timed out after ${QUERY_TIMEOUT_SECONDS}s (stopped)` });
    expect(logs.commandCalls(StopQueryCommand).map((call) => call.args[0].input)).toEqual([{ queryId: 'q-local' }]);
  });

  it('counts load from the SLI\'s request metric in the local CloudWatch and names the traffic jump', async () => {
    // Act
    const outcome = await collect('load');
    // Assess: 3,000 requests a minute against a baseline of 1,000 (both the day and the week before) is a 3x jump
    expect(outcome.result.status).toBe('ok');
    const [item] = outcome.result.status === 'ok' ? outcome.result.items : [];
    expect(item).toMatchObject({ failureMode: 'overload', tenants: [TENANT] });
    expect(item?.details['baselineRequestsPerMinute']).toBe(BASELINE_PER_MINUTE);
    expect(item?.details['trafficJumpFactor']).toBeCloseTo(JUMP, 6);
  });
});
