// The dashboard's figures as a CSV for a reporting spreadsheet: one row per
// line of each breakdown, every figure in kg as the service computed it (no
// rounding, no thousands marks), under the period and GWP set they are for.
import type { Summary } from '../../api/client';
import { SCOPE3_CATEGORIES } from '../../scope3';

type Gases = Summary['by_gas'];

export const FIGURES_HEADER = [
  'breakdown', 'item', 'usages', 'co2e_kg', 'co2_kg', 'ch4_kg', 'ch4_fossil_kg', 'n2o_kg', 'other_co2e_kg',
  'fgases_kg', 'biogenic_co2_kg_memo', 'amount', 'unit', 'period', 'gwp',
];

/** A cell: quoted when it holds a separator, a quote or a line break; a
 * text a spreadsheet would run as a formula is neutralised (as the
 * service's exports are). */
function cell(value: string | number | null | undefined): string {
  if (value === undefined || value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const fgases = (g: Gases) =>
  Object.entries(g.fgases ?? {}).map(([gas, kg]) => `${gas} ${kg}`).join('; ');

/** The figures of `summary` for `period`, as CSV lines (CRLF, header first). */
export function figuresCsv(summary: Summary, period: string): string {
  const rows: (string | number | null | undefined)[][] = [];
  const line = (breakdown: string, item: string, usages: number | null, co2e: number, g: Gases | null,
    amount?: number, unit?: string) => {
    rows.push([breakdown, item, usages, co2e, g?.co2, g?.ch4, g?.ch4_fossil, g?.n2o, g?.other_co2e,
      g ? fgases(g) : '', g?.biogenic_co2, amount, unit, period, summary.gwp]);
  };
  line('total', 'location-based', summary.usage_count, summary.total_co2e, summary.by_gas);
  line('total', 'market-based', null, summary.total_co2e_market_based, null);
  for (const s of summary.by_scope) line('scope', `Scope ${s.scope}`, s.usage_count, s.co2e, s.by_gas);
  line('scope 2', 'location-based', null, summary.scope2.location_based.co2e, summary.scope2.location_based.by_gas);
  line('scope 2', 'market-based', null, summary.scope2.market_based.co2e, summary.scope2.market_based.by_gas);
  for (const c of summary.by_scope3_category) {
    line('scope 3 category', SCOPE3_CATEGORIES[c.category] ?? String(c.category), c.usage_count, c.co2e, c.by_gas);
  }
  for (const t of summary.by_type) {
    line('usage type', `${t.name} (${t.usage_type_id})`, t.usage_count, t.co2e, t.by_gas, t.total_amount, t.unit);
  }
  for (const m of summary.by_month) line('month', m.month, m.usage_count, m.co2e, m.by_gas);
  for (const f of summary.by_facility) line('facility', f.name ?? '(no facility)', f.usage_count, f.co2e, f.by_gas);
  for (const q of summary.by_data_quality) {
    line('data quality', q.data_quality ?? '(not said)', q.usage_count, q.co2e, null);
  }
  return [FIGURES_HEADER, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
