/**
 * The error budget's period: rolling periods of `periodDays`, calendar months in a time zone (daylight saving
 * months included, and a zone half an hour off the hour), and the coarse resolution the older part is read at.
 * Expected instants are written out by hand from the zones' published offsets.
 */
import { DomainInputError } from '../../lambda/domain/burn';
import { DAY_MS, MINUTE_MS } from '../../lambda/domain/model';
import type { SloDefinition } from '../../lambda/domain/model';
import {
  budgetPeriodMinutes,
  budgetPeriodStart,
  calendarMonthStart,
  coarsePeriodSeconds,
  nextCalendarMonthStart,
} from '../../lambda/domain/period';
import { apiSlo } from '../support/slo-fixture';

const utc = (text: string): number => Date.parse(text);

function monthly(timeZone: string): SloDefinition {
  return apiSlo({ calendar: { unit: 'month', timeZone } });
}

describe('calendarMonthStart and nextCalendarMonthStart', () => {
  it.each([
    // zone, an instant inside the month, the month's first midnight and the next month's, in UTC
    ['UTC', '2026-03-15T12:00:00Z', '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'],
    ['UTC, on the month\'s first millisecond', '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'],
    ['UTC, on its last millisecond', '2026-03-31T23:59:59.999Z', '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'],
    ['UTC, in December (the next month is in the next year)', '2026-12-31T12:00:00Z', '2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z'],
    ['UTC, in a leap February', '2028-02-29T12:00:00Z', '2028-02-01T00:00:00Z', '2028-03-01T00:00:00Z'],
    // Paris: CET (+01:00) until 29 March 2026 02:00, then CEST (+02:00).
    ['Europe/Paris, the month daylight saving starts', '2026-03-30T12:00:00Z', '2026-02-28T23:00:00Z', '2026-03-31T22:00:00Z'],
    // Paris: CEST until 25 October 2026 03:00, then CET.
    ['Europe/Paris, the month daylight saving ends', '2026-10-26T12:00:00Z', '2026-09-30T22:00:00Z', '2026-10-31T23:00:00Z'],
    // 31 Oct 23:30 UTC is already 1 November 00:30 in Paris.
    ['Europe/Paris, an instant that is the next month there but not in UTC', '2026-10-31T23:30:00Z', '2026-10-31T23:00:00Z', '2026-11-30T23:00:00Z'],
    // New York: EST (-05:00) until 8 March 2026 02:00, then EDT (-04:00).
    ['America/New_York, the month daylight saving starts', '2026-03-20T00:00:00Z', '2026-03-01T05:00:00Z', '2026-04-01T04:00:00Z'],
    // 1 March 03:00 UTC is still 28 February 22:00 in New York.
    ['America/New_York, an instant still in the previous month there', '2026-03-01T03:00:00Z', '2026-02-01T05:00:00Z', '2026-03-01T05:00:00Z'],
    // Kolkata: +05:30 all year, so months start at 18:30 UTC the day before.
    ['Asia/Kolkata (+05:30)', '2026-03-15T12:00:00Z', '2026-02-28T18:30:00Z', '2026-03-31T18:30:00Z'],
    ['Asia/Kolkata, 18:30 UTC on the last day is the next month there', '2026-03-31T18:30:00Z', '2026-03-31T18:30:00Z', '2026-04-30T18:30:00Z'],
    // Sydney: AEDT (+11:00) until 5 April 2026 03:00, then AEST (+10:00).
    ['Australia/Sydney, the month daylight saving ends', '2026-04-10T00:00:00Z', '2026-03-31T13:00:00Z', '2026-04-30T14:00:00Z'],
  ])('%s: %s is in the month from %s to %s', (timeZone, instant, start, next) => {
    // Prepare
    const zone = timeZone.split(',')[0]!.split(' ')[0]!;

    // Act
    const monthStart = calendarMonthStart(utc(instant), zone);
    const nextStart = nextCalendarMonthStart(utc(instant), zone);

    // Assess
    expect(new Date(monthStart).toISOString()).toBe(new Date(utc(start)).toISOString());
    expect(new Date(nextStart).toISOString()).toBe(new Date(utc(next)).toISOString());
  });

  it.each([
    // March in Paris loses an hour to daylight saving, October gains one.
    ['Europe/Paris', '2026-03-15T00:00:00Z', 31 * 24 * 60 - 60],
    ['Europe/Paris', '2026-10-15T00:00:00Z', 31 * 24 * 60 + 60],
    ['Asia/Kolkata', '2026-02-15T00:00:00Z', 28 * 24 * 60],
  ])('a month in %s containing %s lasts %d minutes', (zone, instant, minutes) => {
    // Act
    const length = nextCalendarMonthStart(utc(instant), zone) - calendarMonthStart(utc(instant), zone);

    // Assess
    expect(length / MINUTE_MS).toBe(minutes);
  });

  it('names the time zone field when the zone is not an IANA name', () => {
    // Act
    const act = (): number => calendarMonthStart(utc('2026-03-15T00:00:00Z'), 'Mars/Olympus_Mons');

    // Assess
    expect(act).toThrow(DomainInputError);
    expect(act).toThrow(/calendar\.timeZone must be an IANA time zone name .*; got "Mars\/Olympus_Mons"/);
  });
});

