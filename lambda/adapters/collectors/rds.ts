/**
 * Database evidence from RDS events: failovers, reboots and failures of the configured DB instances and
 * clusters in the window.
 */
import { DescribeEventsCommand, type Event, type RDSClient, type SourceType } from '@aws-sdk/client-rds';
import type { EvidenceItem } from '../../domain/model';
import {
  ApiSession,
  affectedTenants,
  collectSafely,
  epochMs,
  requireString,
  resolveAdapterOptions,
  scopeList,
  validateWindow,
  type AdapterOptions,
  type CollectRequest,
  type CollectorReport,
  type ResolvedAdapterOptions,
  type TenantMapping,
} from './common';

export interface DbResourceScope extends TenantMapping {
  /** DB instance or DB cluster identifier. */
  readonly identifier: string;
}

export interface RdsScope {
  readonly instances?: readonly DbResourceScope[];
  readonly clusters?: readonly DbResourceScope[];
}

/** The categories asked for; the others (backup, configuration change, ...) do not explain a burn. */
export const RDS_EVENT_CATEGORIES: readonly string[] = ['failover', 'failure', 'availability', 'maintenance', 'notification'];

const SERVICE = 'rds';
// RDS identifiers: a letter, then letters, digits and hyphens, 63 characters at most.
const DB_IDENTIFIER = /^[A-Za-z][A-Za-z0-9-]{0,62}$/;
const EVENTS_PER_PAGE = 100;
const CAUSE_CATEGORIES = new Set(['failover', 'failure']);
// Availability, maintenance and notification events matter only when they take the database away.
const DISRUPTIVE_MESSAGE = /reboot|restart|failover|fail(ed|ure)|shut ?down|unavailable/i;

function isDisruptive(event: Event): boolean {
  return (event.EventCategories ?? []).some((c) => CAUSE_CATEGORIES.has(c)) || DISRUPTIVE_MESSAGE.test(event.Message ?? '');
}

function eventEvidence(event: Event, source: { identifier: string; type: SourceType; tenants: readonly string[] }): EvidenceItem | null {
  const at = epochMs(event.Date);
  if (at === null || !isDisruptive(event)) return null;
  const sourceId = event.SourceIdentifier ?? source.identifier;
  const category = (event.EventCategories ?? []).join(',');
  const message = event.Message ?? '';
  return {
    source: 'rds',
    failureMode: 'database-failover',
    resource: sourceId,
    at,
    endedAt: null,
    summary: `${source.type} ${sourceId}: ${category === '' ? 'event' : category}: ${message}`,
    tenants: source.tenants,
    details: {
      category,
      sourceId,
      sourceType: event.SourceType ?? source.type,
      message,
      sourceArn: event.SourceArn ?? null,
    },
  };
}

export class RdsCollector {
  private readonly options: ResolvedAdapterOptions;

  constructor(
    private readonly client: RDSClient,
    options: AdapterOptions = {},
  ) {
    this.options = resolveAdapterOptions(options);
  }

  async collect(request: CollectRequest<RdsScope>): Promise<CollectorReport> {
    const session = new ApiSession(SERVICE, this.options);
    return collectSafely('rds', session, async () => {
      validateWindow(request);
      const sources = [
        ...this.configured(request, 'instances', 'db-instance'),
        ...this.configured(request, 'clusters', 'db-cluster'),
      ];
      const items: EvidenceItem[] = [];
      for (const source of sources) {
        const events = await session.paginate(`DescribeEvents ${source.type} ${source.identifier}`, async (marker) => {
          const out = await this.client.send(
            new DescribeEventsCommand({
              SourceIdentifier: source.identifier,
              SourceType: source.type,
              StartTime: new Date(request.from),
              EndTime: new Date(request.to),
              EventCategories: [...RDS_EVENT_CATEGORIES],
              MaxRecords: EVENTS_PER_PAGE,
              Marker: marker,
            }),
          );
          return { items: out.Events ?? [], nextToken: out.Marker };
        });
        for (const event of events) {
          const item = eventEvidence(event, source);
          if (item !== null) items.push(item);
        }
      }
      return items.sort((a, b) => a.at - b.at);
    });
  }

  private configured(
    request: CollectRequest<RdsScope>,
    key: 'instances' | 'clusters',
    type: SourceType,
  ): { identifier: string; type: SourceType; tenants: readonly string[] }[] {
    return scopeList(request.scope?.[key], `scope.${key}`).flatMap((resource, i) => {
      const identifier = requireString(
        resource?.identifier,
        `scope.${key}[${i}].identifier`,
        DB_IDENTIFIER,
        'an RDS identifier (a letter, then letters, digits or hyphens, 63 characters at most)',
      );
      const tenants = affectedTenants(resource, request.tenants, `scope.${key}[${i}]`);
      return tenants === null ? [] : [{ identifier, type, tenants }];
    });
  }
}
