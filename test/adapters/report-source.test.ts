/**
 * The monthly report's adapters: tenants seen and incident records read from the table (against dynalite, with
 * the real store writing the items), report files to S3 and the announcement to SNS (aws-sdk-client-mock).
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoStateStore } from '../../lambda/adapters/dynamo-state-store';
import { CorruptItemError } from '../../lambda/adapters/dynamo-table-schema';
import { DynamoReportSource, ReportWriteError, S3ReportStore, SnsReportAnnouncer } from '../../lambda/adapters/report-source';
import { tenantStateKey } from '../../lambda/domain/keys';
import { DAY_MS, STATE_SCHEMA_VERSION } from '../../lambda/domain/model';
import type { Incident, TenantAlertState } from '../../lambda/domain/model';
import { reportMonth, renderReportAnnouncement } from '../../lambda/domain/report';
import { useLocalDynamo } from '../support/dynalite';

const MARCH = reportMonth('2026-03');
const local = useLocalDynamo('report-source');

function state(slo: string, tenant: string, updatedAt: number): TenantAlertState {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    slo,
    tenant,
    level: 'ok',
    levelSince: null,
    lastFiringAt: null,
    activeRules: [],
    incidentId: null,
    burnRates: {},
    budgetRemaining: 1,
    timeToExhaustionMinutes: null,
    updatedAt,
    version: 1,
  };
}

function incident(id: string, slo: string, openedAt: number, resolvedAt: number | null): Incident {
  return {
    id,
    slo,
    severity: 'page',
    status: resolvedAt === null ? 'open' : 'resolved',
    openedAt,
    resolvedAt,
    tenants: [{ tenant: 'acme', joinedAt: openedAt, level: 'page', burnRates: { '5': 20 }, budgetRemainingAtJoin: 0.9, recoveredAt: resolvedAt, budgetLost: null }],
    executionArn: null,
    suspectedCause: null,
    failureMode: null,
    forensicUri: null,
    timeline: [{ at: openedAt, step: 'opened', detail: 'page for 1 tenant(s): acme' }],
    version: 1,
  };
}

describe('DynamoReportSource (dynalite)', () => {
  it('finds the tenants of one SLO with a state item or history in the month, and no others', async () => {
    // Prepare: history in March for acme, only in February for gone, a state item for fresh, another SLO's tenant.
    const table = await local.freshTable();
    const store = new DynamoStateStore(table.doc, table.name);
    await store.appendHistory(state('api', 'acme', MARCH.start + DAY_MS), MARCH.end + 30 * DAY_MS);
    await store.appendHistory(state('api', 'a#b', MARCH.end - 1), MARCH.end + 30 * DAY_MS);
    await store.appendHistory(state('api', 'gone', MARCH.start - 1), MARCH.end + 30 * DAY_MS);
    await store.appendHistory(state('api', 'later', MARCH.end), MARCH.end + 30 * DAY_MS);
    await store.putTenantState(state('api', 'fresh', MARCH.end + DAY_MS), 0);
    await store.appendHistory(state('api-latency', 'other', MARCH.start + DAY_MS), MARCH.end + 30 * DAY_MS);

    // Act
    const tenants = await new DynamoReportSource(table.doc, table.name).tenantsSeen('api', MARCH.start, MARCH.end);

    // Assess: the month is [start, end): the item at end - 1 ms is in, the one at end is not.
    expect(tenants).toEqual(['a#b', 'acme', 'fresh']);
  });

  it('reads the SLO\'s incidents open at some time in the month, validated like the store reads them', async () => {
    // Prepare
    const table = await local.freshTable();
    const store = new DynamoStateStore(table.doc, table.name);
    const records = [
      incident('in-march', 'api', MARCH.start + DAY_MS, MARCH.start + DAY_MS + 3_600_000),
      incident('from-february', 'api', MARCH.start - DAY_MS, MARCH.start + 60_000),
      incident('still-open', 'api', MARCH.start - 2 * DAY_MS, null),
      incident('over-in-february', 'api', MARCH.start - DAY_MS, MARCH.start - 1),
      incident('april', 'api', MARCH.end, null),
      incident('other-slo', 'api-latency', MARCH.start + DAY_MS, null),
    ];
    for (const record of records) await store.createIncident(record);

    // Act
    const found = await new DynamoReportSource(table.doc, table.name).incidents('api', MARCH.start, MARCH.end);

    // Assess: oldest first
    expect(found.map((i) => i.id)).toEqual(['still-open', 'from-february', 'in-march']);
    expect(found[2]).toEqual(records[0]);
  });

  it('refuses a state item whose tenant attribute is not the tenant its key encodes', async () => {
    // Prepare
    const table = await local.freshTable();
    await table.putRaw(tenantStateKey('api', 'acme'), { ...state('api', 'mallory', MARCH.start), schemaVersion: STATE_SCHEMA_VERSION });

    // Act / Assess
    await expect(new DynamoReportSource(table.doc, table.name).tenantsSeen('api', MARCH.start, MARCH.end)).rejects.toThrow(CorruptItemError);
  });
});

describe('S3ReportStore', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());

  it('puts the file SSE-KMS with the bucket key and returns its s3:// URI', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});

    // Act
    const uri = await new S3ReportStore(new S3Client({}), 'forensics', 'arn:aws:kms:eu-west-1:123456789012:key/k').put('reports/2026-03/report.json', '{}', 'application/json');

    // Assess
    expect(uri).toBe('s3://forensics/reports/2026-03/report.json');
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'forensics',
      Key: 'reports/2026-03/report.json',
      Body: '{}',
      ContentType: 'application/json',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/k',
    });
  });

  it('names the object when the put fails', async () => {
    // Prepare
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));

    // Act / Assess
    const put = new S3ReportStore(new S3Client({}), 'forensics').put('reports/2026-03/report.csv', '', 'text/csv');
    await expect(put).rejects.toThrow(ReportWriteError);
    await expect(put).rejects.toThrow('writing s3://forensics/reports/2026-03/report.csv failed: AccessDenied: Access Denied');
  });
});

describe('SnsReportAnnouncer', () => {
  const sns = mockClient(SNSClient);
  beforeEach(() => sns.reset());

  it('publishes text for people and the JSON document for machines, with filterable attributes', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const links = { json: 's3://b/r.json', html: 's3://b/r.html', csv: 's3://b/r.csv' };
    const announcement = renderReportAnnouncement({ month: MARCH, rows: [], ignoredTenants: new Map(), rowsAfterMonth: 0 }, links, MARCH.end);

    // Act
    const result = await new SnsReportAnnouncer(new SNSClient({}), 'arn:aws:sns:eu-west-1:123456789012:alerts').announce(announcement);

    // Assess
    expect(result).toEqual({ messageId: 'm-1' });
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.MessageStructure).toBe('json');
    const body = JSON.parse(input.Message!) as Record<string, string>;
    expect(body.email).toBe(announcement.text);
    expect(JSON.parse(body.sqs!)).toEqual(announcement.document);
    expect(input.MessageAttributes).toEqual({
      event_type: { DataType: 'String', StringValue: 'report' },
      severity: { DataType: 'String', StringValue: 'info' },
      slo: { DataType: 'String', StringValue: 'multiple' },
    });
  });

  it('refuses a topic that is not an ARN, naming it', () => {
    // Act / Assess
    expect(() => new SnsReportAnnouncer(new SNSClient({}), 'alerts')).toThrow('topicArn must be an SNS topic ARN; given "alerts"');
  });
});
