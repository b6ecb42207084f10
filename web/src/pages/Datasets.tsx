import { useCallback, useEffect, useState, type FormEvent } from 'react';
import {
  can, carbon, confirmPassword, currentOrg, isSuperuser, summarize, type CarbonSchemas,
} from '../api/client';
import { Alert, Field, ILLUSTRATIVE, SelectField } from '../components/forms';
import { RowErrors } from '../components/RowErrors';
import { saveCsv } from '../files';
import { useCsvUpload } from '../hooks/useCsvUpload';
import { useGwpSets } from '../hooks/useGwpSets';
import { uploadQuery, uploadTemplate, type UploadQuery } from './datasets/upload';

type Dataset = CarbonSchemas['Dataset'];

/** Whose a dataset is, as the reader sees it. */
function whose(d: Dataset, org: string | null): string {
  if (!d.private) return 'published';
  if (d.org_id) return d.org_id === org ? 'this organization\'s' : 'another organization\'s';
  return 'this deployment\'s';
}

/** The order a reader looks for a dataset in: the organization's own, the
 * published ones, the deployment's, the placeholders; retired ones last. */
function rank(d: Dataset, org: string | null): number {
  const kind = d.org_id === org && d.private ? 0 : !d.private && !d.illustrative ? 1 : d.private ? 2 : 3;
  return (d.retired ? 4 : 0) + kind;
}

