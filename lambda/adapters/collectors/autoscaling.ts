/**
 * Capacity evidence from EC2 Auto Scaling: failed, slow or still-pending launches in the window, and groups
 * that sit at their max (they cannot scale out any further without a change).
 */
import {
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  type Activity,
  type AutoScalingClient,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import type { AutoScalingGroupResource } from '../../domain/mitigation';
import type { EvidenceItem } from '../../domain/model';
import { MINUTE_MS } from '../../domain/model';
import {
  AdapterInputError,
  ApiSession,
  affectedTenants,
  chunks,
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

export interface ScalingGroupScope extends TenantMapping {
  /** Auto Scaling group name. */
  readonly name: string;
}

export interface AutoScalingScope {
  readonly groups: readonly ScalingGroupScope[];
}

/** What the mitigation planner needs to size a scale-out (`MitigationResources.autoScalingGroups`). */
export interface ScalingGroupFacts extends AutoScalingGroupResource {
  /** desired >= max: the group cannot add capacity on its own. */
  readonly atMax: boolean;
}

export interface AutoScalingCollectorOptions extends AdapterOptions {
  /**
   * A launch that takes longer than this (or is still pending after it) is evidence of a slow scale-out.
   * @default 5
   */
  readonly slowLaunchMinutes?: number;
}

/** The evidence, plus the facts of every group read (kept even when a later call made the result unavailable). */
export type AutoScalingCollectorResult = CollectorReport & { readonly groups: readonly ScalingGroupFacts[] };

const SERVICE = 'autoscaling';
// Auto Scaling group names are 1..255 characters.
const GROUP_NAME = /^.{1,255}$/s;
// DescribeAutoScalingGroups takes at most 50 names per call by default.
const NAMES_PER_CALL = 50;
const ACTIVITIES_PER_PAGE = 100;

/** Reads the current size of the named groups; names the API does not know are noted as missing. */
export async function readScalingGroups(
  client: AutoScalingClient,
  session: ApiSession,
  names: readonly string[],
): Promise<ScalingGroupFacts[]> {
  const found: AutoScalingGroup[] = [];
  for (const batch of chunks(names, NAMES_PER_CALL)) {
    const groups = await session.paginate(`DescribeAutoScalingGroups`, async (nextToken) => {
      const out = await client.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: batch, IncludeInstances: false, NextToken: nextToken }),
      );
      return { items: out.AutoScalingGroups ?? [], nextToken: out.NextToken };
    });
    found.push(...groups);
  }
  const facts: ScalingGroupFacts[] = [];
  for (const name of names) {
    const group = found.find((g) => g.AutoScalingGroupName === name);
    if (group === undefined) {
      session.noteMissing(name);
      continue;
    }
    const desired = group.DesiredCapacity ?? 0;
    const max = group.MaxSize ?? 0;
    // The API always returns the ARN; the name stands in only if a response ever lacks it.
    const arn = group.AutoScalingGroupARN ?? name;
    facts.push({ name, arn, desired, min: group.MinSize ?? 0, max, atMax: desired >= max });
  }
  return facts;
}

type LaunchProblem = 'failed' | 'slow' | 'pending';

const FAILED_STATUSES = new Set(['Failed', 'Cancelled']);

function isScaleOut(activity: Activity): boolean {
  // Launches read "Launching a new EC2 instance..."; the cause of a scale-out says "increasing the capacity".
  return (activity.Description ?? '').startsWith('Launching') || /increasing the capacity/i.test(activity.Cause ?? '');
}

function launchProblem(activity: Activity, start: number, to: number, slowMs: number): LaunchProblem | null {
  if (!isScaleOut(activity)) return null;
  if (FAILED_STATUSES.has(activity.StatusCode ?? '')) return 'failed';
  const end = epochMs(activity.EndTime);
  if (end !== null) return end - start > slowMs ? 'slow' : null;
  return to - start > slowMs ? 'pending' : null;
}

function minutesBetween(start: number, end: number): number {
  return Math.round(((end - start) / MINUTE_MS) * 10) / 10;
}

