// Usage times in UTC, as the service keeps its days, months and fiscal
// years: a bill entered for 31 December counts in that year wherever the
// browser is.

const pad = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DDTHH:mm` of an instant in UTC, for a datetime-local input. */
export function utcInput(iso: string): string {
  const d = new Date(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** A datetime-local input's value read as UTC, as RFC 3339; blank: none. */
export function fromUtcInput(value: string): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(`${value}Z`);
  // Left as typed when it does not parse: the service names the field.
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

/** Midnight UTC starting a date input's day (`plusDays` later), as RFC 3339. */
export function utcDayStart(date: string, plusDays = 0): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + plusDays);
  return d.toISOString();
}

/** An instant as `YYYY-MM-DD HH:mm UTC`. */
export function showUtc(iso: string): string {
  return `${utcInput(iso).replace('T', ' ')} UTC`;
}
