import type { Summary } from '../../api/client';
import { round, SCOPES } from './shared';

/** Totals per GHG Protocol scope. */
export function ScopeTable({ summary, year }: { summary: Summary; year: number }) {
  return (
    <>
      <h2>By GHG Protocol scope</h2>
      <table>
        <caption>Totals per scope, {year}</caption>
        <thead><tr><th scope="col">Scope</th><th scope="col">Usages</th><th scope="col">kg CO₂e</th></tr></thead>
        <tbody>
          {summary.by_scope.map((s) => (
            <tr key={s.scope}>
              <th scope="row">{SCOPES[s.scope] ?? `Scope ${s.scope}`}</th>
              <td>{s.usage_count}</td>
              <td>{round(s.co2e)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
