import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { can, carbon, summarize, type Usage } from '../api/client';
import { Alert, Field, formatAmount, formatCo2e, ILLUSTRATIVE, SelectField, typeLabel } from '../components/forms';
import { HistoryLink } from '../components/HistoryLink';
import { useFacilities } from '../hooks/useFacilities';
import { useUsageTypes } from '../hooks/useUsageTypes';
import { showUtc, utcDayStart } from '../utc';
import { Spreadsheet } from './usages/Spreadsheet';
import { UsageForm } from './usages/UsageForm';
import { NO_USUAL, usualOf, type Usual } from './usages/usual';

const PAGE_SIZE = 10;

/** A usage as its row's buttons name it: "Electricity usage of 12,500 kWh". */
const named = (u: Usage) => `${u.usage_type.name} usage of ${formatAmount(u.amount)} ${u.unit}`;

interface Filters {
  usage_type_id?: number;
  facility_id?: string;
  from?: string;
  to?: string;
}

export function Usages() {
  const { types } = useUsageTypes();
  const { facilities } = useFacilities();
  const facilityName = (id?: string | null) => facilities.find((f) => f.id === id)?.name;
  const [filters, setFilters] = useState<Filters>({});
  // Cursors of the pages before the current one; the current page's cursor last.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<Usage[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [editing, setEditing] = useState<Usage | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  // From the unfiltered first page: the form's default type and units.
  const [usual, setUsual] = useState<Usual>(NO_USUAL);
  const [recorded, setRecorded] = useState<Set<number> | null>(null);
  const filterTypes = recorded ? types.filter((t) => recorded.has(t.id)) : types;
  // A viewer or auditor reads: no form, no edit or delete (the API
  // refuses their writes too).
  const writes = can('write_usages');
  // Owners, admins and auditors follow a usage into the audit trail.
  const audits = can('read_audit');

  const cursor = cursors[cursors.length - 1];
  const load = useCallback(async () => {
    const { data, error, response } = await carbon.GET('/usages', {
      params: { query: { limit: PAGE_SIZE, cursor, ...filters } },
    });
    setLoaded(true);
    if (error || !data) {
      setError(summarize(error, response).detail);
      return;
    }
    setError(null);
    setPage(data);
    setNext(response.headers.get('x-next-cursor'));
    if (cursor === undefined && Object.keys(filters).length === 0) {
      setUsual(usualOf(data));
      // The types this inventory has recorded (all time, from the rollups):
      // the type filter offers those, not the hundreds of every dataset.
      const summary = await carbon.GET('/usages/summary');
      if (summary.data) setRecorded(new Set(summary.data.by_type.map((t) => t.usage_type_id)));
    }
  }, [cursor, filters]);

  useEffect(() => {
    void load();
  }, [load]);

  function applyFilters(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const type = String(form.get('type'));
    const facility = String(form.get('facility') ?? '');
    const from = String(form.get('from'));
    const to = String(form.get('to'));
    setFilters({
      ...(type ? { usage_type_id: Number(type) } : {}),
      ...(facility ? { facility_id: facility } : {}),
      ...(from ? { from: utcDayStart(from) } : {}),
      ...(to ? { to: utcDayStart(to, 1) } : {}),
    });
    setCursors([undefined]);
  }

  async function remove(usage: Usage) {
    const { error, response } = await carbon.DELETE('/usages/{id}', {
      params: { path: { id: usage.id } },
      headers: { 'If-Match': `"${usage.version}"` },
    });
    setConfirming(null);
    if (error) setError(summarize(error, response).detail);
    await load();
  }

  return (
    <section>
      <h1>Usages</h1>
      {writes ? (
        <UsageForm key={editing?.id ?? 'new'} types={types} facilities={facilities} editing={editing} usual={usual} onDone={() => { setEditing(null); void load(); }} />
      ) : (
        <p className="hint">Your role in this organization reads the usages; editors, admins and owners record them.</p>
      )}

      <form className="filters" onSubmit={applyFilters} aria-label="Filter usages">
        <SelectField label="Type" name="type" defaultValue="">
          <option value="">All types</option>
          {filterTypes.map((t) => <option key={t.id} value={t.id}>{typeLabel(t)}</option>)}
        </SelectField>
        {facilities.length > 0 && (
          <SelectField label="Facility" name="facility" defaultValue="">
            <option value="">All facilities</option>
            {facilities.map((f) => <option key={f.id} value={f.id}>{f.name}</option>)}
          </SelectField>
        )}
        <Field label="From (UTC day)" name="from" type="date" />
        <Field label="To (UTC day, inclusive)" name="to" type="date" />
        <button type="submit" className="secondary">Apply filters</button>
      </form>

      {error && <Alert>{error}</Alert>}
      {loaded && page.length === 0 ? (
        <p>{Object.keys(filters).length > 0 ? 'No usages match these filters.' : 'No usages here yet.'}</p>
      ) : (
        <table className="usages" data-testid="usages-table">
          <caption>The usages, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th><th scope="col">Type</th><th scope="col">Amount</th>
              <th scope="col">CO₂e</th><th scope="col">Scope</th>
              {(writes || audits) && <th scope="col" className="actions"><span className="visually-hidden">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {page.map((u) => (
              <tr key={u.id} data-usage-id={u.id}>
                <td>{showUtc(u.usage_at)}</td>
                <td>
                  {u.usage_type.name}{u.usage_type.illustrative && <span className="tag-illustrative"> ({ILLUSTRATIVE})</span>}
                  {facilityName(u.facility_id) && <span className="hint"> · {facilityName(u.facility_id)}</span>}
                </td>
                <td className="figure">{formatAmount(u.amount)} {u.unit}</td>
                <td className="figure">{formatCo2e(u.co2e)}</td>
                <td>{u.usage_type.scope}</td>
                {(writes || audits) && <td className="actions">
                  {audits && (
                    <HistoryLink entity="usage" id={u.id} importId={u.import_id}
                      label={`the ${named(u)}`} />
                  )}
                  {writes && <>
                    <button type="button" className="secondary" onClick={() => setEditing(u)}
                      aria-label={`Edit ${named(u)}`}>Edit</button>
                    {confirming === u.id ? (
                      <button type="button" className="danger" onClick={() => void remove(u)}>Confirm delete</button>
                    ) : (
                      <button type="button" className="secondary" onClick={() => setConfirming(u.id)}
                        aria-label={`Delete ${named(u)}`}>Delete</button>
                    )}
                  </>}
                </td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label="Pages">
        <button type="button" className="secondary" disabled={cursors.length <= 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}>Previous page</button>
        <span>Page {cursors.length}</span>
        <button type="button" className="secondary" disabled={!next}
          onClick={() => next && setCursors((c) => [...c, next])}>Next page</button>
      </nav>

      {/* After an import: back to the first page, which shows the newest. */}
      <Spreadsheet filters={filters} writes={writes}
        onImported={() => (cursors.length > 1 ? setCursors([undefined]) : void load())} />
    </section>
  );
}
