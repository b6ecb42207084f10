import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { can, carbon, summarize, type CarbonSchemas } from '../api/client';
import { regionsOf } from '../api/factors';
import { Alert, Field, formatAmount, SelectField } from '../components/forms';
import { HistoryLink } from '../components/HistoryLink';
import { useUsageTypes } from '../hooks/useUsageTypes';

type Instrument = CarbonSchemas['Instrument'];
type Body = CarbonSchemas['InstrumentRequest'];

const KINDS: [Body['kind'], string][] = [
  ['certificate', 'Certificate (REC, GO, I-REC)'],
  ['ppa', 'Power purchase agreement'],
  ['supplier_factor', 'Supplier emission factor'],
];
const ENERGY_UNITS = ['kWh', 'MWh', 'GJ', 'mmBtu', 'therm'];

/** `2026-03` (a month input) as the first day of that month, 00:00 UTC. */
const monthStart = (month: string, plusMonths = 0) => {
  const [y = NaN, m = NaN] = month.split('-').map(Number);
  const start = new Date(Date.UTC(y, m - 1 + plusMonths, 1));
  return Number.isNaN(start.getTime()) ? month : start.toISOString().replace('.000Z', 'Z');
};

/** The month before an exclusive end instant: `2027-01-01T00:00:00Z` → `2026-12`. */
const lastMonth = (to: string) => new Date(Date.parse(to) - 1).toISOString().slice(0, 7);

/** The organization's contractual instruments: what the market-based scope 2
 * figure counts instead of the grid average. */
export default function Instruments() {
  const year = new Date().getFullYear();
  const [all, setAll] = useState<Instrument[] | null>(null);
  const [editing, setEditing] = useState<Instrument | null>(null);
  const [kind, setKind] = useState<Body['kind']>('certificate');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const manages = can('manage_inventory');
  const audits = can('read_audit');
  const { types } = useUsageTypes();
  const regions = useId();

  const load = useCallback(async () => {
    const { data, error, response } = await carbon.GET('/instruments');
    if (error || !data) setError(summarize(error, response).detail);
    else setAll(data);
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    // React clears currentTarget once the handler awaits.
    const element = event.currentTarget;
    const form = new FormData(element);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const body: Body = {
      kind,
      scheme: text('scheme'),
      region: text('region'),
      from: monthStart(text('from')),
      to: monthStart(text('to'), 1),
      amount: Number(text('amount')),
      unit: text('unit'),
      reference: text('reference') || undefined,
      ...(kind === 'supplier_factor' ? { gases: { co2: Number(text('co2')) } } : {}),
    };
    const { error, response } = editing
      ? await carbon.PUT('/instruments/{id}', { params: { path: { id: editing.id } }, body })
      : await carbon.POST('/instruments', { body });
    if (error) {
      const problem = summarize(error, response);
      setErrors(problem.fields);
      setError(problem.detail);
      return;
    }
    setErrors({});
    setError(null);
    element.reset();
    setEditing(null);
    await load();
  }

  /** Starts editing `instrument` in the form, which sits above the list. */
  function edit(instrument: Instrument) {
    setEditing(instrument);
    setKind(instrument.kind);
    setErrors({});
    setError(null);
    window.scrollTo({ top: 0 });
  }

  async function remove(id: string) {
    const { error, response } = await carbon.DELETE('/instruments/{id}', { params: { path: { id } } });
    if (error) setError(summarize(error, response).detail);
    await load();
  }

  return (
    <section>
      <h1>Instruments</h1>
      <p className="muted">
        Certificates, power purchase agreements and supplier factors make your market-based scope 2 figure
        (GHG Protocol Scope 2 Guidance). Each covers whole months of one year, once.
      </p>
      {!manages && <p className="hint">Admins and owners record the organization's instruments; your role reads them.</p>}
      {manages && <form key={editing?.id ?? 'new'} onSubmit={(e) => void create(e)}
        aria-label={editing ? `Edit the ${editing.scheme} instrument` : 'Record an instrument'} className="instrument-form">
        <SelectField label="Kind" name="kind" value={kind} onChange={(e) => setKind(e.target.value as Body['kind'])}>
          {KINDS.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
        </SelectField>
        <Field label="Scheme or contract" name="scheme" required defaultValue={editing?.scheme ?? 'REC'} error={errors.scheme} />
        <Field label="Market boundary (region)" name="region" required defaultValue={editing?.region ?? 'US'} error={errors.region} list={regions}
          hint="US covers the US average and every eGRID subregion; US-eGRID-CAMX only itself." />
        <datalist id={regions}>{regionsOf(types).map((r) => <option key={r} value={r} />)}</datalist>
        <Field label="First month" name="from" type="month" required defaultValue={editing ? editing.from.slice(0, 7) : `${year}-01`}
          error={errors.from} />
        <Field label="Last month" name="to" type="month" required defaultValue={editing ? lastMonth(editing.to) : `${year}-12`}
          error={errors.to} />
        <Field label="Energy covered" name="amount" type="number" min="0" step="any" required defaultValue={editing?.amount}
          error={errors.amount} />
        <SelectField label="Unit" name="unit" defaultValue={editing?.unit ?? 'kWh'} error={errors.unit}>
          {ENERGY_UNITS.map((u) => <option key={u} value={u}>{u}</option>)}
        </SelectField>
        {kind === 'supplier_factor' && (
          <Field label="kg CO₂ per unit" name="co2" type="number" min="0" step="any" required defaultValue={editing?.gases.co2}
            error={errors['gases.co2'] ?? errors.gases} />
        )}
        <Field label="Registry reference" name="reference" defaultValue={editing?.reference ?? ''} error={errors.reference} />
        <button type="submit">{editing ? 'Save changes' : 'Record instrument'}</button>
        {editing && <button type="button" className="secondary" onClick={() => { setEditing(null); setKind('certificate'); }}>Cancel</button>}
      </form>}
      {error && <Alert>{error}</Alert>}
      {all && all.length === 0 && <p>No instruments yet: your market-based scope 2 figure uses grid averages.</p>}
      {all && all.length > 0 && (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Instruments">
          <table data-testid="instruments-table">
            <caption>The instruments</caption>
            <thead>
              <tr>
                <th scope="col">Kind</th><th scope="col">Region</th><th scope="col">Months</th>
                <th scope="col">Energy</th><th scope="col">Reference</th>
                {(manages || audits) && <th scope="col" className="actions"><span className="visually-hidden">Actions</span></th>}
              </tr>
            </thead>
            <tbody>
              {all.map((i) => (
                <tr key={i.id}>
                  <td>{i.scheme} ({i.kind.replace('_', ' ')})</td>
                  <td>{i.region}</td>
                  <td>{i.from.slice(0, 7)} to {lastMonth(i.to)}</td>
                  <td>{formatAmount(i.amount)} {i.unit}</td>
                  <td>{i.reference ?? ''}</td>
                  {(manages || audits) && <td className="actions">
                    {audits && <HistoryLink entity="instrument" id={i.id} label={`the ${i.scheme} instrument ${i.reference ?? ''}`} />}
                    {manages && <>
                      <button type="button" className="secondary" onClick={() => edit(i)}
                        aria-label={`Edit ${i.scheme} instrument ${i.reference ?? ''}`}>Edit</button>
                      <button type="button" className="secondary" onClick={() => void remove(i.id)}
                        aria-label={`Delete ${i.scheme} instrument ${i.reference ?? ''}`}>Delete</button>
                    </>}
                  </td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
