import { mockClient } from 'aws-sdk-client-mock';
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { ForensicStore, ForensicWriteError, InvalidIncidentIdError } from '../../lambda/adapters/forensics-s3';
import { NO_WAIT, serviceError } from './collectors/aws-errors';

const s3 = mockClient(S3Client);
const NOW = Date.UTC(2026, 2, 9, 14, 30); // 2026-03-09
const BUNDLE = { incident: { id: 'api-20260309T1430-ab12' }, evidence: [{ source: 'codedeploy', summary: 'deployment d-1 to shop/api (InProgress)' }] };

function store(options: Partial<ConstructorParameters<typeof ForensicStore>[1]> = {}): ForensicStore {
  return new ForensicStore(new S3Client({}), { bucket: 'burnwatch-forensics', region: 'eu-west-1', retry: NO_WAIT, ...options });
}

describe('ForensicStore', () => {
  beforeEach(() => s3.reset());

  it('puts the bundle as KMS-encrypted JSON under incidents/<yyyy>/<mm>/<id>.json', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    // Act
    const location = await store({ kmsKeyId: 'alias/burnwatch' }).write('api-20260309T1430-ab12', BUNDLE, NOW);
    // Assess
    const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input).toEqual({
      Bucket: 'burnwatch-forensics',
      Key: 'incidents/2026/03/api-20260309T1430-ab12.json',
      Body: expect.any(String),
      ContentType: 'application/json',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'alias/burnwatch',
    });
    expect(JSON.parse(String(input?.Body))).toEqual(BUNDLE);
    expect(location).toEqual({
      s3Uri: 's3://burnwatch-forensics/incidents/2026/03/api-20260309T1430-ab12.json',
      consoleUrl:
        'https://eu-west-1.console.aws.amazon.com/s3/object/burnwatch-forensics?region=eu-west-1&prefix=incidents%2F2026%2F03%2Fapi-20260309T1430-ab12.json',
    });
  });

  it('leaves the key id out so the bucket default key applies when none is configured', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    // Act
    await store().write('inc-1', BUNDLE, NOW);
    // Assess
    const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input?.ServerSideEncryption).toBe('aws:kms');
    expect(input).not.toHaveProperty('SSEKMSKeyId');
  });

  it.each([
    ['the last minute of a year goes to December', Date.UTC(2025, 11, 31, 23, 59), 'incidents/2025/12/inc-1.json'],
    ['the first minute of a year goes to January', Date.UTC(2026, 0, 1, 0, 0), 'incidents/2026/01/inc-1.json'],
  ])('uses UTC for the folder: %s', async (_sentence, now, key) => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    // Act
    await store().write('inc-1', BUNDLE, now);
    // Assess
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Key).toBe(key);
  });

  it.each([
    ['a path traversal', '../../etc/passwd'],
    ['a slash', 'api/1'],
    ['a dot', 'api.1'],
    ['an empty id', ''],
    ['81 characters', 'a'.repeat(81)],
    ['a non-ASCII letter', 'inc-ü'],
  ])('refuses an incident id with %s before calling S3', async (_sentence, incidentId) => {
    // Act
    const attempt = store().write(incidentId, BUNDLE, NOW);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidIncidentIdError);
    await expect(attempt).rejects.toThrow(/incidentId must match .*letters, digits, _ or -, 1\.\.80 characters/);
    expect(s3.calls()).toHaveLength(0);
  });

  it('accepts an id of exactly 80 characters', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    // Act
    const location = await store().write('a'.repeat(80), BUNDLE, NOW);
    // Assess
    expect(location.s3Uri).toBe(`s3://burnwatch-forensics/incidents/2026/03/${'a'.repeat(80)}.json`);
  });

  it('raises a ForensicWriteError that keeps the S3 error as its cause', async () => {
    // Prepare
    const denied = serviceError(S3ServiceException, 'AccessDenied', 403, 'Access Denied');
    s3.on(PutObjectCommand).rejects(denied);
    // Act
    const attempt = store().write('inc-1', BUNDLE, NOW);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForensicWriteError);
    await expect(attempt).rejects.toThrow('writing s3://burnwatch-forensics/incidents/2026/03/inc-1.json failed: s3: AccessDenied: Access Denied');
    await expect(attempt).rejects.toHaveProperty('cause', denied);
  });

  it('retries SlowDown and then stores the bundle', async () => {
    // Prepare
    s3.on(PutObjectCommand).rejectsOnce(serviceError(S3ServiceException, 'SlowDown', 503, 'Please reduce your request rate.')).resolves({});
    // Act
    await store().write('inc-1', BUNDLE, NOW);
    // Assess
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(2);
  });

  it.each([
    ['cn-north-1', 'https://console.amazonaws.cn/s3/object/burnwatch-forensics?region=cn-north-1&prefix='],
    ['us-gov-west-1', 'https://console.amazonaws-us-gov.com/s3/object/burnwatch-forensics?region=us-gov-west-1&prefix='],
  ])('links to the console of the %s partition', async (region, prefix) => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    // Act
    const { consoleUrl } = await store({ region }).write('inc-1', BUNDLE, NOW);
    // Assess
    expect(consoleUrl.startsWith(prefix)).toBe(true);
  });

  it.each([
    ['an upper-case bucket name', { bucket: 'Burnwatch' }, 'bucket must be an S3 bucket name'],
    ['a region that is not one', { region: 'europe' }, 'region must be an AWS region such as eu-west-1; got "europe"'],
    ['an empty KMS key id', { kmsKeyId: '' }, 'kmsKeyId must be a KMS key id, alias or ARN, or absent; got ""'],
  ])('refuses %s at construction', (_sentence, options, message) => {
    expect(() => store(options)).toThrow(message);
  });
});
