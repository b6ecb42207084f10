import type { Summary } from '../../api/client';
import { SCOPE3_CATEGORIES } from '../../scope3';
import { formatFigure } from '../../components/forms';
import { SCOPES } from './shared';

/** Totals per GHG Protocol scope. */
export function ScopeTable({ summary, period }: { summary: Summary; period: string }) {
  return (
    <>
      <h2>By GHG Protocol scope</h2>
      <table>
        <caption>Totals per scope, {period}</caption>
        <thead><tr><th scope="col">Scope</th><th scope="col">Usages</th><th scope="col">kg CO₂e</th></tr></thead>
        <tbody>
          {summary.by_scope.map((s) => (
            <tr key={s.scope}>
              <th scope="row">{SCOPES[s.scope] ?? `Scope ${s.scope}`}</th>
              <td>{s.usage_count}</td>
              <td>{formatFigure(s.co2e)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {summary.by_scope3_category.length > 0 && (
        <table data-testid="scope3-table">
          <caption>Scope 3 by category, {period}</caption>
          <thead><tr><th scope="col">Category</th><th scope="col">Usages</th><th scope="col">kg CO₂e</th></tr></thead>
          <tbody>
            {summary.by_scope3_category.map((c) => (
              <tr key={c.category}>
                <th scope="row">{SCOPE3_CATEGORIES[c.category] ?? `Category ${c.category}`}</th>
                <td>{c.usage_count}</td>
                <td>{formatFigure(c.co2e)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Scope2Table summary={summary} period={period} />
      <FacilityTable summary={summary} period={period} />
    </>
  );
}

/** Totals per facility, when some usage names one. */
function FacilityTable({ summary, period }: { summary: Summary; period: string }) {
  if (!summary.by_facility.some((f) => f.facility_id)) return null;
  return (
    <>
      <h2>By facility</h2>
      <table data-testid="facility-table">
        <caption>Totals per facility, {period} (scope 2 location-based)</caption>
        <thead><tr><th scope="col">Facility</th><th scope="col">Usages</th><th scope="col">kg CO₂e</th></tr></thead>
        <tbody>
          {summary.by_facility.map((f) => (
            <tr key={f.facility_id ?? 'none'}>
              <th scope="row">{f.facility_id ? (f.name ?? 'A deleted facility') : 'No facility'}</th>
              <td>{f.usage_count}</td>
              <td>{formatFigure(f.co2e)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

const LEVELS: Record<string, string> = {
  certificates_and_ppas: 'Certificates and PPAs',
  supplier_factors: 'Supplier factors',
  residual_mix: 'Residual mix',
  location_based_fallback: 'Grid average (no instrument: fallback)',
};

/** Scope 2 both ways (GHG Protocol Scope 2 Guidance): never added
 * together; and which source covered the market-based energy. */
function Scope2Table({ summary, period }: { summary: Summary; period: string }) {
  const { location_based, market_based, coverage } = summary.scope2;
  const energy = coverage.reduce((sum, c) => sum + c.energy_kwh, 0);
  if (location_based.co2e === 0 && energy === 0) return null;
  return (
    <>
      <h2>Scope 2, both methods</h2>
      <table data-testid="scope2-table">
        <caption>Purchased energy, {period}: each method on its own, never added together</caption>
        <thead><tr><th scope="col">Method</th><th scope="col">kg CO₂e</th></tr></thead>
        <tbody>
          <tr><th scope="row">Location-based (grid averages)</th><td>{formatFigure(location_based.co2e)}</td></tr>
          <tr><th scope="row">Market-based (your instruments)</th><td data-testid="market-based">{formatFigure(market_based.co2e)}</td></tr>
        </tbody>
      </table>
      <table data-testid="coverage-table">
        <caption>Which source covered the market-based energy</caption>
        <thead><tr><th scope="col">Source</th><th scope="col">kWh</th></tr></thead>
        <tbody>
          {coverage.map((c) => (
            <tr key={c.level}>
              <th scope="row">{LEVELS[c.level] ?? c.level}</th>
              <td>{c.energy_kwh.toLocaleString('en', { maximumSignificantDigits: 6 })}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
