import { mockClient } from 'aws-sdk-client-mock';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { InvalidExecutionNameError, SfnWorkflowStarter } from '../../lambda/adapters/sfn-workflow-starter';
import type { IncidentWorkflowInput } from '../../lambda/ports';

const SM_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:burnwatch-incident';
const input: IncidentWorkflowInput = {
  incidentId: 'api-20261125T1200-abcd1234',
  slo: 'api',
  severity: 'page',
  tenants: ['acme'],
  onsetAt: 1_700_000_000_000,
  openedAt: 1_700_000_060_000,
};

describe('SfnWorkflowStarter', () => {
  const sfn = mockClient(SFNClient);
  beforeEach(() => sfn.reset());

  it('starts an execution named after the incident with the incident as input', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${SM_ARN}:x`, startDate: new Date() });
    // Act
    const result = await new SfnWorkflowStarter(new SFNClient({ region: 'eu-west-1' }), SM_ARN).start(input, input.incidentId);
    // Assess
    expect(result).toEqual({ executionArn: `${SM_ARN}:x`, alreadyStarted: false });
    const call = sfn.commandCalls(StartExecutionCommand)[0];
    expect(call?.args[0].input).toEqual({ stateMachineArn: SM_ARN, name: input.incidentId, input: JSON.stringify(input) });
  });

  it('treats ExecutionAlreadyExists as an execution already running for the incident', async () => {
    const error = Object.assign(new Error('Execution already exists'), { name: 'ExecutionAlreadyExists' });
    sfn.on(StartExecutionCommand).rejects(error);
    const result = await new SfnWorkflowStarter(new SFNClient({ region: 'eu-west-1' }), SM_ARN).start(input, input.incidentId);
    expect(result).toEqual({
      executionArn: `arn:aws:states:eu-west-1:123456789012:execution:burnwatch-incident:${input.incidentId}`,
      alreadyStarted: true,
    });
  });

  it('propagates other errors such as throttling after the SDK retries', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(new SfnWorkflowStarter(new SFNClient({ region: 'eu-west-1' }), SM_ARN).start(input, 'ok-name')).rejects.toThrow('Rate exceeded');
  });

  it.each([
    ['a name with a space', 'a b'],
    ['unicode', 'tenant-ü'],
    ['81 characters', 'x'.repeat(81)],
    ['an empty name', ''],
  ])('refuses %s before calling Step Functions', async (_label, name) => {
    await expect(new SfnWorkflowStarter(new SFNClient({ region: 'eu-west-1' }), SM_ARN).start(input, name)).rejects.toBeInstanceOf(
      InvalidExecutionNameError,
    );
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});
