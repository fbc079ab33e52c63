import { createHash } from 'node:crypto';
import {
  InvalidKeyPartError,
  KILL_SWITCH_KEY,
  MAX_ENCODED_PART_LENGTH,
  TABLE_PARTITION_KEY,
  TABLE_SORT_KEY,
  TABLE_TTL_ATTRIBUTE,
  actionQuotaKey,
  actionStatsKey,
  encodeKeyPart,
  incidentKey,
  openIncidentPointerKey,
  resourceLastActionKey,
  tenantHistoryKey,
  tenantStateKey,
} from '../../lambda/domain/keys';

const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');
const utf8Bytes = (value: string): number => Buffer.byteLength(value, 'utf8');

/** DynamoDB's key size limits, in UTF-8 bytes. */
const MAX_PARTITION_KEY_BYTES = 2048;
const MAX_SORT_KEY_BYTES = 1024;

const awkwardNames: readonly [string, string][] = [
  ['plain ASCII', 'acme'],
  ['accented letters', 'café-münchen'],
  ['CJK characters', '租户'],
  ['an emoji outside the BMP', 'tenant🔥'],
  ['double and single quotes', `"o'brien"`],
  ['the key separator', 'a#b'],
  ['a percent sign', '100%'],
  ['an already percent-encoded separator', 'a%23b'],
  ['the digest marker', 'a~b'],
  ['slashes, spaces and a newline', 'eu/west 1\nprod'],
  ['1,000 ASCII characters', 'x'.repeat(1000)],
  ['1,000 characters that each encode to 9', '€'.repeat(1000)],
];

describe('table attribute names', () => {
  it('are pk, sk and expiresAt, as the CDK construct declares them', () => {
    // Prepare / Act / Assess: constants only.
    expect([TABLE_PARTITION_KEY, TABLE_SORT_KEY, TABLE_TTL_ATTRIBUTE]).toEqual(['pk', 'sk', 'expiresAt']);
  });
});

describe('encodeKeyPart', () => {
  it.each(awkwardNames)('keeps a name with %s free of the separator and within the length limit', (_, name) => {
    // Act
    const encoded = encodeKeyPart(name, 'tenant');

    // Assess
    expect(encoded).not.toContain('#');
    expect(encoded.length).toBeLessThanOrEqual(MAX_ENCODED_PART_LENGTH);
    expect(utf8Bytes(encoded)).toBe(encoded.length);
  });

  it.each([
    ['a name whose encoding is exactly the limit', 'y'.repeat(MAX_ENCODED_PART_LENGTH), 'y'.repeat(MAX_ENCODED_PART_LENGTH)],
    ['a separator', 'a#b', 'a%23b'],
    ['a percent sign', '50%', '50%25'],
    ['the digest marker', 'a~b', 'a%7Eb'],
  ])('encodes %s reversibly, without a digest', (_, name, expected) => {
    // Act
    const encoded = encodeKeyPart(name, 'tenant');

    // Assess
    expect(encoded).toBe(expected);
    expect(decodeURIComponent(encoded)).toBe(name);
  });

  it.each([
    ['one character over the limit', 'z'.repeat(MAX_ENCODED_PART_LENGTH + 1)],
    ['1,000 ASCII characters', 'x'.repeat(1000)],
    ['1,000 euro signs', '€'.repeat(1000)],
  ])('shortens %s to a prefix, "~" and the SHA-256 of the full name', (_, name) => {
    // Act
    const encoded = encodeKeyPart(name, 'tenant');

    // Assess
    const [prefix, digest, ...rest] = encoded.split('~');
    expect(rest).toEqual([]);
    expect(digest).toBe(sha256Hex(name));
    expect(encodeURIComponent(name).startsWith(prefix ?? '')).toBe(true);
    expect(prefix).not.toMatch(/%.?$/); // no %XX escape cut in half
  });

  it.each([
    ['an empty string', '', 'a non-empty string'],
    ['a lone surrogate', 'bad\ud800name', 'well-formed Unicode'],
  ])('rejects %s, naming the field and what is allowed', (_, name, allowed) => {
    // Act
    const encode = (): string => encodeKeyPart(name, 'tenant');

    // Assess
    expect(encode).toThrow(InvalidKeyPartError);
    expect(encode).toThrow(new RegExp(`^tenant must be ${allowed}`));
  });
});

