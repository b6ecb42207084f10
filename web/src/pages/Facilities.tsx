import { useState } from 'react';
import { can, carbon, summarize } from '../api/client';
import { Alert, Field } from '../components/forms';
import { useFacilities, type Facility } from '../hooks/useFacilities';
import { useSubmit } from '../hooks/useSubmit';

/** The organization's sites: what each usage may belong to, and what the
 * dashboard totals. Admins and owners record them. */
export function Facilities() {
  const { facilities, reload } = useFacilities();
  const [error, setError] = useState<string | null>(null);
  const manages = can('manage_inventory');

  const create = useSubmit(async (form, element) => {
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const type = text('default_usage_type_id');
    const { error, response } = await carbon.POST('/facilities', {
      body: {
        name: text('name'),
        country: text('country'),
        region: text('region') || undefined,
        address: text('address') || undefined,
        default_usage_type_id: type ? Number(type) : undefined,
      },
    });
    if (error) return summarize(error, response);
    element.reset();
    await reload();
    return null;
  });

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
        <div className="table-scroll">
          <table className="members" data-testid="facilities-table">
            <caption>The facilities, by name</caption>
            <thead>
              <tr>
                <th scope="col">Name</th><th scope="col">Country</th><th scope="col">Region</th><th scope="col">Usages</th>
                {manages && <th scope="col"><span className="visually-hidden">Actions</span></th>}
              </tr>
            </thead>
            <tbody>
              {facilities.map((f) => (
                <tr key={f.id}>
                  <td>{f.name}</td>
                  <td>{f.country}</td>
                  <td>{f.region ?? ''}</td>
                  <td>{f.usage_count}</td>
                  {manages && (
                    <td className="actions">
                      {f.usage_count === 0 ? (
                        <button type="button" className="secondary" onClick={() => void remove(f)}
                          aria-label={`Delete ${f.name}`}>Delete</button>
                      ) : <span className="hint">in use</span>}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {manages ? (
        <form onSubmit={create.onSubmit} noValidate aria-labelledby="facility-form-title" className="card">
          <h2 id="facility-form-title">Record a facility</h2>
          {create.problem && <Alert>{create.problem.detail}</Alert>}
          <Field label="Name" name="name" required error={create.problem?.fields.name} />
          <Field label="Country (ISO code)" name="country" required defaultValue="US" maxLength={2}
            error={create.problem?.fields.country} />
          <Field label="Region" name="region" error={create.problem?.fields.region}
            hint="An eGRID subregion such as US-eGRID-CAMX, or a state." />
          <Field label="Address" name="address" error={create.problem?.fields.address} />
          <Field label="Default electricity type id" name="default_usage_type_id" type="number" min="1"
            error={create.problem?.fields.default_usage_type_id}
            hint="Optional: the usage form picks this type for the facility." />
          <button type="submit" disabled={create.busy}>Record facility</button>
        </form>
      ) : (
        <p className="hint">Admins and owners record the organization's facilities; your role reads them.</p>
      )}
    </section>
  );
}
