import { useEffect, useId, useState } from 'react';
import { carbon, isSuperuser, summarize, type CarbonSchemas, type UsageType } from '../api/client';
import { categoriesOf, categoryLabel, findTypes } from '../api/factors';
import { Alert, Field, ILLUSTRATIVE, SelectField } from '../components/forms';
import { useSubmit } from '../hooks/useSubmit';
import { useUsageTypes } from '../hooks/useUsageTypes';
import { typeBody, typeForm, type TypeForm } from './types/typeBody';

type Dataset = CarbonSchemas['Dataset'];

/** How many matching types the table shows: the EPA dataset alone has hundreds. */
const SHOWN = 100;

/** Adds a type to the `custom` dataset, or edits one of a writable dataset. */
function TypeEditor({ editing, categories, onDone }: { editing: UsageType | null; categories: string[]; onDone: () => void }) {
  const listId = useId();
  const start = typeForm(editing);
  const { onSubmit, problem, busy } = useSubmit(async (form, element) => {
    const fields = Object.fromEntries(
      (Object.keys(start) as (keyof TypeForm)[]).map((k) => [k, String(form.get(k) ?? '')]),
    ) as unknown as TypeForm;
    const body = typeBody(fields, editing);
    const { error, response } = editing
      ? await carbon.PUT('/types/{id}', { params: { path: { id: editing.id } }, body })
      : await carbon.POST('/types', { body: { id: Number(form.get('id')), ...body } });
    if (error) return summarize(error, response);
    element.reset();
    onDone();
    return null;
  });
  const gasError = problem?.fields.gases;
  // Errors of fields the form carries over without showing them.
  const shown = new Set(['id', ...Object.keys(start)]);
  const unshown = Object.entries(problem?.fields ?? {}).filter(([k]) => !shown.has(k) && !k.startsWith('gases'));
  return (
    <form onSubmit={onSubmit} noValidate aria-labelledby="type-form-title" className="card">
      <h2 id="type-form-title">{editing ? `Edit type ${editing.id}` : 'Add a type'}</h2>
      <p className="hint">
        {editing ? `Dataset ${editing.dataset}. ` : 'New types go to the custom dataset. '}
        Give the kg of each gas per unit when the source does (the CO₂e factor then follows under the dataset's GWP
        set), else the CO₂e factor alone. Usages already recorded keep the factors they were recorded with.
      </p>
      {problem && <Alert>{problem.detail}{unshown.map(([k, m]) => ` ${k}: ${m}.`).join('')}</Alert>}
      <div className="row">
        {!editing && <Field label="Id" name="id" type="number" min="1" required error={problem?.fields.id} />}
        <Field label="Name" name="name" required defaultValue={start.name} error={problem?.fields.name} />
        <Field label="Unit" name="unit" required defaultValue={start.unit} error={problem?.fields.unit} />
        <SelectField label="GHG scope" name="scope" defaultValue={start.scope} error={problem?.fields.scope}>
          <option value="1">1: direct</option>
          <option value="2">2: purchased energy</option>
          <option value="3">3: value chain</option>
        </SelectField>
        <Field label="Category" name="category" defaultValue={start.category} list={listId}
          error={problem?.fields.category} hint="Lower case and underscores; empty: uncategorized." />
        <datalist id={listId}>{categories.map((c) => <option key={c} value={c} />)}</datalist>
      </div>
      <div className="row">
        <Field label="kg CO₂ per unit" name="co2" type="number" step="any" min="0" defaultValue={start.co2}
          error={problem?.fields['gases.co2'] ?? gasError} />
        <Field label="kg CH₄ per unit" name="ch4" type="number" step="any" min="0" defaultValue={start.ch4}
          error={problem?.fields['gases.ch4']} />
        <Field label="kg N₂O per unit" name="n2o" type="number" step="any" min="0" defaultValue={start.n2o}
          error={problem?.fields['gases.n2o']} />
        <Field label="kg CO₂e per unit" name="factor" type="number" step="any" min="0" defaultValue={start.factor}
          error={problem?.fields.factor} hint="Only without gases." />
      </div>
      <div className="row">
        <Field label="Source of the factor" name="source" defaultValue={start.source} error={problem?.fields.source} />
        <Field label="Source year" name="source_year" type="number" defaultValue={start.source_year}
          error={problem?.fields.source_year} />
        <Field label="Region" name="region" defaultValue={start.region} error={problem?.fields.region} />
      </div>
      <button type="submit" disabled={busy}>{editing ? 'Save type' : 'Add type'}</button>
      {editing && <button type="button" className="secondary" onClick={onDone}>Cancel</button>}
    </form>
  );
}

