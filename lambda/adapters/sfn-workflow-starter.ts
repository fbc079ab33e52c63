import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { IncidentWorkflowInput, WorkflowStarter } from '../ports';

/** Step Functions refuses execution names outside this set; incident ids are built to fit it. */
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export class InvalidExecutionNameError extends Error {
  constructor(name: string) {
    super(`executionName: must match ${EXECUTION_NAME.source}, got ${JSON.stringify(name.slice(0, 100))}`);
    this.name = 'InvalidExecutionNameError';
  }
}

/** Starts the incident workflow. The execution name is the idempotency key: a second start of the same name is harmless. */
export class SfnWorkflowStarter implements WorkflowStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(input: IncidentWorkflowInput, executionName: string): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    if (!EXECUTION_NAME.test(executionName)) throw new InvalidExecutionNameError(executionName);
    try {
      const out = await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: executionName, input: JSON.stringify(input) }),
      );
      return { executionArn: out.executionArn ?? this.executionArn(executionName), alreadyStarted: false };
    } catch (error) {
      // Same name, same input: Step Functions answers with the running execution for Standard workflows, or this error
      // when the input differs (e.g. a retry after the incident gained a tenant). Either way the incident has its execution.
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
        return { executionArn: this.executionArn(executionName), alreadyStarted: true };
      }
      throw error;
    }
  }

  private executionArn(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }
}
