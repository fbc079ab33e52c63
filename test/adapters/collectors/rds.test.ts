import { mockClient } from 'aws-sdk-client-mock';
import { DescribeEventsCommand, RDSClient, type Event } from '@aws-sdk/client-rds';
import { RDS_EVENT_CATEGORIES, RdsCollector, type RdsScope } from '../../../lambda/adapters/collectors/rds';
import { MIN, NO_WAIT, T0 } from './aws-errors';

const rds = mockClient(RDSClient);
const FROM = T0;
const TO = T0 + 30 * MIN;

function event(minute: number, categories: string[], message: string, overrides: Partial<Event> = {}): Event {
  return {
    SourceIdentifier: 'orders-db',
    SourceType: 'db-instance',
    SourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders-db',
    Date: new Date(T0 + minute * MIN),
    EventCategories: categories,
    Message: message,
    ...overrides,
  };
}

function collector(options: ConstructorParameters<typeof RdsCollector>[1] = {}): RdsCollector {
  return new RdsCollector(new RDSClient({}), { retry: NO_WAIT, ...options });
}

async function collectItems(scope: RdsScope, options: ConstructorParameters<typeof RdsCollector>[1] = {}) {
  const result = await collector(options).collect({ from: FROM, to: TO, tenants: ['acme'], scope });
  if (result.status !== 'ok') throw new Error(`expected ok, got ${result.reason}`);
  return { items: result.items, details: result.details };
}

describe('RdsCollector', () => {
  beforeEach(() => rds.reset());

  it.each([
    ['a Multi-AZ failover is evidence', ['failover'], 'Multi-AZ instance failover started.', true],
    ['a failure event is evidence', ['failure'], 'The DB instance has failed due to an incompatible configuration.', true],
    ['an availability restart is evidence', ['availability'], 'DB instance restarted', true],
    ['a maintenance reboot is evidence', ['maintenance'], 'Rebooting DB instance for maintenance', true],
    ['an applied modification is not evidence', ['notification'], 'Finished applying modification to DB parameter group', false],
    ['a maintenance notice without downtime is not evidence', ['maintenance'], 'Operating system update is available', false],
  ])('%s', async (_sentence, categories, message, isEvidence) => {
    // Prepare
    rds.on(DescribeEventsCommand).resolves({ Events: [event(5, categories, message)] });
    // Act
    const { items } = await collectItems({ instances: [{ identifier: 'orders-db' }] });
    // Assess
    expect(items.map((item) => item.details['message'])).toEqual(isEvidence ? [message] : []);
  });

  it('maps a failover to database-failover evidence with category, source id and message', async () => {
    // Prepare
    rds.on(DescribeEventsCommand).resolves({ Events: [event(7, ['failover'], 'Multi-AZ instance failover completed.')] });
    // Act
    const { items } = await collectItems({ instances: [{ identifier: 'orders-db', tenants: ['acme'] }] });
    // Assess
    expect(items).toEqual([
      {
        source: 'rds',
        failureMode: 'database-failover',
        resource: 'orders-db',
        at: T0 + 7 * MIN,
        endedAt: null,
        summary: 'db-instance orders-db: failover: Multi-AZ instance failover completed.',
        tenants: ['acme'],
        details: {
          category: 'failover',
          sourceId: 'orders-db',
          sourceType: 'db-instance',
          message: 'Multi-AZ instance failover completed.',
          sourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders-db',
        },
      },
    ]);
  });

  it('asks for instance and cluster events in the window with the relevant categories', async () => {
    // Prepare
    rds.on(DescribeEventsCommand).resolves({ Events: [] });
    // Act
    await collectItems({ instances: [{ identifier: 'orders-db' }], clusters: [{ identifier: 'orders-cluster' }] });
    // Assess
    const inputs = rds.commandCalls(DescribeEventsCommand).map((call) => call.args[0].input);
    const common = { StartTime: new Date(FROM), EndTime: new Date(TO), EventCategories: [...RDS_EVENT_CATEGORIES], MaxRecords: 100, Marker: undefined };
    expect(inputs).toEqual([
      { SourceIdentifier: 'orders-db', SourceType: 'db-instance', ...common },
      { SourceIdentifier: 'orders-cluster', SourceType: 'db-cluster', ...common },
    ]);
    expect(RDS_EVENT_CATEGORIES).toEqual(['failover', 'failure', 'availability', 'maintenance', 'notification']);
  });

  it('follows the Marker through every page and orders the evidence by time', async () => {
    // Prepare
    rds
      .on(DescribeEventsCommand)
      .resolvesOnce({ Events: [event(20, ['failover'], 'Multi-AZ instance failover completed.')], Marker: 'm-2' })
      .resolvesOnce({ Events: [event(18, ['failover'], 'Multi-AZ instance failover started.')] });
    // Act
    const { items } = await collectItems({ instances: [{ identifier: 'orders-db' }] });
    // Assess
    expect(rds.commandCalls(DescribeEventsCommand).map((call) => call.args[0].input.Marker)).toEqual([undefined, 'm-2']);
    expect(items.map((item) => item.at)).toEqual([T0 + 18 * MIN, T0 + 20 * MIN]);
  });

  it('stops at maxPages and notes the cap in the result details', async () => {
    // Prepare
    rds.on(DescribeEventsCommand).resolves({ Events: [event(5, ['failover'], 'Multi-AZ instance failover started.')], Marker: 'again' });
    // Act
    const { items, details } = await collectItems({ clusters: [{ identifier: 'orders-cluster' }] }, { maxPages: 3 });
    // Assess
    expect(items).toHaveLength(3);
    expect(details.capsHit).toEqual(['DescribeEvents db-cluster orders-cluster: stopped at maxPages (3) with 3 items']);
  });

  it('reports an invalid identifier as unavailable, naming the field', async () => {
    // Act
    const result = await collector().collect({ from: FROM, to: TO, tenants: [], scope: { clusters: [{ identifier: '1-bad_id' }] } });
    // Assess
    expect(result.status === 'unavailable' ? result.reason : result.status).toBe(
      'rds: AdapterInputError: scope.clusters[0].identifier must be an RDS identifier (a letter, then letters, digits or hyphens, 63 characters at most); got "1-bad_id"',
    );
  });
});
