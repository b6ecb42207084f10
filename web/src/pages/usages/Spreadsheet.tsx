import { useState, type FormEvent } from 'react';
import { carbon, summarize } from '../../api/client';
import { Alert } from '../../components/forms';
import { RowErrors } from '../../components/RowErrors';
import { saveCsv } from '../../files';
import { useCsvUpload } from '../../hooks/useCsvUpload';

/** The columns an import reads: the three it needs, then the optional ones. */
export const IMPORT_TEMPLATE = 'usage_at,usage_type_id,amount,unit,scope3_category,facility_id,data_quality,evidence\r\n';

export interface ExportFilters {
  usage_type_id?: number;
  facility_id?: string;
  from?: string;
  to?: string;
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
  const [done, setDone] = useState<string | null>(null);
  const { busy, setBusy, error, setError, rowErrors, clear, upload } = useCsvUpload();

  async function exportCsv() {
    clear();
    setDone(null);
    setBusy(true);
    const { data, error, response } = await carbon.GET('/usages/export', {
      params: { query: filters },
      parseAs: 'blob',
    });
    setBusy(false);
    if (error || !data) {
      setError(summarize(error, response).detail);
      return;
    }
    saveCsv(data, `usages-${new Date().toISOString().slice(0, 10)}.csv`);
  }

  async function importCsv(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setDone(null);
    // One key per file chosen makes a retry safe.
    const stored = await upload(event.currentTarget, (csv) => carbon.POST('/usages/import', {
      ...csv,
      headers: { ...csv.headers, 'Idempotency-Key': crypto.randomUUID() },
    }));
    if (!stored) return;
    const { imported } = stored.data;
    setDone(`Imported ${imported} ${imported === 1 ? 'usage' : 'usages'} from ${stored.file.name}.`);
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
            onClick={() => saveCsv(IMPORT_TEMPLATE, 'usages-template.csv')}>
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
      <RowErrors errors={rowErrors} testId="import-errors" />
    </section>
  );
}
