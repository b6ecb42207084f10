import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { carbon, publicCarbon, summarize, type Summary, type UsageType } from '../api/client';
import { Alert, formatCo2e } from '../components/forms';

const PALETTE = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490', '#4d7c0f', '#a16207'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SCOPES: Record<number, string> = {
  1: 'Scope 1 (direct)',
  2: 'Scope 2 (purchased energy)',
  3: 'Scope 3 (value chain)',
};

const round = (kg: number) => Math.round(kg * 100) / 100;

export default function Dashboard() {
  const year = new Date().getFullYear();
  const [summary, setSummary] = useState<Summary | null>(null);
  const [types, setTypes] = useState<UsageType[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void (async () => {
      const [s, t] = await Promise.all([
        carbon.GET('/usages/summary', {
          params: { query: { from: `${year}-01-01T00:00:00Z`, to: `${year + 1}-01-01T00:00:00Z` } },
        }),
        publicCarbon.GET('/types', { params: { query: { limit: 100 } } }),
      ]);
      if (!live) return;
      if (s.error || !s.data) setError(summarize(s.error, s.response).detail);
      else setSummary(s.data);
      if (t.data) setTypes(t.data);
    })();
    return () => {
      live = false;
    };
  }, [year]);

  if (error) return <Alert>{error}</Alert>;
  if (!summary) return <p role="status">Loading your footprint…</p>;

  const label = (id: number) => {
    const line = summary.by_type.find((t) => t.usage_type_id === id);
    const type = types.find((t) => t.id === id);
    const name = line?.name ?? type?.name ?? `type ${id}`;
    const unit = line?.unit ?? type?.unit;
    return unit ? `${name} (${unit})` : name;
  };
  const typeIds = summary.by_type.map((t) => t.usage_type_id);
  const monthly = MONTHS.map((name, i) => {
    const key = `${year}-${String(i + 1).padStart(2, '0')}`;
    const month = summary.by_month.find((m) => m.month === key);
    const row: Record<string, string | number> = { month: name };
    for (const id of typeIds) row[label(id)] = round(month?.by_type.find((t) => t.usage_type_id === id)?.co2e ?? 0);
    return { row, total: month?.co2e ?? 0, key };
  });

  return (
    <section>
      <h1>Your footprint in {year}</h1>
      <p className="total">
        <span className="total-label">Total this year</span>
        <strong data-testid="total-co2e" data-value={summary.total_co2e}>{formatCo2e(summary.total_co2e)}</strong>
        <span className="muted"> from {summary.usage_count} usages</span>
      </p>

      {summary.usage_count === 0 ? (
        <Alert kind="info">No usages recorded this year yet. Add some on the Usages page.</Alert>
      ) : (
        <>
          <h2 id="by-month">By month, stacked by usage type</h2>
          <figure aria-labelledby="by-month">
            <div className="chart" aria-hidden="true">
              <ResponsiveContainer width="100%" height={320}>
                <BarChart data={monthly.map((m) => m.row)} accessibilityLayer={false}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="month" />
                  <YAxis unit=" kg" width={80} />
                  <Tooltip />
                  <Legend />
                  {typeIds.map((id, i) => (
                    <Bar key={id} dataKey={label(id)} stackId="co2e" fill={PALETTE[i % PALETTE.length]} isAnimationActive={false} />
                  ))}
                </BarChart>
              </ResponsiveContainer>
            </div>
            <details>
              <summary>Table view: by month</summary>
              <table>
                <caption>kg CO₂e per month and usage type, {year}</caption>
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
                      {typeIds.map((id) => <td key={id}>{m.row[label(id)]}</td>)}
                      <td>{round(m.total)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </figure>

          <h2 id="by-type">By usage type</h2>
          <figure aria-labelledby="by-type">
            <div className="chart" aria-hidden="true">
              <ResponsiveContainer width="100%" height={60 + 40 * typeIds.length}>
                <BarChart layout="vertical" accessibilityLayer={false} data={summary.by_type.map((t) => ({ type: label(t.usage_type_id), co2e: round(t.co2e) }))}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis type="number" unit=" kg" />
                  <YAxis type="category" dataKey="type" width={160} />
                  <Tooltip />
                  <Bar dataKey="co2e" name="kg CO₂e" fill={PALETTE[0]} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
            <details>
              <summary>Table view: by usage type</summary>
              <table data-testid="by-type-table">
                <caption>Totals per usage type, {year}</caption>
                <thead>
                  <tr><th scope="col">Usage type</th><th scope="col">Usages</th><th scope="col">Amount</th><th scope="col">kg CO₂e</th></tr>
                </thead>
                <tbody>
                  {summary.by_type.map((t) => (
                    <tr key={t.usage_type_id}>
                      <th scope="row">{label(t.usage_type_id)}</th>
                      <td>{t.usage_count}</td>
                      <td>{round(t.total_amount)} {t.unit}</td>
                      <td>{round(t.co2e)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </figure>

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
      )}
    </section>
  );
}
