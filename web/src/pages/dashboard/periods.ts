// Which reporting period the dashboard shows, and its months.
import { MONTHS } from './shared';

/** A span the summary is asked for: a fiscal year of `GET /periods`. */
export interface Span {
  name: string;
  /** RFC 3339, UTC. */
  from: string;
  /** RFC 3339, UTC, exclusive. */
  to: string;
  locked?: boolean;
}

/** The calendar year of `now`, for when the periods cannot be read. */
export function calendarYear(now: Date): Span {
  const year = now.getUTCFullYear();
  return { name: String(year), from: `${year}-01-01T00:00:00Z`, to: `${year + 1}-01-01T00:00:00Z` };
}

/** The period that holds `now` (the current fiscal year), else the newest. */
export function currentPeriod(periods: Span[], now: Date): Span | null {
  const at = now.getTime();
  return periods.find((p) => Date.parse(p.from) <= at && at < Date.parse(p.to)) ?? periods[0] ?? null;
}

/** The UTC months of a span, `YYYY-MM` and a name (with the year where the
 * span crosses one, as a fiscal year from April does). */
export function monthsOf(span: Span): { key: string; name: string }[] {
  const months: { key: string; name: string }[] = [];
  const end = new Date(span.to);
  const d = new Date(span.from);
  const crosses = new Date(span.from).getUTCFullYear() !== new Date(end.getTime() - 1).getUTCFullYear();
  // At most 24: a fiscal year is 12.
  while (d < end && months.length < 24) {
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth();
    const short = MONTHS[month] ?? '';
    months.push({
      key: `${year}-${String(month + 1).padStart(2, '0')}`,
      name: crosses ? `${short} ${year}` : short,
    });
    d.setUTCMonth(month + 1, 1);
  }
  return months;
}

/** The last day of a span (its `to` is exclusive), as YYYY-MM-DD. */
export function lastDay(span: Span): string {
  return new Date(Date.parse(span.to) - 86_400_000).toISOString().slice(0, 10);
}
