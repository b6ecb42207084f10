import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis, type YAxisTickContentProps } from 'recharts';
import type { Summary } from '../../api/client';
import { formatFigure } from '../../components/forms';
import { axisLabel, kgTick, PALETTE, round } from './shared';
import { ChartFigure } from './ChartFigure';

/** A type's name on the axis: one line (a wrapped name overlaps its
 * neighbours), the whole name on hover and in the table view. */
function TypeTick({ x, y, payload }: YAxisTickContentProps) {
  const name = String(payload.value ?? '');
  return (
    <text x={x} y={y} dx={-4} dy={4} textAnchor="end" fontSize={12} fill="#374151">
      <title>{name}</title>
      {axisLabel(name)}
    </text>
  );
}

/** kg CO₂e per usage type, with its table view. */
export function TypeChart({ summary, period, label }: { summary: Summary; period: string; label: (id: number) => string }) {
  return (
    <ChartFigure id="by-type" title="By usage type" tableTitle="Table view: by usage type"
      chart={
        <ResponsiveContainer width="100%" height={60 + 40 * summary.by_type.length}>
          <BarChart layout="vertical" accessibilityLayer={false}
            data={summary.by_type.map((t) => ({ type: label(t.usage_type_id), co2e: round(t.co2e) }))}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis type="number" tickFormatter={kgTick} />
            <YAxis type="category" dataKey="type" width={180} tick={TypeTick} />
            <Tooltip />
            <Bar dataKey="co2e" name="kg CO₂e" fill={PALETTE[0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      }
      table={
        <table data-testid="by-type-table">
          <caption>Totals per usage type, {period}</caption>
          <thead>
            <tr><th scope="col">Usage type</th><th scope="col">Usages</th><th scope="col">Amount</th><th scope="col">kg CO₂e</th></tr>
          </thead>
          <tbody>
            {summary.by_type.map((t) => (
              <tr key={t.usage_type_id}>
                <th scope="row">{label(t.usage_type_id)}</th>
                <td>{t.usage_count}</td>
                <td>{formatFigure(t.total_amount)} {t.unit}</td>
                <td>{formatFigure(t.co2e)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      } />
  );
}
