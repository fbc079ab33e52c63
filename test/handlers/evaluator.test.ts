import { InvalidScheduleEventError, tickTime } from '../../lambda/handlers/evaluator';

const CLOCK = Date.UTC(2026, 10, 25, 12, 0, 30);

describe('tickTime', () => {
  it.each([
    ['a scheduled event on time uses its schedule time', { 'detail-type': 'Scheduled Event', time: '2026-11-25T12:00:00Z' }, { now: Date.UTC(2026, 10, 25, 12, 0, 0), late: false }],
    ['a manual invocation with {} uses the clock', {}, { now: CLOCK, late: false }],
    ['no event uses the clock', undefined, { now: CLOCK, late: false }],
    ['a tick delivered 10 minutes late is evaluated as of the clock', { time: '2026-11-25T11:50:00Z' }, { now: CLOCK, late: true }],
  ])('%s', (_label, event, expected) => {
    expect(tickTime(event, CLOCK)).toEqual(expected);
  });

  it.each([
    ['a string', 'tick', 'event: must be an EventBridge scheduled event object'],
    ['an array', [1], 'event: must be an EventBridge scheduled event object'],
    ['a time that is not a timestamp', { time: 'yesterday' }, 'event.time: must be an ISO-8601 timestamp, got "yesterday"'],
    ['a numeric time', { time: 12 }, 'event.time: must be an ISO-8601 timestamp, got 12'],
  ])('rejects %s naming the field', (_label, event, message) => {
    expect(() => tickTime(event, CLOCK)).toThrow(InvalidScheduleEventError);
    expect(() => tickTime(event, CLOCK)).toThrow(message);
  });
});