function activityEvidence(
  activity: Activity,
  group: string,
  tenants: readonly string[],
  to: number,
  slowMs: number,
): EvidenceItem | null {
  const start = epochMs(activity.StartTime);
  if (start === null) return null;
  const problem = launchProblem(activity, start, to, slowMs);
  if (problem === null) return null;
  const end = epochMs(activity.EndTime);
  const status = activity.StatusCode ?? 'unknown';
  const minutes = minutesBetween(start, end ?? to);
  const headline =
    problem === 'failed'
      ? `launch failed in group ${group} (${status})${activity.StatusMessage ? `: ${activity.StatusMessage}` : ''}`
      : problem === 'slow'
        ? `slow launch in group ${group}: ${minutes} min (${status})`
        : `launch in group ${group} still ${status} after ${minutes} min`;
  const cause = activity.Cause ?? '';
  return {
    source: 'autoscaling',
    failureMode: 'capacity',
    resource: group,
    at: start,
    endedAt: end,
    summary: cause === '' ? headline : `${headline}; cause: ${truncate(cause, 200)}`,
    tenants,
    details: {
      activityId: activity.ActivityId ?? null,
      problem,
      status,
      statusMessage: activity.StatusMessage ?? null,
      description: activity.Description ?? null,
      cause: cause === '' ? null : cause,
      durationMinutes: minutes,
      progress: activity.Progress ?? null,
    },
  };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function atMaxEvidence(group: ScalingGroupFacts, tenants: readonly string[], observedAt: number): EvidenceItem {
  return {
    source: 'autoscaling',
    failureMode: 'capacity',
    resource: group.name,
    // Only the current size is known, so it is observed at the end of the window.
    at: observedAt,
    endedAt: null,
    summary: `group ${group.name} at its max (${group.desired}/${group.max})`,
    tenants,
    details: { arn: group.arn, desired: group.desired, min: group.min, max: group.max, atMax: true },
  };
}

export class AutoScalingCollector {
  private readonly options: ResolvedAdapterOptions;
  private readonly slowLaunchMs: number;

  constructor(
    private readonly client: AutoScalingClient,
    options: AutoScalingCollectorOptions = {},
  ) {
    this.options = resolveAdapterOptions(options);
    const slowLaunchMinutes = options.slowLaunchMinutes ?? 5;
    if (!Number.isFinite(slowLaunchMinutes) || slowLaunchMinutes <= 0) {
      throw new AdapterInputError('options.slowLaunchMinutes', 'a finite number > 0', options.slowLaunchMinutes);
    }
    this.slowLaunchMs = slowLaunchMinutes * MINUTE_MS;
  }

  async collect(request: CollectRequest<AutoScalingScope>): Promise<AutoScalingCollectorResult> {
    const session = new ApiSession(SERVICE, this.options);
    let groups: ScalingGroupFacts[] = [];
    const report = await collectSafely('autoscaling', session, async () => {
      validateWindow(request);
      const configured = scopeList(request.scope?.groups, 'scope.groups').map((group, i) => ({
        name: requireString(group?.name, `scope.groups[${i}].name`, GROUP_NAME, 'an Auto Scaling group name (1..255 characters)'),
        tenants: affectedTenants(group, request.tenants, `scope.groups[${i}]`),
      }));
      const inScope = configured.flatMap((g) => (g.tenants === null ? [] : [{ name: g.name, tenants: g.tenants }]));
      if (inScope.length === 0) return [];

      groups = await readScalingGroups(this.client, session, inScope.map((g) => g.name));
      const items: EvidenceItem[] = [];
      for (const { name, tenants } of inScope) {
        const facts = groups.find((g) => g.name === name);
        if (facts === undefined) continue;
        const activities = await this.activitiesInWindow(session, name, request.from, request.to);
        for (const activity of activities) {
          const item = activityEvidence(activity, name, tenants, request.to, this.slowLaunchMs);
          if (item !== null) items.push(item);
        }
        if (facts.atMax) items.push(atMaxEvidence(facts, tenants, request.to));
      }
      return items;
    });
    return { ...report, groups };
  }

  /**
   * Activities that started in the window, plus launches still in progress (they still hold capacity back,
   * however early they began). The API lists in-progress activities first, then the rest newest first, so
   * paging stops at the first finished activity that started before the window.
   */
  private async activitiesInWindow(session: ApiSession, group: string, from: number, to: number): Promise<Activity[]> {
    const activities = await session.paginate(
      `DescribeScalingActivities ${group}`,
      async (nextToken) => {
        const out = await this.client.send(
          new DescribeScalingActivitiesCommand({ AutoScalingGroupName: group, MaxRecords: ACTIVITIES_PER_PAGE, NextToken: nextToken }),
        );
        return { items: out.Activities ?? [], nextToken: out.NextToken };
      },
      (activity) => activity.EndTime !== undefined && (epochMs(activity.StartTime) ?? 0) < from,
    );
    return activities.filter((activity) => {
      const start = epochMs(activity.StartTime);
      return start !== null && start < to && (start >= from || activity.EndTime === undefined);
    });
  }
}
