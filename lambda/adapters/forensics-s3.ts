/**
 * Writes an incident's forensic bundle (timeline, evidence, correlation, actions) as one KMS-encrypted JSON
 * object under `incidents/<yyyy>/<mm>/<incident id>.json`.
 */
import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { ApiSession, describeAwsError, resolveAdapterOptions, type AdapterOptions, type ResolvedAdapterOptions } from './collectors/common';

export interface ForensicStoreOptions extends AdapterOptions {
  readonly bucket: string;
  /** Region of the bucket, used for the console link. */
  readonly region: string;
  /**
   * KMS key for SSE-KMS; without it S3 uses the bucket's default KMS key (or the AWS managed `aws/s3` key).
   * @default undefined
   */
  readonly kmsKeyId?: string;
}

export interface ForensicLocation {
  readonly s3Uri: string;
  readonly consoleUrl: string;
}

/** An incident id that could not be a key segment (so a key can never escape the `incidents/` prefix). */
export class InvalidIncidentIdError extends Error {
  constructor(readonly incidentId: unknown) {
    super(`incidentId must match ${INCIDENT_ID.source} (letters, digits, _ or -, 1..80 characters); got ${JSON.stringify(incidentId) ?? String(incidentId)}`);
    this.name = 'InvalidIncidentIdError';
  }
}

export class InvalidForensicStoreConfigError extends Error {
  constructor(field: string, allowed: string, given: unknown) {
    super(`${field} must be ${allowed}; got ${JSON.stringify(given) ?? String(given)}`);
    this.name = 'InvalidForensicStoreConfigError';
  }
}

/** The bundle could not be serialised or stored; `cause` holds the original error. */
export class ForensicWriteError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'ForensicWriteError';
  }
}

export const INCIDENT_ID = /^[A-Za-z0-9_-]{1,80}$/;
// S3 general purpose bucket names: 3..63 lower-case letters, digits, dots and hyphens.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The console host of the region's partition. */
function consoleHost(region: string): string {
  if (region.startsWith('cn-')) return 'console.amazonaws.cn';
  if (region.startsWith('us-gov-')) return 'console.amazonaws-us-gov.com';
  return `${region}.console.aws.amazon.com`;
}

export function forensicKey(incidentId: string, now: number): string {
  if (typeof incidentId !== 'string' || !INCIDENT_ID.test(incidentId)) throw new InvalidIncidentIdError(incidentId);
  if (!Number.isFinite(now)) throw new InvalidForensicStoreConfigError('now', 'a finite epoch-ms number', now);
  const date = new Date(now);
  const month = String(date.getUTCMonth() + 1).padStart(2, '0');
  return `incidents/${date.getUTCFullYear()}/${month}/${incidentId}.json`;
}

export class ForensicStore {
  private readonly options: ResolvedAdapterOptions;

  constructor(
    private readonly client: S3Client,
    private readonly config: ForensicStoreOptions,
  ) {
    if (typeof config.bucket !== 'string' || !BUCKET_NAME.test(config.bucket)) {
      throw new InvalidForensicStoreConfigError('bucket', 'an S3 bucket name (3..63 lower-case letters, digits, dots, hyphens)', config.bucket);
    }
    if (typeof config.region !== 'string' || !REGION.test(config.region)) {
      throw new InvalidForensicStoreConfigError('region', 'an AWS region such as eu-west-1', config.region);
    }
    if (config.kmsKeyId !== undefined && (typeof config.kmsKeyId !== 'string' || config.kmsKeyId === '')) {
      throw new InvalidForensicStoreConfigError('kmsKeyId', 'a KMS key id, alias or ARN, or absent', config.kmsKeyId);
    }
    this.options = resolveAdapterOptions(config);
  }

  /** Stores `bundle` as JSON; `now` (epoch ms) picks the year/month folder. */
  async write(incidentId: string, bundle: object, now: number): Promise<ForensicLocation> {
    const key = forensicKey(incidentId, now);
    let body: string;
    try {
      body = JSON.stringify(bundle, null, 2);
    } catch (error) {
      throw new ForensicWriteError(`forensic bundle of incident ${incidentId} is not serialisable as JSON`, { cause: error });
    }
    const input: PutObjectCommandInput = {
      Bucket: this.config.bucket,
      Key: key,
      Body: body,
      ContentType: 'application/json',
      ServerSideEncryption: 'aws:kms',
      ...(this.config.kmsKeyId === undefined ? {} : { SSEKMSKeyId: this.config.kmsKeyId }),
    };
    const session = new ApiSession('s3', this.options);
    try {
      await session.call(() => this.client.send(new PutObjectCommand(input)));
    } catch (error) {
      throw new ForensicWriteError(`writing s3://${this.config.bucket}/${key} failed: ${describeAwsError('s3', error)}`, { cause: error });
    }
    const { bucket, region } = this.config;
    return {
      s3Uri: `s3://${bucket}/${key}`,
      consoleUrl: `https://${consoleHost(region)}/s3/object/${bucket}?region=${region}&prefix=${encodeURIComponent(key)}`,
    };
  }
}
