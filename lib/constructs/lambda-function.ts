/**
 * The one NodejsFunction factory every Burnwatch function goes through, so runtime, architecture, bundling,
 * logging, tracing and environment handling are the same everywhere.
 */
import { Buffer } from 'node:buffer';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, Stack, Token } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Lambda rejects a function whose environment variables (names and values) exceed 4 KB in total. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;
/** Deploy-time values (ARNs, names) are unknown at synth; each is counted as this many bytes, an ARN's upper range. */
const DEPLOY_TIME_VALUE_BYTES = 256;
export const FUNCTION_RUNTIME = Runtime.NODEJS_22_X;

export class LambdaEnvironmentTooLargeError extends Error {
  constructor(functionPath: string, sizes: readonly { readonly name: string; readonly bytes: number }[]) {
    const total = sizes.reduce((sum, entry) => sum + entry.bytes, 0);
    const largest = [...sizes].sort((a, b) => b.bytes - a.bytes).map((entry) => `${entry.name} ${entry.bytes} B`).join(', ');
    super(
      `${functionPath}: environment must be at most ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes (Lambda's limit for all variables), ` +
        `got about ${total} bytes (${largest}; deploy-time values counted as ${DEPLOY_TIME_VALUE_BYTES} B each). ` +
        'Fewer or smaller SLOs fit; shorter descriptions and metric names help.',
    );
    this.name = 'LambdaEnvironmentTooLargeError';
  }
}

export class EnvironmentConflictError extends Error {
  constructor(functionPath: string, variable: string) {
    super(`${functionPath}: environment.${variable} must not be given, it is set by the function factory`);
    this.name = 'EnvironmentConflictError';
  }
}

export interface BurnwatchFunctionProps {
  /** Path of the handler's TypeScript file. */
  readonly entry: string;
  /**
   * Exported handler function name.
   * @default 'handler'
   */
  readonly handler?: string;
  readonly description: string;
  /** Powertools service name (`POWERTOOLS_SERVICE_NAME`), e.g. `burnwatch-evaluator`. */
  readonly serviceName: string;
  /**
   * Extra environment variables; merged with the factory's own, a clash is an error.
   * @default - only the factory's variables
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * @default - unreserved (shares the account's pool)
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Customer-managed key for the log group; its key policy must allow CloudWatch Logs (see `BurnwatchKey`).
   * @default - encrypted with a key owned by CloudWatch Logs
   */
  readonly logEncryptionKey?: IKey;
  /**
   * Files written next to the bundled handler, by name (`[A-Za-z0-9._-]+`): configuration that would not fit
   * Lambda's 4 KB environment. They are part of the bundle, so a change deploys a new code version with them.
   * @default - no extra files
   */
  readonly files?: Readonly<Record<string, string>>;
  /**
   * Retries of a failed asynchronous invocation.
   * @default - Lambda's default (2)
   */
  readonly retryAttempts?: number;
  /**
   * Oldest an asynchronous event may be before Lambda drops it (60 s to 6 h).
   * @default - Lambda's default (6 hours)
   */
  readonly maxEventAge?: Duration;
}

/** Names of files bundled next to a handler: no directories, nothing to quote in a shell command. */
export const BUNDLED_FILE_NAME = /^[A-Za-z0-9._-]+$/;

export class BundledFileError extends Error {
  constructor(functionPath: string, name: string, detail: string) {
    super(`${functionPath}: files[${JSON.stringify(name)}]: ${detail}`);
    this.name = 'BundledFileError';
  }
}

/** Byte length of an environment value; deploy-time parts (Ref, GetAtt) are estimated. */
function estimateBytes(resolved: unknown): number {
  if (typeof resolved === 'string') return Buffer.byteLength(resolved, 'utf8');
  if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved).length;
  if (typeof resolved === 'object' && resolved !== null && 'Fn::Join' in resolved) {
    const [separator, parts] = (resolved as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.reduce<number>((sum, part) => sum + estimateBytes(part), 0) + Buffer.byteLength(separator) * Math.max(0, parts.length - 1);
  }
  return DEPLOY_TIME_VALUE_BYTES;
}

/** Throws when the environment cannot fit Lambda's 4 KB, at synth rather than at deploy. */
export function checkEnvironmentSize(scope: Construct, functionPath: string, environment: Readonly<Record<string, string>>): void {
  const stack = Stack.of(scope);
  const sizes = Object.entries(environment).map(([name, value]) => ({
    name,
    bytes: Buffer.byteLength(name, 'utf8') + estimateBytes(stack.resolve(value)),
  }));
  const total = sizes.reduce((sum, entry) => sum + entry.bytes, 0);
  if (total > LAMBDA_ENVIRONMENT_LIMIT_BYTES) throw new LambdaEnvironmentTooLargeError(functionPath, sizes);
}

export function createBurnwatchFunction(scope: Construct, id: string, props: BurnwatchFunctionProps): NodejsFunction {
  const functionPath = `${scope.node.path}/${id}`;
  const ownEnvironment: Record<string, string> = {
    POWERTOOLS_SERVICE_NAME: props.serviceName,
    // Stack traces point into the TypeScript sources through the bundled source maps.
    NODE_OPTIONS: '--enable-source-maps',
  };
  for (const name of Object.keys(props.environment ?? {})) {
    if (name in ownEnvironment) throw new EnvironmentConflictError(functionPath, name);
  }
  const environment = { ...ownEnvironment, ...props.environment };
  checkEnvironmentSize(scope, functionPath, environment);

  const logGroup = new LogGroup(scope, `${id}LogGroup`, {
    retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    encryptionKey: props.logEncryptionKey,
  });
  // An explicit role that may write only to this function's log group, instead of the AWS managed basic role.
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `Execution role of ${functionPath}`,
  });
  logGroup.grantWrite(role);

  const files = props.files ?? {};
  for (const [name, content] of Object.entries(files)) {
    if (!BUNDLED_FILE_NAME.test(name)) throw new BundledFileError(functionPath, name, `name must match ${BUNDLED_FILE_NAME.source}`);
    if (Token.isUnresolved(content)) throw new BundledFileError(functionPath, name, 'content must be known at synth time, got a deploy-time token');
  }
  const staged = Object.keys(files).length > 0 ? mkdtempSync(join(tmpdir(), 'burnwatch-files-')) : undefined;
  if (staged) for (const [name, content] of Object.entries(files)) writeFileSync(join(staged, name), content);

  return new NodejsFunction(scope, id, {
    entry: props.entry,
    handler: props.handler ?? 'handler',
    description: props.description,
    runtime: FUNCTION_RUNTIME,
    architecture: Architecture.ARM_64,
    memorySize: props.memorySize ?? 1024,
    timeout: props.timeout ?? Duration.seconds(30),
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    tracing: Tracing.ACTIVE,
    role,
    logGroup,
    environment,
    retryAttempts: props.retryAttempts,
    maxEventAge: props.maxEventAge,
    bundling: {
      format: OutputFormat.CJS,
      target: 'node22',
      minify: true,
      sourceMap: true,
      sourceMapMode: SourceMapMode.INLINE,
      sourcesContent: false,
      // Bundle everything, the AWS SDK included, so the code runs against the SDK version it was tested with.
      externalModules: [],
      ...(staged
        ? {
            commandHooks: {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (_inputDir: string, outputDir: string) =>
                Object.keys(files).map((name) => `cp "${join(staged, name)}" "${outputDir}/${name}"`),
            },
          }
        : {}),
    },
  });
}