describe('budgetPeriodStart and budgetPeriodMinutes', () => {
  it.each([
    { name: 'a rolling 30-day period', slo: apiSlo(), end: '2026-03-15T12:00:00Z', start: '2026-02-13T12:00:00Z', minutes: 30 * 24 * 60 },
    { name: 'a rolling 7-day period', slo: apiSlo({ periodDays: 7 }), end: '2026-03-15T12:00:00Z', start: '2026-03-08T12:00:00Z', minutes: 7 * 24 * 60 },
    { name: 'a UTC month, 14.5 days in', slo: monthly('UTC'), end: '2026-03-15T12:00:00Z', start: '2026-03-01T00:00:00Z', minutes: 14 * 24 * 60 + 12 * 60 },
    { name: 'a UTC month, one minute in', slo: monthly('UTC'), end: '2026-03-01T00:01:00Z', start: '2026-03-01T00:00:00Z', minutes: 1 },
    // The period holds the instant just before end: the minute ending at midnight closes February.
    { name: 'a UTC month, ending exactly at the next month', slo: monthly('UTC'), end: '2026-03-01T00:00:00Z', start: '2026-02-01T00:00:00Z', minutes: 28 * 24 * 60 },
    { name: 'a Kolkata month, 6 hours in', slo: monthly('Asia/Kolkata'), end: '2026-03-01T00:30:00Z', start: '2026-02-28T18:30:00Z', minutes: 6 * 60 },
    // 30 March 2026 12:00 UTC: 29 days and 13 hours after 28 February 23:00 UTC (Paris midnight, CET).
    { name: 'a Paris month across the daylight-saving start', slo: monthly('Europe/Paris'), end: '2026-03-30T12:00:00Z', start: '2026-02-28T23:00:00Z', minutes: 29 * 24 * 60 + 13 * 60 },
  ])('$name: ending at $end it starts at $start and lasts $minutes minutes', ({ slo, end, start, minutes }) => {
    // Act
    const periodStart = budgetPeriodStart(slo, utc(end));
    const periodMinutes = budgetPeriodMinutes(slo, utc(end));

    // Assess
    expect(new Date(periodStart).toISOString()).toBe(new Date(utc(start)).toISOString());
    expect(periodMinutes).toBe(minutes);
  });

  it('keeps a rolling period exactly periodDays long whatever the end', () => {
    // Prepare
    const slo = apiSlo({ periodDays: 28 });
    const end = utc('2026-03-29T01:07:00Z');

    // Act
    const start = budgetPeriodStart(slo, end);

    // Assess
    expect(end - start).toBe(28 * DAY_MS);
  });
});

describe('coarsePeriodSeconds', () => {
  it.each([
    { name: 'an event-counted SLO reads hourly buckets', slo: apiSlo(), seconds: 3600 },
    { name: '1-minute slices read 5-minute slices (the finest CloudWatch keeps for a month)', slo: apiSlo({ timeSlices: { sliceMinutes: 1, timeSliceTarget: 0.99 } }), seconds: 300 },
    { name: '5-minute slices read 5-minute slices', slo: apiSlo({ timeSlices: { sliceMinutes: 5, timeSliceTarget: 0.99 } }), seconds: 300 },
    { name: '10-minute slices read whole slices', slo: apiSlo({ timeSlices: { sliceMinutes: 10, timeSliceTarget: 0.99 } }), seconds: 600 },
    { name: '60-minute slices read whole slices', slo: apiSlo({ timeSlices: { sliceMinutes: 60, timeSliceTarget: 0.99 } }), seconds: 3600 },
  ])('$name: $seconds s', ({ slo, seconds }) => {
    // Act
    const period = coarsePeriodSeconds(slo);

    // Assess
    expect(period).toBe(seconds);
  });
});
