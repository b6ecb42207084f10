import type { Usage } from '../../api/client';

/** What the newest usages say about the next one: the type last recorded
 * (the form's default) and, per type, the unit its last bill was entered
 * in. A monthly bill reads in the same unit each month; the factor's unit
 * (MWh for a grid) would make a 12,500 kWh bill 1,000 times too big. */
export interface Usual {
  type?: number;
  units: Record<number, string>;
}

export const NO_USUAL: Usual = { units: {} };

/** `newestFirst`: the unfiltered first page of the usages list. */
export function usualOf(newestFirst: Pick<Usage, 'unit' | 'usage_type'>[]): Usual {
  const units: Record<number, string> = {};
  for (const usage of newestFirst) units[usage.usage_type.id] ??= usage.unit;
  return { type: newestFirst[0]?.usage_type.id, units };
}

/** The unit the form shows: the one chosen, else the type's last bill's,
 * else the factor's; each only if the type takes it. */
export function unitFor(chosen: string | undefined, usual: Usual, type: { id: number; unit: string } | undefined,
  units: string[]): string | undefined {
  if (chosen && units.includes(chosen)) return chosen;
  const last = type ? usual.units[type.id] : undefined;
  if (last && units.includes(last)) return last;
  return type?.unit;
}
