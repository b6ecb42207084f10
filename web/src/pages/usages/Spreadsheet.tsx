import { useState, type FormEvent } from 'react';
import { carbon, summarize, type Problem } from '../../api/client';
import { Alert } from '../../components/forms';

/** The columns an import reads: the three it needs, then the optional ones. */
export const IMPORT_TEMPLATE = 'usage_at,usage_type_id,amount,unit,scope3_category,facility_id,data_quality,evidence\r\n';

type RowError = NonNullable<Problem['errors']>[number];

export interface ExportFilters {
  usage_type_id?: number;
  facility_id?: string;
  from?: string;
  to?: string;
}

/** Saves `blob` as a download named `name`. */
function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  // The download has started once the click returns; the URL can go soon after.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Usages to and from a spreadsheet: the export (with the page's filters)
 * for everyone who reads, and an all-or-nothing import for those who
 * write, whose row errors are listed by row and column.
 */
export function Spreadsheet({ filters, writes, onImported }: {
  filters: ExportFilters;
  writes: boolean;
  onImported: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [rowErrors, setRowErrors] = useState<RowError[]>([]);

  const start = () => {
    setBusy(true);
    setDone(null);
    setError(null);
    setRowErrors([]);
  };

  async function exportCsv() {
    start();
    const { data, error, response } = await carbon.GET('/usages/export', {
      params: { query: filters },
      parseAs: 'blob',
    });
    setBusy(false);
    if (error || !data) {
      setError(summarize(error, response).detail);
      return;
    }
    // A byte-order mark makes Excel read the file as UTF-8 (CO₂, “≤”, é);
    // an import takes it off again.
    download(new Blob(['\ufeff', data], { type: 'text/csv' }), `usages-${new Date().toISOString().slice(0, 10)}.csv`);
  }

  async function importCsv(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    // Kept now: React clears `currentTarget` once the handler awaits.
    const form = event.currentTarget;
    const file = new FormData(form).get('file');
    start();
    if (!(file instanceof File) || file.size === 0) {
      setBusy(false);
      setError('Choose a CSV file first.');
      return;
    }
    // The file's own bytes (the service reads UTF-8, with or without a
    // byte-order mark); one key per file chosen makes a retry safe.
    const { data, error, response } = await carbon.POST('/usages/import', {
      body: file as unknown as string,
      bodySerializer: (body) => body,
      headers: { 'Content-Type': 'text/csv', 'Idempotency-Key': crypto.randomUUID() },
    });
    setBusy(false);
    if (error || !data) {
      setError(summarize(error, response).detail);
      setRowErrors((error as Problem | undefined)?.errors ?? []);
      return;
    }
    setDone(`Imported ${data.imported} ${data.imported === 1 ? 'usage' : 'usages'} from ${file.name}.`);
    form.reset();
    onImported();
  }

  return (
    <section className="spreadsheet" aria-labelledby="spreadsheet-heading">
      <h2 id="spreadsheet-heading">Spreadsheet</h2>
      <div className="spreadsheet-actions">
        <button type="button" className="secondary" disabled={busy} onClick={() => void exportCsv()}>
          Export CSV
        </button>
        {writes && (
          <button type="button" className="secondary"
            onClick={() => download(new Blob([IMPORT_TEMPLATE], { type: 'text/csv' }), 'usages-template.csv')}>
            Download a template
          </button>
        )}
      </div>
      {writes && (
        <form className="import" onSubmit={(e) => void importCsv(e)} aria-label="Import usages">
          <div className="field">
            <label htmlFor="import-file">CSV file</label>
            <input id="import-file" name="file" type="file" accept=".csv,text/csv" aria-describedby="import-hint" />
            <p id="import-hint" className="hint">
              Columns <code>usage_at</code> (a date, 2026-11-01, or a date and time with its offset),{' '}
              <code>usage_type_id</code> (the type id shown under the form's usage type) and{' '}
              <code>amount</code>; optionally <code>unit</code>,{' '}
              <code>scope3_category</code>, <code>facility_id</code>, <code>data_quality</code> and{' '}
              <code>evidence</code>, separated by <code>,</code> or <code>;</code>. An export imports back. All rows or none are stored.
            </p>
          </div>
          <button type="submit" disabled={busy}>Import</button>
        </form>
      )}
      {done && <Alert kind="info">{done}</Alert>}
      {error && <Alert>{error}</Alert>}
      {rowErrors.length > 0 && (
        <table className="row-errors" data-testid="import-errors">
          <caption>What to fix in the file (nothing was stored; line 1 is the header)</caption>
          <thead>
            <tr><th scope="col">Line</th><th scope="col">Column</th><th scope="col">Problem</th></tr>
          </thead>
          <tbody>
            {rowErrors.map((e, i) => (
              // The API counts data rows from 1; a spreadsheet shows the header as line 1.
              <tr key={i}><td>{e.row ? e.row + 1 : '—'}</td><td>{e.field}</td><td>{e.message}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
