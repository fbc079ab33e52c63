/**
 * The error budget's period: a rolling window of `periodDays`, or a calendar month in a time zone, and the
 * resolution at which the older part of the period is read.
 */
import { DomainInputError } from './burn';
import { DAY_MS, MINUTE_MS } from './model';
import type { SloDefinition } from './model';

/** Hourly buckets for the older part of an event-counted period. */
export const COARSE_PERIOD_SECONDS = 3600;
/**
 * A time-slice SLO cannot add an hourly statistic up into slices (an hourly p99 is not sixty minute p99s), so the
 * older part of its period is read in 5-minute slices: CloudWatch keeps 1-minute data for 15 days and 5-minute data
 * for 63 days, so 5 minutes is the finest resolution that covers a month.
 */
export const TIME_SLICE_COARSE_PERIOD_SECONDS = 300;

/** Resolution of the coarse series of an SLO's period (see TieredCounts). */
export function coarsePeriodSeconds(slo: SloDefinition): number {
  if (slo.timeSlices === undefined) return COARSE_PERIOD_SECONDS;
  return Math.max(TIME_SLICE_COARSE_PERIOD_SECONDS, slo.timeSlices.sliceMinutes * 60);
}

/** Start (epoch ms, inclusive) of the budget period that contains the instant just before `end`. */
export function budgetPeriodStart(slo: SloDefinition, end: number): number {
  if (slo.calendar === undefined) return end - slo.periodDays * DAY_MS;
  return calendarMonthStart(end - 1, slo.calendar.timeZone);
}

/** Length of the budget period ending at `end`, in whole minutes (a calendar period counts from its start). */
export function budgetPeriodMinutes(slo: SloDefinition, end: number): number {
  return Math.max(1, Math.ceil((end - budgetPeriodStart(slo, end)) / MINUTE_MS));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new DomainInputError('calendar.timeZone', 'an IANA time zone name such as UTC or Europe/Paris', timeZone);
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock fields of `at` in `timeZone`. */
function wallClock(at: number, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(at))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return {
    year: fields.year ?? 0,
    month: fields.month ?? 1,
    day: fields.day ?? 1,
    hour: fields.hour ?? 0,
    minute: fields.minute ?? 0,
    second: fields.second ?? 0,
  };
}

/** How far the wall clock of `timeZone` is ahead of UTC at `at`, in ms. */
function zoneOffsetMs(at: number, timeZone: string): number {
  const w = wallClock(at, timeZone);
  const wallAsUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return wallAsUtc - Math.floor(at / 1000) * 1000;
}

/** Midnight starting the 1st of the calendar month (in `timeZone`) that contains `at`, as epoch ms. */
export function calendarMonthStart(at: number, timeZone: string): number {
  const { year, month } = wallClock(at, timeZone);
  const midnightAsUtc = Date.UTC(year, month - 1, 1);
  // The zone's offset at midnight may differ from its offset now (daylight saving): correct twice.
  let start = midnightAsUtc - zoneOffsetMs(midnightAsUtc, timeZone);
  start = midnightAsUtc - zoneOffsetMs(start, timeZone);
  return start;
}

/** Midnight starting the 1st of the month after the one (in `timeZone`) that contains `at`. */
export function nextCalendarMonthStart(at: number, timeZone: string): number {
  const { year, month } = wallClock(at, timeZone);
  const nextMidnightAsUtc = Date.UTC(year, month, 1);
  let start = nextMidnightAsUtc - zoneOffsetMs(nextMidnightAsUtc, timeZone);
  start = nextMidnightAsUtc - zoneOffsetMs(start, timeZone);
  return start;
}