/** Uploads a dataset from a CSV, all or nothing, its problems listed by line. */
function Upload({ superuser, onDone }: { superuser: boolean; onDone: (message: string) => Promise<void> }) {
  const { busy, error, rowErrors, fieldErrors, upload } = useCsvUpload();
  const gwpSets = useGwpSets();

  async function send(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const stored = await upload(event.currentTarget, (csv, fields) => carbon.POST('/datasets', {
      ...csv,
      params: { query: uploadQuery((name: keyof UploadQuery) => String(fields.get(name) ?? '')) },
    }));
    if (!stored) return;
    const { dataset, types } = stored.data;
    await onDone(`Stored ${types} ${types === 1 ? 'type' : 'types'} in ${dataset.name} (${dataset.id}). The usage form finds them by name.`);
  }

  return (
    <form onSubmit={(e) => void send(e)} noValidate aria-labelledby="upload-title" className="card">
      <h2 id="upload-title">Upload a dataset</h2>
      <p className="hint">
        {superuser
          ? 'A superuser\'s dataset is the deployment\'s: every signed-in user sees it and its types.'
          : 'Your organization\'s own factors (a supplier\'s declaration, a utility\'s): only its members see them. The id gets your organization\'s mark appended, and the types get their ids from the service.'}{' '}
        One usage type per row: kg of each gas per unit, at least one of <code>co2</code>, <code>ch4</code> and{' '}
        <code>n2o</code>. All rows or none are stored.
      </p>
      {error && <Alert>{error}</Alert>}
      <div className="row">
        <Field label="Dataset id" name="id" required error={fieldErrors.id} hint="Lower-case letters, digits and dashes: acme-2026." />
        <Field label="Name" name="name" required error={fieldErrors.name} />
        <Field label="Publisher" name="publisher" required error={fieldErrors.publisher} />
        <Field label="Edition" name="edition" required error={fieldErrors.edition} hint="The year or version." />
      </div>
      <div className="row">
        <Field label="Licence" name="licence" required error={fieldErrors.licence} hint="Under what terms you use it." />
        <SelectField label="GWP set of the CO₂e factors" name="gwp_basis" defaultValue={gwpSets[0].id} error={fieldErrors.gwp_basis}
          hint="AR5, as the bundled EPA Hub 2025. It fills each type's CO₂e factor; summaries weigh the gases by the set asked for.">
          {gwpSets.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
        </SelectField>
        <Field label="Published" name="published" error={fieldErrors.published} hint="YYYY-MM or a date; optional." />
        <Field label="Where it is described (URL)" name="url" type="url" error={fieldErrors.url} />
      </div>
      <Field label="Note" name="notes" error={fieldErrors.notes} hint="Where the factors come from and what they cover." />
      <div className="field">
        <label htmlFor="dataset-file">CSV file</label>
        <input id="dataset-file" name="file" type="file" accept=".csv,text/csv" aria-describedby="dataset-file-hint" />
        <p id="dataset-file-hint" className="hint">
          Columns {superuser && <><code>id</code>, </>}<code>name</code>, <code>unit</code>, <code>scope</code> and the gases;
          optionally <code>category</code>, <code>scope3_category</code>, <code>region</code>, <code>source</code>,{' '}
          <code>source_year</code>, separated by <code>,</code> or <code>;</code>.
        </p>
      </div>
      <button type="submit" disabled={busy}>Upload</button>
      <button type="button" className="secondary"
        onClick={() => saveCsv(uploadTemplate(superuser), 'dataset-template.csv')}>
        Download a template
      </button>
      {/* Row problems go to the table; the metadata's beside its fields. */}
      <RowErrors errors={rowErrors.filter((e) => e.row)} testId="dataset-errors" />
    </form>
  );
}

/** The emission factor datasets every figure cites: who published each,
 * which edition, under what licence. A superuser uploads and retires the
 * deployment's own; an organization's admins and owners their own. */
export default function Datasets() {
  const org = currentOrg().id;
  const superuser = isSuperuser();
  const publishes = superuser || can('manage_inventory');
  const [datasets, setDatasets] = useState<Dataset[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [retiring, setRetiring] = useState<Dataset | null>(null);

  const load = useCallback(async () => {
    const { data, error, response } = await carbon.GET('/datasets');
    if (error || !data) setError(summarize(error, response).detail);
    else setDatasets([...data].sort((a, b) => rank(a, org) - rank(b, org)));
  }, [org]);
  useEffect(() => {
    void load();
  }, [load]);

  // What this caller may retire: a superuser the deployment's, an admin the organization's.
  const mayRetire = (d: Dataset) => !d.retired && (superuser ? !d.org_id : publishes && d.org_id === org);

  async function retire(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const dataset = retiring;
    if (!dataset) return;
    // Retiring needs a login within five minutes: the password gives one.
    const wrong = await confirmPassword(String(new FormData(event.currentTarget).get('password') ?? ''));
    if (wrong) {
      setError(wrong);
      return;
    }
    const { error, response } = await carbon.POST('/datasets/{id}/retire', { params: { path: { id: dataset.id } } });
    if (error) {
      setError(summarize(error, response).detail);
      return;
    }
    setError(null);
    setRetiring(null);
    // The notice once the table shows it retired, not before.
    await load();
    setNotice(`${dataset.name} is retired: its types take no new usages; recorded usages keep their factors.`);
  }

  return (
    <section>
      <h1>Emission factor datasets</h1>
      <p className="muted">
        Every figure is a usage's amount times a factor of one of these datasets, kept with the usage when it is
        recorded. Each names its publisher, edition and licence, and notes how it was transcribed.
      </p>
      {notice && <Alert kind="info">{notice}</Alert>}
      {error && <Alert>{error}</Alert>}
      {retiring && (
        <form onSubmit={(e) => void retire(e)} aria-labelledby="retire-title" className="card">
          <h2 id="retire-title">Retire {retiring.name}</h2>
          <p>Its types take no new usages and leave the usage form; usages recorded with them keep their factors.</p>
          <Field label="Your password" name="password" type="password" autoComplete="current-password" required
            hint="Retiring needs a recent login." />
          <button type="submit" className="danger">Retire</button>
          <button type="button" className="secondary" onClick={() => setRetiring(null)}>Cancel</button>
        </form>
      )}
      {datasets === null ? (
        <p role="status">Loading…</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Datasets">
          <table className="wide" data-testid="datasets-table">
            <caption>The datasets you can use</caption>
            <thead>
              <tr>
                <th scope="col">Dataset</th><th scope="col">Publisher and edition</th><th scope="col">GWP set</th>
                <th scope="col">Licence</th><th scope="col">Whose</th>
                <th scope="col" className="actions"><span className="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {datasets.map((d) => (
                <tr key={d.id}>
                  <td>
                    {d.url ? <a href={d.url} rel="noreferrer" target="_blank">{d.name}</a> : d.name} <code>{d.id}</code>
                    {d.illustrative && <span className="tag-illustrative"> {ILLUSTRATIVE}</span>}
                    {d.retired && <span className="hint"> (retired)</span>}
                    {d.notes.length > 0 && (
                      <details>
                        <summary>Notes</summary>
                        <ul>{d.notes.map((n, i) => <li key={i}>{n}</li>)}</ul>
                      </details>
                    )}
                  </td>
                  <td>{d.publisher}, {d.edition}{d.published ? ` (${d.published})` : ''}</td>
                  <td>{d.gwp_basis}</td>
                  <td>{d.licence}</td>
                  <td>{whose(d, org)}</td>
                  <td className="actions">
                    {mayRetire(d) && (
                      <button type="button" className="secondary" onClick={() => setRetiring(d)}
                        aria-label={`Retire ${d.name}`}>Retire</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {publishes && <Upload superuser={superuser} onDone={async (message) => { await load(); setNotice(message); }} />}
    </section>
  );
}
