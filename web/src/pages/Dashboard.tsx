import { useEffect, useState } from 'react';
import { carbon, summarize, type Summary } from '../api/client';
import { Alert, formatCo2e } from '../components/forms';
import { useUsageTypes } from '../hooks/useUsageTypes';
import { MonthlyChart } from './dashboard/MonthlyChart';
import { ScopeTable } from './dashboard/ScopeTable';
import { TypeChart } from './dashboard/TypeChart';

/** This year's footprint: the total, by month, by type and by scope. */
export default function Dashboard() {
  const year = new Date().getFullYear();
  const [summary, setSummary] = useState<Summary | null>(null);
  const { types } = useUsageTypes();
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void carbon
      .GET('/usages/summary', {
        params: { query: { from: `${year}-01-01T00:00:00Z`, to: `${year + 1}-01-01T00:00:00Z` } },
      })
      .then(({ data, error, response }) => {
        if (!live) return;
        if (error || !data) setError(summarize(error, response).detail);
        else setSummary(data);
      });
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
          <MonthlyChart summary={summary} year={year} label={label} />
          <TypeChart summary={summary} year={year} label={label} />
          <ScopeTable summary={summary} year={year} />
        </>
      )}
    </section>
  );
}
