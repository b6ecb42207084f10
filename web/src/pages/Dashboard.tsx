import { Link } from 'react-router';
import { useEffect, useState } from 'react';
import { can, carbon, summarize, type Summary } from '../api/client';
import { Alert, formatCo2e, ILLUSTRATIVE, SelectField } from '../components/forms';
import { useGwpSets, type GwpName } from '../hooks/useGwpSets';
import { useUsageTypes } from '../hooks/useUsageTypes';
import { GasTable } from './dashboard/GasTable';
import { MonthlyChart } from './dashboard/MonthlyChart';
import { ScopeTable } from './dashboard/ScopeTable';
import { TypeChart } from './dashboard/TypeChart';
import { figuresCsv } from './dashboard/figuresCsv';
import { calendarYear, currentPeriod, lastDay, type Span } from './dashboard/periods';
import { saveCsv } from '../files';


/** A reporting period's footprint (the current fiscal year first): the
 * total, per gas, by month, by type and by scope, in CO₂e under the GWP set
 * chosen. */
export default function Dashboard() {
  const sets = useGwpSets();
  const [gwp, setGwp] = useState<GwpName>(sets[0].id);
  const [summary, setSummary] = useState<Summary | null>(null);
  // The organization's fiscal years (newest first); until they are read no
  // summary is asked for, so that the first one asked is the right one.
  const [periods, setPeriods] = useState<Span[]>([]);
  const [period, setPeriod] = useState<Span | null>(null);
  useEffect(() => {
    void carbon.GET('/periods').then(({ data }) => {
      const spans = (data ?? []).map((p) => ({ name: p.name, from: p.from, to: p.to, locked: p.status === 'locked' }));
      setPeriods(spans);
      setPeriod(currentPeriod(spans, new Date()) ?? calendarYear(new Date()));
    });
  }, []);
  const locked = periods.filter((p) => p.locked).map((p) => p.name);
  const { types } = useUsageTypes();
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!period) return;
    let live = true;
    void carbon
      .GET('/usages/summary', { params: { query: { from: period.from, to: period.to, gwp } } })
      .then(({ data, error, response }) => {
        if (!live) return;
        if (error || !data) setError(summarize(error, response).detail);
        else setSummary(data);
      });
    return () => {
      live = false;
    };
  }, [period, gwp]);

  if (error) return <Alert>{error}</Alert>;
  if (!summary || !period) return <p role="status">Loading your footprint…</p>;
  const loading = summary.gwp !== gwp || Date.parse(summary.from ?? '') !== Date.parse(period.from);
  // The period is one of the list, or the calendar year when none was read.
  const chooseable = periods.length > 0 ? periods : [period];

  const label = (id: number) => {
    const line = summary.by_type.find((t) => t.usage_type_id === id);
    const type = types.find((t) => t.id === id);
    const name = line?.name ?? type?.name ?? `type ${id}`;
    const unit = line?.unit ?? type?.unit;
    const named = unit ? `${name} (${unit})` : name;
    return type?.illustrative ? `${named}, ${ILLUSTRATIVE}` : named;
  };

  return (
    <section>
      <h1>Your footprint in {period.name}</h1>
      <div className="gwp-switch">
        <SelectField label="Reporting period" name="period" value={period.name}
          onChange={(e) => setPeriod(chooseable.find((p) => p.name === e.target.value) ?? period)}>
          {chooseable.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name} ({p.from.slice(0, 10)} to {lastDay(p)}){p.locked ? ', locked' : ''}
            </option>
          ))}
        </SelectField>
        <SelectField label="Global warming potentials (100-year)" name="gwp" value={gwp}
          onChange={(e) => setGwp(e.target.value as GwpName)}>
          {sets.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
        </SelectField>
      </div>
      <p className="total" aria-busy={loading}>
        <span className="total-label">Total for {period.name}</span>
        <strong data-testid="total-co2e" data-value={summary.total_co2e} data-gwp={summary.gwp}>
          {formatCo2e(summary.total_co2e)}
        </strong>
        <span className="muted"> from {summary.usage_count} usages, CO₂e under {summary.gwp}, scope 2 location-based</span>
      </p>
      {locked.length > 0 && (
        <p className="locked-periods" data-testid="locked-periods">
          Locked (reported, frozen): <strong>{locked.join(', ')}</strong>. <Link to="/periods">Periods</Link>
        </p>
      )}
      {summary.total_co2e_market_based !== summary.total_co2e && (
        <p className="total-market">
          With scope 2 market-based: <strong data-testid="total-market">{formatCo2e(summary.total_co2e_market_based)}</strong>
        </p>
      )}
      {summary.usage_count === 0 ? (
        <Alert kind="info">
          No usages recorded in {period.name} yet.
          {can('write_usages') && <> Record a bill or import a spreadsheet on the <Link to="/usages">Usages page</Link>.</>}
        </Alert>
      ) : (
        <>
          <p>
            <button type="button" className="secondary" disabled={loading}
              onClick={() => saveCsv(figuresCsv(summary, period.name),
                `footprint-${period.name}-${summary.gwp}.csv`)}>
              Download the figures (CSV)
            </button>
          </p>
          <MonthlyChart summary={summary} period={period} label={label} />
          <TypeChart summary={summary} period={period.name} label={label} />
          <GasTable summary={summary} period={period.name} />
          <ScopeTable summary={summary} period={period.name} />
        </>
      )}
    </section>
  );
}