describe('tenant keys', () => {
  it.each(awkwardNames)('split back into exactly slo and tenant for a tenant with %s', (_, tenant) => {
    // Act
    const { pk, sk } = tenantStateKey('api#availability', tenant);

    // Assess
    expect(pk.split('#')).toEqual(['TENANT', encodeKeyPart('api#availability', 'slo'), encodeKeyPart(tenant, 'tenant')]);
    expect(sk).toBe('STATE');
    expect(utf8Bytes(pk)).toBeLessThanOrEqual(MAX_PARTITION_KEY_BYTES);
  });

  it('never collide, even for pairs that naive concatenation would merge', () => {
    // Prepare: (slo, tenant) pairs; the first two concatenate to the same 'a#b#c'.
    const long = 'n'.repeat(999);
    const pairs: [string, string][] = [
      ['a#b', 'c'],
      ['a', 'b#c'],
      ['a', 'b%23c'],
      ['a', 'b~c'],
      ['a', 'b%7Ec'],
      ['a', `${long}1`],
      ['a', `${long}2`],
      // A name that spells out another name's shortened form must still differ from it.
      ['a', encodeKeyPart(`${long}1`, 'tenant')],
      ...awkwardNames.map(([, name]): [string, string] => ['slo', name]),
      ...awkwardNames.map(([, name]): [string, string] => [name, 'slo']),
    ];

    // Act
    const pks = pairs.map(([slo, tenant]) => tenantStateKey(slo, tenant).pk);

    // Assess
    expect(new Set(pks).size).toBe(pairs.length);
  });

  it.each([
    ['the epoch itself', 0, 'HIST#0000000000000'],
    ['a time in 2023', 1_700_000_000_000, 'HIST#1700000000000'],
    ['the last 13-digit time', 9_999_999_999_999, 'HIST#9999999999999'],
  ])('give history at %s a 13-digit sort key', (_, at, expected) => {
    // Act
    const { pk, sk } = tenantHistoryKey('slo', 'acme', at);

    // Assess
    expect(sk).toBe(expected);
    expect(pk).toBe(tenantStateKey('slo', 'acme').pk);
  });

  it('order history sort keys by time', () => {
    // Prepare: 5 s, 1 min and 1 day after the epoch, in mixed order.
    const times = [60_000, 5_000, 86_400_000];

    // Act
    const sortKeys = times.map((at) => tenantHistoryKey('slo', 'acme', at).sk).sort();

    // Assess
    expect(sortKeys).toEqual(['HIST#0000000005000', 'HIST#0000000060000', 'HIST#0000086400000']);
  });

  it.each([
    ['a negative time', -1],
    ['a fractional time', 1.5],
    ['a time with 14 digits', 10_000_000_000_000],
  ])('reject history at %s, naming the field', (_, at) => {
    // Act
    const key = (): unknown => tenantHistoryKey('slo', 'acme', at);

    // Assess
    expect(key).toThrow(InvalidKeyPartError);
    expect(key).toThrow(/^at must be an integer epoch-ms time/);
  });
});

describe('incident, guard and learning keys', () => {
  it.each([
    ['an incident', incidentKey('inc#1'), { pk: 'INCIDENT#inc%231', sk: 'INCIDENT' }],
    ['an open-incident pointer', openIncidentPointerKey('api availability'), { pk: 'SLO#api%20availability', sk: 'OPEN_INCIDENT' }],
    ['the hourly action counter', actionQuotaKey(1_700_002_800_000), { pk: 'GUARD#ACTIONS', sk: 'HOUR#1700002800000' }],
    [
      'a resource ARN',
      resourceLastActionKey('arn:aws:autoscaling:eu-west-1:1:asg/web'),
      { pk: 'GUARD#RESOURCE#arn%3Aaws%3Aautoscaling%3Aeu-west-1%3A1%3Aasg%2Fweb', sk: 'LAST_ACTION' },
    ],
    ['the kill switch', KILL_SWITCH_KEY, { pk: 'CONFIG', sk: 'KILL_SWITCH' }],
    ['learning stats', actionStatsKey('deployment', 'codedeploy-rollback'), { pk: 'LEARN#deployment', sk: 'ACTION#codedeploy-rollback' }],
  ])('lay out %s as documented', (_, key, expected) => {
    // Assess: the builders were the Act.
    expect(key).toEqual(expected);
  });

  const longName = '€'.repeat(1000);
  it.each([
    ['a tenant state', tenantStateKey(longName, longName)],
    ['a history item', tenantHistoryKey(longName, longName, 1_700_000_000_000)],
    ['an incident', incidentKey(longName)],
    ['an open-incident pointer', openIncidentPointerKey(longName)],
    ['a resource', resourceLastActionKey(longName)],
    ['learning stats', actionStatsKey(longName, longName)],
  ])('keep %s keyed by 1,000-character names within DynamoDB key size limits', (_, key) => {
    // Assess: the builders were the Act; 1,000 euro signs are 3,000 UTF-8 bytes before encoding.
    expect(utf8Bytes(key.pk)).toBeLessThanOrEqual(MAX_PARTITION_KEY_BYTES);
    expect(utf8Bytes(key.sk)).toBeLessThanOrEqual(MAX_SORT_KEY_BYTES);
  });

  it.each([
    ['an empty incident id', (): unknown => incidentKey(''), /^incidentId must be a non-empty string/],
    ['an empty resource', (): unknown => resourceLastActionKey(''), /^resource must be a non-empty string/],
    ['a negative hour', (): unknown => actionQuotaKey(-3_600_000), /^hourStart must be an integer epoch-ms time/],
  ])('reject %s, naming the field', (_, build, message) => {
    // Act / Assess
    expect(build).toThrow(message);
  });
});
