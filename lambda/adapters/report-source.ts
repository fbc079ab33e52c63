/**
 * The monthly report's adapters: what it reads from the state table (the tenants seen in a month and the incident
 * records of an SLO), where it writes the report (S3) and how it announces it (SNS). Reads are Scans: the report
 * runs once a month and reads history the evaluator's keys do not index by time across tenants. Incident records
 * are read back through DynamoStateStore.getIncident, so they are validated exactly as the workflow reads them.
 */
import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  HISTORY_SORT_PREFIX,
  INCIDENT_SORT_KEY,
  KEY_SEPARATOR,
  TABLE_PARTITION_KEY,
  TABLE_SORT_KEY,
  TENANT_STATE_SORT_KEY,
  encodeEpochMs,
  incidentKey,
  tenantStateKey,
} from '../domain/keys';
import type { Incident } from '../domain/model';
import type { RenderedReportAnnouncement } from '../domain/report';
import type { ReportAnnouncer, ReportSource, ReportStore } from '../usecases/monthly-report';
import { DynamoStateStore } from './dynamo-state-store';
import { CorruptItemError, ItemReader, StoreArgumentError, corruptItem, type StoredItem } from './dynamo-table-schema';
import { mapWithConcurrency } from './concurrency';

/** Incident records read at once after the Scan found their ids. */
const INCIDENT_READ_CONCURRENCY = 4;

/** The part of a key before its last variable part, plus the separator: a prefix of exactly that kind of item. */
function prefixBefore(pk: string, parts: number): string {
  let end = pk.length;
  for (let i = 0; i < parts; i += 1) end = pk.lastIndexOf(KEY_SEPARATOR, end - 1);
  return pk.slice(0, end + 1);
}

export class DynamoReportSource implements ReportSource {
  private readonly store: DynamoStateStore;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    if (typeof tableName !== 'string' || tableName.length === 0) throw new StoreArgumentError('tableName', 'a non-empty string', tableName);
    this.store = new DynamoStateStore(doc, tableName);
  }

  /**
   * Tenants of the SLO with a current state item or a history item in `[from, to)`: every tenant evaluated in the
   * month, those since removed included (a history item is written on every transition and once per tenant per UTC day).
   */
  async tenantsSeen(slo: string, from: number, to: number): Promise<string[]> {
    const items = await this.scan({
      FilterExpression: 'begins_with(#pk, :prefix) AND (#sk = :state OR #sk BETWEEN :from AND :to)',
      ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, '#sk': TABLE_SORT_KEY, '#tenant': 'tenant' },
      ExpressionAttributeValues: {
        ':prefix': prefixBefore(tenantStateKey(slo, 'tenant').pk, 1),
        ':state': TENANT_STATE_SORT_KEY,
        // BETWEEN is inclusive: the upper bound is the last millisecond before `to`.
        ':from': HISTORY_SORT_PREFIX + encodeEpochMs(from, 'from'),
        ':to': HISTORY_SORT_PREFIX + encodeEpochMs(to - 1, 'to'),
      },
      ProjectionExpression: '#pk, #sk, #tenant',
    });
    const tenants = new Set<string>();
    for (const item of items) {
      const found = { pk: String(item[TABLE_PARTITION_KEY]), sk: String(item[TABLE_SORT_KEY]) };
      const tenant = new ItemReader(item, corruptItem(found)).string('tenant');
      // The attribute must be the tenant the key encodes, or a report would name the wrong tenant.
      const expected = tenantStateKey(slo, tenant).pk;
      if (expected !== found.pk) throw new CorruptItemError(found, TABLE_PARTITION_KEY, `the key of its slo and tenant (${expected})`, found.pk);
      tenants.add(tenant);
    }
    return [...tenants].sort();
  }

  /** The SLO's incident records that were open at some time in `[from, to)`. */
  async incidents(slo: string, from: number, to: number): Promise<Incident[]> {
    const items = await this.scan({
      FilterExpression:
        'begins_with(#pk, :prefix) AND #sk = :incident AND #slo = :slo AND #openedAt < :to AND (attribute_type(#resolvedAt, :nullType) OR #resolvedAt >= :from OR attribute_not_exists(#resolvedAt))',
      ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, '#sk': TABLE_SORT_KEY, '#slo': 'slo', '#openedAt': 'openedAt', '#resolvedAt': 'resolvedAt', '#id': 'id' },
      ExpressionAttributeValues: { ':prefix': prefixBefore(incidentKey('id').pk, 1), ':incident': INCIDENT_SORT_KEY, ':slo': slo, ':to': to, ':from': from, ':nullType': 'NULL' },
      ProjectionExpression: '#pk, #sk, #id',
    });
    const ids = items.map((item) => new ItemReader(item, corruptItem({ pk: String(item[TABLE_PARTITION_KEY]), sk: String(item[TABLE_SORT_KEY]) })).string('id'));
    const incidents = await mapWithConcurrency(ids, INCIDENT_READ_CONCURRENCY, async (id) => {
      const incident = await this.store.getIncident(id);
      if (incident === null) throw new CorruptItemError(incidentKey(id), 'id', 'an incident the Scan found (it was deleted while reading)', id);
      return incident;
    });
    return incidents.sort((a, b) => a.openedAt - b.openedAt || (a.id < b.id ? -1 : 1));
  }

  private async scan(input: Omit<ConstructorParameters<typeof ScanCommand>[0], 'TableName' | 'ExclusiveStartKey'>): Promise<StoredItem[]> {
    const items: StoredItem[] = [];
    let startKey: StoredItem | undefined;
    do {
      const page = await this.doc.send(new ScanCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }
}

/** Writing a report file failed. */
export class ReportWriteError extends Error {
  override readonly name = 'ReportWriteError';
}

/** Report files in the forensic bucket, SSE-KMS. Retries are the SDK client's (standard mode). */
export class S3ReportStore implements ReportStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    /** @default the bucket's default encryption key */
    private readonly kmsKeyId?: string,
  ) {
    if (typeof bucket !== 'string' || bucket.length === 0) throw new StoreArgumentError('bucket', 'an S3 bucket name', bucket);
  }

  async put(key: string, body: string, contentType: string): Promise<string> {
    const input: PutObjectCommandInput = {
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      ServerSideEncryption: 'aws:kms',
      ...(this.kmsKeyId === undefined ? {} : { SSEKMSKeyId: this.kmsKeyId }),
    };
    try {
      await this.client.send(new PutObjectCommand(input));
    } catch (error) {
      throw new ReportWriteError(`writing s3://${this.bucket}/${key} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, { cause: error });
    }
    return `s3://${this.bucket}/${key}`;
  }
}

/**
 * Publishes the announcement to the alert topic like an alert: text for email and the default protocol, the JSON
 * document for machine subscribers, `event_type` / `severity` / `slo` attributes for filter policies.
 */
export class SnsReportAnnouncer implements ReportAnnouncer {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {
    if (typeof topicArn !== 'string' || !topicArn.startsWith('arn:')) throw new StoreArgumentError('topicArn', 'an SNS topic ARN', topicArn);
  }

  async announce(announcement: RenderedReportAnnouncement): Promise<{ messageId: string }> {
    const json = JSON.stringify(announcement.document);
    const out = await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        MessageStructure: 'json',
        Message: JSON.stringify({ default: announcement.text, email: announcement.text, sqs: json, lambda: json, https: json }),
        Subject: announcement.subject,
        MessageAttributes: Object.fromEntries(Object.entries(announcement.attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }])),
      }),
    );
    return { messageId: out.MessageId ?? '' };
  }
}
