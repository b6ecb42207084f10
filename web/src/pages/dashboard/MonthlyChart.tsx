import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Summary } from '../../api/client';
import { formatFigure } from '../../components/forms';
import { axisLabel, kgTick, PALETTE, round } from './shared';
import { ChartFigure } from './ChartFigure';
import { monthsOf, type Span } from './periods';

/** kg CO₂e per month of `period`, stacked by usage type, with its table view. */
export function MonthlyChart({ summary, period, label }: { summary: Summary; period: Span; label: (id: number) => string }) {
  const typeIds = summary.by_type.map((t) => t.usage_type_id);
  const monthly = monthsOf(period).map(({ key, name }) => {
    const month = summary.by_month.find((m) => m.month === key);
    const row: Record<string, string | number> = { month: name };
    for (const id of typeIds) row[label(id)] = round(month?.by_type.find((t) => t.usage_type_id === id)?.co2e ?? 0);
    return { row, total: month?.co2e ?? 0, key };
  });
  return (
    <ChartFigure id="by-month" title="By month, stacked by usage type" tableTitle="Table view: by month"
      chart={
        // Taller with more types: on a phone their legend wraps, one a line,
        // and would squash the bars into a sliver.
        <ResponsiveContainer width="100%" height={Math.min(260 + 24 * typeIds.length, 620)}>
          <BarChart data={monthly.map((m) => m.row)} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="month" />
            <YAxis tickFormatter={kgTick} width={88} />
            <Tooltip />
            <Legend formatter={(name: string) => axisLabel(name, 36)} />
            {typeIds.map((id, i) => (
              <Bar key={id} dataKey={label(id)} stackId="co2e" fill={PALETTE[i % PALETTE.length]} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      }
      table={
        <table>
          <caption>kg CO₂e per month and usage type, {period.name}</caption>
          <thead>
            <tr>
              <th scope="col">Month</th>
              {typeIds.map((id) => <th scope="col" key={id}>{label(id)}</th>)}
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {monthly.map((m) => (
              <tr key={m.key}>
                <th scope="row">{m.row.month}</th>
                {typeIds.map((id) => <td key={id}>{formatFigure(Number(m.row[label(id)]))}</td>)}
                <td>{formatFigure(m.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      } />
  );
}
