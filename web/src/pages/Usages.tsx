import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { carbon, summarize, type Usage, type UsageType } from '../api/client';
import { Alert, Field, formatCo2e, SelectField } from '../components/forms';
import { useSubmit } from '../hooks/useSubmit';
import { useUsageTypes } from '../hooks/useUsageTypes';

const PAGE_SIZE = 10;

/** `YYYY-MM-DDTHH:mm` in local time, for a datetime-local input. */
function localInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Local midnight of a date input's day, as RFC 3339. */
const startOfDay = (date: string, plusDays = 0) => {
  const d = new Date(`${date}T00:00`);
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
};

const typeLabel = (t: UsageType) => `${t.name} (${t.unit})`;

interface Filters {
  usage_type_id?: number;
  from?: string;
  to?: string;
}

function UsageForm({
  types,
  editing,
  onDone,
}: {
  types: UsageType[];
  editing: Usage | null;
  onDone: () => void;
}) {
  // One key per usage being added: a double click or a retry sends the same
  // key, so the server records the usage once.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [formId, setFormId] = useState(0);

  const { onSubmit, busy, problem } = useSubmit(async (form) => {
    const amount = Number(form.get('amount'));
    const usage_type_id = Number(form.get('usage_type_id'));
    const at = String(form.get('usage_at'));
    const usage_at = at ? new Date(at).toISOString() : undefined;
    const { error, response } = editing
      ? await carbon.PUT('/usages/{id}', {
          params: { path: { id: editing.id } },
          headers: { 'If-Match': `"${editing.version}"` },
          body: { amount, usage_type_id, ...(usage_at ? { usage_at } : {}) },
        })
      : await carbon.POST('/usages', {
          headers: { 'Idempotency-Key': key },
          body: { amount, usage_type_id, usage_at },
        });
    if (error) {
      const summary = summarize(error, response);
      if (response.status === 412) summary.detail = 'Someone changed this usage meanwhile. Cancel and edit it again to see the latest values.';
      return summary;
    }
    setKey(crypto.randomUUID());
    setFormId((n) => n + 1);
    onDone();
    return null;
  });

  return (
    <form key={`${editing?.id ?? 'new'}-${formId}`} onSubmit={onSubmit} noValidate className="usage-form"
      aria-labelledby="usage-form-title">
      <h2 id="usage-form-title">{editing ? 'Edit usage' : 'Add a usage'}</h2>
      {problem && <Alert>{problem.detail}</Alert>}
      <div className="row">
        <Field label="Amount" name="amount" type="number" step="any" min="0" required
          defaultValue={editing?.amount ?? ''} error={problem?.fields.amount} />
        <SelectField label="Usage type" name="usage_type_id" required defaultValue={editing?.usage_type.id ?? types[0]?.id}
          error={problem?.fields.usage_type_id}>
          {types.map((t) => <option key={t.id} value={t.id}>{typeLabel(t)}</option>)}
        </SelectField>
        <Field label="When" name="usage_at" type="datetime-local"
          defaultValue={editing ? localInput(editing.usage_at) : ''} error={problem?.fields.usage_at}
          hint={editing ? undefined : 'Leave empty for now.'} />
      </div>
      <button type="submit" disabled={busy}>{editing ? 'Save changes' : 'Add usage'}</button>
      {editing && <button type="button" className="secondary" onClick={onDone}>Cancel</button>}
    </form>
  );
}

export function Usages() {
  const { types } = useUsageTypes();
  const [filters, setFilters] = useState<Filters>({});
  // Cursors of the pages before the current one; the current page's cursor last.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<Usage[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [editing, setEditing] = useState<Usage | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);

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
  }, [cursor, filters]);

  useEffect(() => {
    void load();
  }, [load]);

  function applyFilters(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const type = String(form.get('type'));
    const from = String(form.get('from'));
    const to = String(form.get('to'));
    setFilters({
      ...(type ? { usage_type_id: Number(type) } : {}),
      ...(from ? { from: startOfDay(from) } : {}),
      ...(to ? { to: startOfDay(to, 1) } : {}),
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
      <UsageForm types={types} editing={editing} onDone={() => { setEditing(null); void load(); }} />

      <form className="filters" onSubmit={applyFilters} aria-label="Filter usages">
        <SelectField label="Type" name="type" defaultValue="">
          <option value="">All types</option>
          {types.map((t) => <option key={t.id} value={t.id}>{typeLabel(t)}</option>)}
        </SelectField>
        <Field label="From" name="from" type="date" />
        <Field label="To (inclusive)" name="to" type="date" />
        <button type="submit" className="secondary">Apply filters</button>
      </form>

      {error && <Alert>{error}</Alert>}
      {loaded && page.length === 0 ? (
        <p>No usages here yet.</p>
      ) : (
        <table className="usages" data-testid="usages-table">
          <caption>Your usages, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th><th scope="col">Type</th><th scope="col">Amount</th>
              <th scope="col">CO₂e</th><th scope="col">Scope</th><th scope="col"><span className="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {page.map((u) => (
              <tr key={u.id} data-usage-id={u.id}>
                <td>{new Date(u.usage_at).toLocaleString()}</td>
                <td>{u.usage_type.name}</td>
                <td>{u.amount} {u.usage_type.unit}</td>
                <td>{formatCo2e(u.co2e)}</td>
                <td>{u.usage_type.scope}</td>
                <td className="actions">
                  <button type="button" className="secondary" onClick={() => setEditing(u)}
                    aria-label={`Edit ${u.usage_type.name} usage of ${u.amount} ${u.usage_type.unit}`}>Edit</button>
                  {confirming === u.id ? (
                    <button type="button" className="danger" onClick={() => void remove(u)}>Confirm delete</button>
                  ) : (
                    <button type="button" className="secondary" onClick={() => setConfirming(u.id)}
                      aria-label={`Delete ${u.usage_type.name} usage of ${u.amount} ${u.usage_type.unit}`}>Delete</button>
                  )}
                </td>
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
    </section>
  );
}
