import type { Summary } from '../../api/client';
import { formatFigure } from '../../components/forms';

/** kg of each gas: what the GHG Protocol asks to report separately
 * (fluorinated gases each under their own code), and biogenic CO₂ as a
 * memo outside the scopes. */
export function GasTable({ summary, period }: { summary: Summary; period: string }) {
  const rows: [string, number][] = [
    ['CO₂', summary.by_gas.co2],
    ['CH₄', summary.by_gas.ch4],
    ...(summary.by_gas.ch4_fossil > 0 ? [['CH₄ (fossil)', summary.by_gas.ch4_fossil] as [string, number]] : []),
    ['N₂O', summary.by_gas.n2o],
    ...Object.entries(summary.by_gas.fgases ?? {}).filter((g): g is [string, number] => typeof g[1] === 'number'),
  ];
  return (
    <>
      <h2>By gas</h2>
      <table data-testid="gas-table">
        <caption>kg of each greenhouse gas, {period}</caption>
        <thead><tr><th scope="col">Gas</th><th scope="col">kg</th></tr></thead>
        <tbody>
          {rows.map(([gas, kg]) => (
            <tr key={gas}><th scope="row">{gas}</th><td>{kg.toLocaleString('en', { maximumSignificantDigits: 6 })}</td></tr>
          ))}
          {summary.by_gas.biogenic_co2 > 0 && (
            <tr data-testid="biogenic-memo">
              <th scope="row">Memo: biogenic CO₂ (outside the scopes, not in any total)</th>
              <td>{summary.by_gas.biogenic_co2.toLocaleString('en', { maximumSignificantDigits: 6 })}</td>
            </tr>
          )}
          {summary.by_gas.other_co2e > 0 && (
            <tr>
              <th scope="row">Factors given only as CO₂e</th>
              <td>{formatFigure(summary.by_gas.other_co2e)} kg CO₂e</td>
            </tr>
          )}
        </tbody>
      </table>
    </>
  );
}
