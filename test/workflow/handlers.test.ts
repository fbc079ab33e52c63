import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsNotifier } from '../../lambda/adapters/sns-notifier';
import type { AlertEvent } from '../../lambda/domain/alert-message';
import { openIncident } from '../../lambda/domain/incident';
import { DEFAULT_MITIGATION_POLICY } from '../../lambda/domain/mitigation';
import { RUNTIME_CONFIG_FILE } from '../../lambda/handlers/runtime-config';
import { snsAlertPublisher, wiringFromEnvironment, workflowHandlers, WORKFLOW_ENVIRONMENT } from '../../lambda/handlers/workflow';
import type { Log } from '../../lambda/ports';
import { WORKFLOW_CONFIG_FILE, WorkflowConfigError } from '../../lambda/usecases/workflow/config';
import { WorkflowPayloadError } from '../../lambda/usecases/workflow/state';

const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const sns = mockClient(SNSClient);

const runtimeJson = JSON.stringify({ schemaVersion: 1, slos: [{ name: 'checkout', objectivePercent: 99.9 }], evaluator: { dataDelayMinutes: 1 } });
const workflowJson = JSON.stringify({ schemaVersion: 1, policy: DEFAULT_MITIGATION_POLICY, contextWindowMinutes: 30, maxRounds: 3, resources: {} });

describe('workflow handlers wired from the environment', () => {
  let directory: string;

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'burnwatch-workflow-handlers-'));
    writeFileSync(join(directory, RUNTIME_CONFIG_FILE), runtimeJson);
    writeFileSync(join(directory, WORKFLOW_CONFIG_FILE), workflowJson);
  });

  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('reads both bundled config files named by the environment, once', () => {
    // Prepare
    const env = { [WORKFLOW_ENVIRONMENT.configFile]: RUNTIME_CONFIG_FILE, [WORKFLOW_ENVIRONMENT.workflowConfigFile]: WORKFLOW_CONFIG_FILE };
    const wiring = wiringFromEnvironment(env, directory, quiet);
    // Act
    const runtime = wiring.runtime();
    const workflow = wiring.workflow();
    // Assess
    expect(runtime.slos.map((slo) => slo.name)).toEqual(['checkout']);
    expect(workflow.maxRounds).toBe(3);
    expect(wiring.workflow()).toBe(workflow);
  });

  it.each([
    ['the workflow config variable is missing', {}, /BURNWATCH_WORKFLOW_CONFIG_FILE must be a file name/],
    ['the named file is not bundled', { [WORKFLOW_ENVIRONMENT.workflowConfigFile]: 'absent.json' }, /absent\.json must be bundled next to the handler/],
  ])('fails at first use, naming the problem, when %s', (_case, env, message) => {
    // Prepare
    const wiring = wiringFromEnvironment(env, directory, quiet);
    // Act / Assess
    expect(() => wiring.workflow()).toThrow(WorkflowConfigError);
    expect(() => wiring.workflow()).toThrow(message);
  });

  it('names the missing table variable only when a step needs the table', () => {
    // Prepare
    const wiring = wiringFromEnvironment({}, directory, quiet);
    // Act / Assess
    expect(() => wiring.store()).toThrow('STATE_TABLE_NAME: environment variable must be set, got nothing');
  });

  it.each([
    ['collect', { source: 'traces', input: {} }, 'payload.source: must be one of autoscaling | rds | codedeploy | lambda | xray | logs | load, got "traces"'],
    ['act', { input: {} }, 'state.executionArn: must be a non-empty string, got nothing'],
    ['notify', { reason: 'bored', state: {} }, 'payload.reason: must be one of opening | recovered | not-recovered | merged, got "bored"'],
    ['requestApproval', { state: {} }, 'payload.taskToken: must be a non-empty string, got nothing'],
    ['recordFailure', {}, 'state.failure: must be an object, got nothing'],
  ] as const)('rejects a malformed %s payload before doing anything', async (step, payload, problem) => {
    // Prepare
    const handlers = workflowHandlers(wiringFromEnvironment({}, directory, quiet));
    // Act
    const error = await handlers[step](payload).then(
      () => { throw new Error('expected the handler to reject'); },
      (caught: unknown) => caught as WorkflowPayloadError,
    );
    // Assess
    expect(error).toBeInstanceOf(WorkflowPayloadError);
    expect(error.problems).toContain(problem);
  });
});

describe('collect step wired from the environment', () => {
  let directory: string;
  const input = { incidentId: 'inc-1', slo: 'checkout', severity: 'page', tenants: ['acme'], onsetAt: Date.UTC(2026, 10, 20), openedAt: Date.UTC(2026, 10, 20) };

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'burnwatch-workflow-collect-'));
    writeFileSync(join(directory, RUNTIME_CONFIG_FILE), runtimeJson);
    writeFileSync(join(directory, WORKFLOW_CONFIG_FILE), workflowJson);
  });

  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it.each(['xray', 'logs', 'load'] as const)('marks %s as not configured for an SLO without it, calling nothing', async (source) => {
    // Prepare: the SLO maps nothing at all
    const env = { [WORKFLOW_ENVIRONMENT.configFile]: RUNTIME_CONFIG_FILE, [WORKFLOW_ENVIRONMENT.workflowConfigFile]: WORKFLOW_CONFIG_FILE };
    const handlers = workflowHandlers(wiringFromEnvironment(env, directory, quiet));
    // Act
    const outcome = await handlers.collect({ source, input });
    // Assess
    expect(outcome).toMatchObject({ source, notConfigured: true, result: { source, status: 'ok', items: [] }, notes: null });
  });
});

describe('snsAlertPublisher', () => {
  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });

  const incident = openIncident({ slo: 'checkout', severity: 'page', tenants: [{ tenant: 'acme', level: 'page', burnRates: { '5': 20 }, budgetRemaining: 0.9 }], now: Date.UTC(2026, 10, 20) });
  const event: AlertEvent = {
    schemaVersion: 1,
    type: 'opened',
    incident,
    slo: { name: 'checkout', objectivePercent: 99.9 },
    tenants: [{ tenant: 'acme', level: 'page', burnRates: { '5m': 20 }, budgetRemaining: 0.9, timeToExhaustionMinutes: 600, recoveredAt: null, budgetLost: null }],
    at: Date.UTC(2026, 10, 20),
  };

  it('publishes to the alert topic and to the Chatbot topic when one is configured, returning the alert message id', async () => {
    // Prepare
    const notifier = new SnsNotifier(new SNSClient({ region: 'eu-west-1' }), { topicArn: 'arn:aws:sns:eu-west-1:1:alerts', chatbotTopicArn: 'arn:aws:sns:eu-west-1:1:chatbot' });
    // Act
    const sent = await snsAlertPublisher(notifier).publish(event);
    // Assess
    expect(sent).toEqual({ messageId: 'm-1' });
    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input.TopicArn)).toEqual(['arn:aws:sns:eu-west-1:1:alerts', 'arn:aws:sns:eu-west-1:1:chatbot']);
  });
});
