import { useEffect, useId, useRef, useState } from 'react';
import { can, carbon, summarize, type UsageType } from '../api/client';
import { regionsOf, scope2TypesFor } from '../api/factors';
import { Alert, Field, SelectField, typeLabel } from '../components/forms';
import { HistoryLink } from '../components/HistoryLink';
import { useFacilities, type Facility } from '../hooks/useFacilities';
import { useSubmit } from '../hooks/useSubmit';
import { useUsageTypes } from '../hooks/useUsageTypes';

/** Records a facility, or replaces one being edited (every field, as the
 * API's PUT does). */
function FacilityForm({ editing, types, onDone }: { editing: Facility | null; types: UsageType[]; onDone: () => void }) {
  const regions = useId();
  const formRef = useRef<HTMLFormElement>(null);
  // Editing starts in the form, which may be a screen below the table.
  useEffect(() => {
    if (editing) formRef.current?.querySelector('input')?.focus();
  }, [editing]);
  const [region, setRegion] = useState(editing?.region ?? '');
  const usual = editing?.default_usage_type_id;
  // Controlled: the types may arrive after the form.
  const [typeId, setTypeId] = useState(usual ? String(usual) : '');
  const electricity = scope2TypesFor(types, region);
  const save = useSubmit(async (form, element) => {
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const type = text('default_usage_type_id');
    const body = {
      name: text('name'),
      country: text('country'),
      region: text('region') || undefined,
      address: text('address') || undefined,
      default_usage_type_id: type ? Number(type) : undefined,
    };
    const { error, response } = editing
      ? await carbon.PUT('/facilities/{id}', { params: { path: { id: editing.id } }, body })
      : await carbon.POST('/facilities', { body });
    if (error) return summarize(error, response);
    element.reset();
    setRegion('');
    setTypeId('');
    onDone();
    return null;
  });
  // A facility's usual type stays listed even if it has been retired since.
  const options = usual && !electricity.some((t) => t.id === usual)
    ? [...types.filter((t) => t.id === usual), ...electricity]
    : electricity;

  return (
    <form ref={formRef} onSubmit={save.onSubmit} noValidate aria-labelledby="facility-form-title" className="card">
      <h2 id="facility-form-title">{editing ? `Edit ${editing.name}` : 'Record a facility'}</h2>
      {save.problem && <Alert>{save.problem.detail}</Alert>}
      <Field label="Name" name="name" required defaultValue={editing?.name} error={save.problem?.fields.name} />
      <Field label="Country (ISO code)" name="country" required defaultValue={editing?.country ?? 'US'} maxLength={2}
        error={save.problem?.fields.country} />
      <Field label="Region" name="region" value={region} onChange={(e) => setRegion(e.target.value)} list={regions}
        error={save.problem?.fields.region} hint="An eGRID subregion such as US-eGRID-CAMX, or a state." />
      <datalist id={regions}>
        {regionsOf(types).map((r) => <option key={r} value={r} />)}
      </datalist>
      <Field label="Address" name="address" defaultValue={editing?.address ?? ''} error={save.problem?.fields.address} />
      <SelectField label="Usual electricity type" name="default_usage_type_id" value={typeId}
        onChange={(e) => setTypeId(e.target.value)}
        error={save.problem?.fields.default_usage_type_id}
        hint="The usage form picks this type for the facility's bills; the region's types come first.">
        <option value="">None: the usage form asks</option>
        {options.map((t) => <option key={t.id} value={t.id}>{typeLabel(t)}</option>)}
      </SelectField>
      <button type="submit" disabled={save.busy}>{editing ? 'Save changes' : 'Record facility'}</button>
      {editing && <button type="button" className="secondary" onClick={onDone}>Cancel</button>}
    </form>
  );
}

/** The organization's sites: what each usage may belong to, and what the
 * dashboard totals. Admins and owners record, edit and delete them. */
export function Facilities() {
  const { facilities, reload } = useFacilities();
  const { types } = useUsageTypes();
  const [editing, setEditing] = useState<Facility | null>(null);
  const [error, setError] = useState<string | null>(null);
  const manages = can('manage_inventory');
  const audits = can('read_audit');

  async function remove(facility: Facility) {
    const { error, response } = await carbon.DELETE('/facilities/{id}', { params: { path: { id: facility.id } } });
    setError(error ? summarize(error, response).detail : null);
    await reload();
  }

  return (
    <section>
      <h1>Facilities</h1>
      <p className="muted">The sites your bills belong to. A usage may name one; the dashboard totals each.</p>
      {error && <Alert>{error}</Alert>}
      {facilities.length === 0 ? (
        <p>No facilities yet{manages ? ': record the first one below.' : '.'}</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Facilities">
          <table className="members wide" data-testid="facilities-table">
            <caption>The facilities, by name</caption>
            <thead>
              <tr>
                <th scope="col">Name</th><th scope="col">Country</th><th scope="col">Region</th><th scope="col">Usages</th>
                {(manages || audits) && <th scope="col" className="actions"><span className="visually-hidden">Actions</span></th>}
              </tr>
            </thead>
            <tbody>
              {facilities.map((f) => (
                <tr key={f.id}>
                  <td>{f.name}</td>
                  <td>{f.country}</td>
                  <td>{f.region ?? ''}</td>
                  <td>{f.usage_count}</td>
                  {(manages || audits) && (
                    <td className="actions">
                      {audits && <HistoryLink entity="facility" id={f.id} label={f.name} />}
                      {manages && <>
                        <button type="button" className="secondary" onClick={() => setEditing(f)}
                          aria-label={`Edit ${f.name}`}>Edit</button>
                        {f.usage_count === 0 ? (
                          <button type="button" className="secondary" onClick={() => void remove(f)}
                            aria-label={`Delete ${f.name}`}>Delete</button>
                        ) : <span className="hint">in use</span>}
                      </>}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {manages ? (
        <FacilityForm key={editing?.id ?? 'new'} editing={editing} types={types}
          onDone={() => {
            setEditing(null);
            void reload();
          }} />
      ) : (
        <p className="hint">Admins and owners record the organization's facilities; your role reads them.</p>
      )}
    </section>
  );
}
