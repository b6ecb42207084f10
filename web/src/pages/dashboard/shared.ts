// What the dashboard's charts and tables share: colours, month and scope
// names, and rounding for display.
export const PALETTE = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490', '#4d7c0f', '#a16207'];
export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export const SCOPES: Record<number, string> = {
  1: 'Scope 1 (direct)',
  2: 'Scope 2 (purchased energy)',
  3: 'Scope 3 (value chain)',
};

export const round = (kg: number) => Math.round(kg * 100) / 100;

/** An axis's tick: thousands grouped, with its unit (80,000 kg). */
export const kgTick = (kg: number) => `${kg.toLocaleString('en')} kg`;

/** A usage type on a chart's axis or legend: one line, since wrapped names overlap
 * their neighbours; the tooltip and the table view hold the whole name. */
export function axisLabel(name: string, max = 22): string {
  return name.length > max ? `${name.slice(0, max - 1).trimEnd()}…` : name;
}
