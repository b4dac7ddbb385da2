import { describe, expect, it } from 'vitest';
import { humanDate, humanDateAndRelative, humanRelative } from '../../services/domain/index.js';

describe('dates as people read them', () => {
  const now = new Date('2026-12-02T00:56:26.000Z');

  it('shows a date to the minute in UTC, and "-" for none', () => {
    expect(humanDate('2028-11-30T22:56:26.000Z')).toBe('2028-11-30 22:56 UTC');
    expect(humanDate(new Date('2026-01-05T03:04:59Z'))).toBe('2026-01-05 03:04 UTC');
    expect(humanDate(null)).toBe('-');
    expect(humanDate('not a date')).toBe('-');
  });

  it('says how far away a date is in whole days, hours or minutes, rounded towards now', () => {
    expect(humanRelative('2028-11-30T22:56:26.000Z', now)).toBe('in 729 days');
    expect(humanRelative('2026-12-04T00:56:26.000Z', now)).toBe('in 2 days');
    expect(humanRelative('2026-12-03T23:00:00.000Z', now)).toBe('in 46 hours');
    expect(humanRelative('2026-12-02T01:00:00.000Z', now)).toBe('in 3 minutes');
    expect(humanRelative('2026-12-02T00:56:50.000Z', now)).toBe('now');
    expect(humanRelative('2026-11-02T00:56:26.000Z', now)).toBe('30 days ago');
    expect(humanRelative('2026-12-02T00:55:26.000Z', now)).toBe('1 minute ago');
  });

  it('puts both together for validity and renewal dates', () => {
    expect(humanDateAndRelative('2028-11-30T22:56:26.000Z', now)).toBe('2028-11-30 22:56 UTC (in 729 days)');
    expect(humanDateAndRelative(undefined, now)).toBe('-');
  });
});
