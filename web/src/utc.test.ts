import { describe, expect, it } from 'vitest';
import { fromUtcInput, showUtc, utcDayStart, utcInput } from './utc';

describe('usage times in UTC', () => {
  it('a typed time is that time in UTC, whatever the browser zone', () => {
    expect(fromUtcInput('2025-12-31T20:00')).toBe('2025-12-31T20:00:00.000Z');
    expect(fromUtcInput('')).toBeUndefined();
  });

  it('an edited usage shows its UTC time in the input, and reads back the same', () => {
    const value = utcInput('2026-01-01T01:30:00Z');
    expect(value).toBe('2026-01-01T01:30');
    expect(fromUtcInput(value)).toBe('2026-01-01T01:30:00.000Z');
  });

  it('a filter day starts at midnight UTC, the day after for an inclusive end', () => {
    expect(utcDayStart('2025-03-01')).toBe('2025-03-01T00:00:00.000Z');
    expect(utcDayStart('2025-03-31', 1)).toBe('2025-04-01T00:00:00.000Z');
  });

  it('a list shows the UTC date and time, named', () => {
    expect(showUtc('2025-03-01T00:00:00Z')).toBe('2025-03-01 00:00 UTC');
  });
});
