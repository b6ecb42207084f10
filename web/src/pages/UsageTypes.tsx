import { useState } from 'react';
import { carbon, isSuperuser, summarize, type UsageType } from '../api/client';
import { Alert, Field, ILLUSTRATIVE, SelectField } from '../components/forms';
import { useSubmit } from '../hooks/useSubmit';
import { useUsageTypes } from '../hooks/useUsageTypes';

function fieldsOf(form: FormData) {
  const text = (name: string) => String(form.get(name) ?? '').trim();
  const year = text('source_year');
  return {
    name: text('name'),
    unit: text('unit'),
    factor: Number(text('factor')),
    scope: Number(text('scope')),
    ...(text('source') ? { source: text('source') } : {}),
    ...(year ? { source_year: Number(year) } : {}),
    ...(text('region') ? { region: text('region') } : {}),
  };
}

export function UsageTypes() {
  const { types, reload: load } = useUsageTypes();
  const [editing, setEditing] = useState<UsageType | null>(null);
  const [listProblem, setListProblem] = useState<string | null>(null);

  const { onSubmit: save, problem } = useSubmit(async (form, element) => {
    const fields = fieldsOf(form);
    const { error, response } = editing
      ? await carbon.PUT('/types/{id}', { params: { path: { id: editing.id } }, body: fields })
      : await carbon.POST('/types', { body: { id: Number(form.get('id')), ...fields } });
    if (error) return summarize(error, response);
    setEditing(null);
    element.reset();
    await load();
    return null;
  });

  if (!isSuperuser()) return <Alert>This page is for superusers.</Alert>;

  async function remove(type: UsageType) {
    const { error, response } = await carbon.DELETE('/types/{id}', { params: { path: { id: type.id } } });
    // 409: usages still reference the type; say so plainly.
    setListProblem(error ? summarize(error, response).detail : null);
    await load();
  }

  return (
    <section>
      <h1>Usage types</h1>
      {listProblem && <Alert>{listProblem}</Alert>}
      <table>
        <caption>Emission factors</caption>
        <thead>
          <tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Unit</th><th scope="col">kg CO₂e per unit</th>
            <th scope="col">Scope</th><th scope="col">Dataset</th><th scope="col">Source</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
        </thead>
        <tbody>
          {types.map((t) => (
            <tr key={t.id}>
              <td>{t.id}</td><td>{t.name}</td><td>{t.unit}</td><td>{t.factor}</td><td>{t.scope}</td>
              <td>{t.dataset}{t.illustrative && <span className="tag-illustrative"> ({ILLUSTRATIVE})</span>}</td>
              <td>{t.source}{t.source_year ? ` (${t.source_year})` : ''}{t.region ? `, ${t.region}` : ''}</td>
              <td className="actions">
                <button type="button" className="secondary" onClick={() => setEditing(t)} aria-label={`Edit type ${t.id}`}>Edit</button>
                <button type="button" className="secondary" onClick={() => void remove(t)} aria-label={`Delete type ${t.id}`}>Delete</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <form key={editing?.id ?? 'new'} onSubmit={save} noValidate aria-labelledby="type-form-title">
        <h2 id="type-form-title">{editing ? `Edit type ${editing.id}` : 'Add a type'}</h2>
        {problem && <Alert>{problem.detail}</Alert>}
        <div className="row">
          {!editing && <Field label="Id" name="id" type="number" min="1" required error={problem?.fields.id} />}
          <Field label="Name" name="name" required defaultValue={editing?.name} error={problem?.fields.name} />
          <Field label="Unit" name="unit" required defaultValue={editing?.unit} error={problem?.fields.unit} />
          <Field label="kg CO₂e per unit" name="factor" type="number" step="any" min="0" required
            defaultValue={editing?.factor} error={problem?.fields.factor} />
          <SelectField label="GHG scope" name="scope" defaultValue={editing?.scope ?? 2} error={problem?.fields.scope}>
            <option value="1">1: direct</option>
            <option value="2">2: purchased energy</option>
            <option value="3">3: value chain</option>
          </SelectField>
        </div>
        <div className="row">
          <Field label="Source of the factor" name="source" defaultValue={editing?.source ?? ''} error={problem?.fields.source} />
          <Field label="Source year" name="source_year" type="number" defaultValue={editing?.source_year ?? ''}
            error={problem?.fields.source_year} />
          <Field label="Region" name="region" defaultValue={editing?.region ?? ''} error={problem?.fields.region} />
        </div>
        <button type="submit">{editing ? 'Save type' : 'Add type'}</button>
        {editing && <button type="button" className="secondary" onClick={() => setEditing(null)}>Cancel</button>}
      </form>
    </section>
  );
}