/** Every usage type, searchable; a superuser adds, edits and deletes those
 * of the deployment's own datasets (published ones are read only). */
export default function UsageTypes() {
  const { types, reload } = useUsageTypes();
  const [datasets, setDatasets] = useState<Dataset[]>([]);
  const [category, setCategory] = useState('');
  const [search, setSearch] = useState('');
  const [editing, setEditing] = useState<UsageType | null>(null);
  const [listProblem, setListProblem] = useState<string | null>(null);

  useEffect(() => {
    void carbon.GET('/datasets').then(({ data }) => data && setDatasets(data));
  }, []);

  if (!isSuperuser()) return <Alert>This page is for superusers.</Alert>;

  const own = (t: UsageType) => datasets.find((d) => d.id === t.dataset)?.private === true;
  const found = findTypes(types, category, search);

  async function remove(type: UsageType) {
    const { error, response } = await carbon.DELETE('/types/{id}', { params: { path: { id: type.id } } });
    // 409: usages still reference the type; say so plainly.
    setListProblem(error ? summarize(error, response).detail : null);
    await reload();
  }

  return (
    <section>
      <h1>Usage types</h1>
      <p className="muted">
        The emission factors of every dataset. Published datasets are read only; the types of this deployment's own
        datasets can be edited, and deleted while no usage uses them.
      </p>
      {listProblem && <Alert>{listProblem}</Alert>}
      <div className="card filters">
        <SelectField label="Category" name="category" value={category} onChange={(e) => setCategory(e.target.value)}>
          <option value="">All categories</option>
          {categoriesOf(types).map((c) => <option key={c} value={c}>{categoryLabel(c)}</option>)}
        </SelectField>
        <Field label="Search types" name="search" type="search" value={search} hint="Words of the name, a region or an id."
          onChange={(e) => setSearch(e.target.value)} />
      </div>
      <p role="status" data-testid="types-count">
        {found.length > SHOWN ? `The first ${SHOWN} of ${found.length} matching types` : `${found.length} of ${types.length} types`}
      </p>
      {found.length > 0 && <div className="table-scroll" tabIndex={0} role="region" aria-label="Usage types">
        <table className="wide" data-testid="types-table">
          <caption>Emission factors</caption>
          <thead>
            <tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Unit</th><th scope="col">kg CO₂e per unit</th>
              <th scope="col">Scope</th><th scope="col">Dataset</th><th scope="col">Source</th><th scope="col" className="actions"><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {found.slice(0, SHOWN).map((t) => (
              <tr key={t.id}>
                <td>{t.id}</td><td>{t.name}</td><td>{t.unit}</td><td>{t.factor}</td><td>{t.scope}</td>
                <td>{t.dataset}{t.illustrative && <span className="tag-illustrative"> ({ILLUSTRATIVE})</span>}{t.retired && ' (retired)'}</td>
                <td className="prose">{t.source}{t.source_year ? ` (${t.source_year})` : ''}{t.region ? `, ${t.region}` : ''}</td>
                <td className="actions">
                  {own(t) ? (
                    <>
                      {!t.retired && (
                        <button type="button" className="secondary" onClick={() => setEditing(t)} aria-label={`Edit type ${t.id}`}>Edit</button>
                      )}
                      <button type="button" className="secondary" onClick={() => void remove(t)} aria-label={`Delete type ${t.id}`}>Delete</button>
                    </>
                  ) : <span className="hint">published</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>}
      <TypeEditor key={editing?.id ?? 'new'} editing={editing} categories={categoriesOf(types)}
        onDone={() => {
          setEditing(null);
          void reload();
        }} />
    </section>
  );
}
