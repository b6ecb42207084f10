import { describe, expect, it } from 'vitest';
import { calendarYear, currentPeriod, lastDay, monthsOf } from './periods';

const fy = (name: string, from: string, to: string) => ({ name, from, to });

describe('the dashboard period', () => {
  it('is the fiscal year that holds today, not the newest listed', () => {
    const periods = [
      fy('FY2028', '2027-04-01T00:00:00Z', '2028-04-01T00:00:00Z'),
      fy('FY2027', '2026-04-01T00:00:00Z', '2027-04-01T00:00:00Z'),
      fy('FY2026', '2025-04-01T00:00:00Z', '2026-04-01T00:00:00Z'),
    ];
    expect(currentPeriod(periods, new Date('2026-12-07T12:00:00Z'))?.name).toBe('FY2027');
  });

  it('is the newest when none holds today, and none when none is listed', () => {
    const periods = [fy('FY2024', '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z')];
    expect(currentPeriod(periods, new Date('2026-12-07T12:00:00Z'))?.name).toBe('FY2024');
    expect(currentPeriod([], new Date())).toBeNull();
  });

  it('ends on the day before its exclusive end', () => {
    expect(lastDay(fy('FY2027', '2026-04-01T00:00:00Z', '2027-04-01T00:00:00Z'))).toBe('2027-03-31');
  });

  it('falls back to the calendar year in UTC', () => {
    expect(calendarYear(new Date('2026-12-31T23:30:00Z'))).toEqual(fy('2026', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'));
  });
});

describe('the months of a period', () => {
  it('are the twelve of a calendar fiscal year, by name', () => {
    const months = monthsOf(fy('FY2026', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'));
    expect(months).toHaveLength(12);
    expect(months[0]).toEqual({ key: '2026-01', name: 'Jan' });
    expect(months[11]).toEqual({ key: '2026-12', name: 'Dec' });
  });

  it('run April to March with their years for a fiscal year from April', () => {
    const months = monthsOf(fy('FY2027', '2026-04-01T00:00:00Z', '2027-04-01T00:00:00Z'));
    expect(months.map((m) => m.key)).toEqual([
      '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09',
      '2026-10', '2026-11', '2026-12', '2027-01', '2027-02', '2027-03',
    ]);
    expect([months[0]?.name, months[11]?.name]).toEqual(['Apr 2026', 'Mar 2027']);
  });
});
