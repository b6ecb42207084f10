import { useCallback, useEffect, useState } from 'react';
import { carbon, session, summarize, type CarbonSchemas } from '../api/client';
import { config } from '../config';
import { Alert, Field, SelectField } from '../components/forms';

type Entry = CarbonSchemas['EntryView'];
type Verification = CarbonSchemas['Verification'];
type Filter = { entity: string; action: string; actor: string; from: string; to: string };

const NO_FILTER: Filter = { entity: '', action: '', actor: '', from: '', to: '' };
const ENTITIES = ['usage', 'usage_import', 'usages', 'facility', 'instrument', 'dataset', 'period', 'settings'];
const ACTIONS = ['create', 'update', 'delete', 'import', 'erase', 'retire', 'lock', 'unlock'];

/** A date input's day as an RFC 3339 instant (UTC midnight). */
function instant(day: string): string | undefined {
  return day ? `${day}T00:00:00Z` : undefined;
}

/** What an entry changed, in a line: the fields whose values differ. */
function changed(entry: Entry): string {
  const payload = (entry.payload ?? {}) as Record<string, unknown>;
  const before = (payload.before ?? {}) as Record<string, unknown>;
  const after = (payload.after ?? {}) as Record<string, unknown>;
  if (payload.before && payload.after) {
    const fields = Object.keys(after).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]) && k !== 'version');
    return fields.map((k) => `${k}: ${String(before[k] ?? '—')} → ${String(after[k] ?? '—')}`).join('; ');
  }
  if (payload.reason) return `reason: ${String(payload.reason)}`;
  if (payload.head) {
    const head = payload.head as { seq: string; hash: string };
    return `trail head #${head.seq} ${head.hash.slice(0, 12)}…`;
  }
  if (payload.rows) return `${String(payload.rows)} rows`;
  if (payload.usages) return `${String(payload.usages)} usages`;
  if (payload.after) return Object.entries(after).filter(([k]) => k !== 'id').slice(0, 4).map(([k, v]) => `${k}: ${String(v)}`).join('; ');
  if (payload.before) return 'deleted';
  return '';
}

/** The organization's audit trail, for owners, admins and auditors: who
 * changed what and when, filterable, with the chain's verification. */
export function Audit() {
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [verified, setVerified] = useState<Verification | null>(null);

  const load = useCallback(async (applied: Filter, before?: number) => {
    const { data, error, response } = await carbon.GET('/audit', {
      params: {
        query: {
          entity: applied.entity || undefined,
          action: applied.action || undefined,
          actor: applied.actor || undefined,
          from: instant(applied.from),
          to: instant(applied.to),
          before,
          limit: 50,
        },
      },
    });
    if (error) {
      setError(summarize(error, response).detail);
      return;
    }
    setError(null);
    setEntries((shown) => (before === undefined ? data.entries : [...(shown ?? []), ...data.entries]));
    setNext(data.next ?? null);
  }, []);
  useEffect(() => {
    void load(NO_FILTER);
  }, [load]);

  async function verify() {
    const { data, error, response } = await carbon.GET('/audit/verify');
    if (error) setError(summarize(error, response).detail);
    else setVerified(data);
  }

  async function download() {
    // The export needs the bearer token: fetched, then saved as a file.
    const response = await fetch(`${config.carbonApi}/audit/export`, {
      headers: { Authorization: `Bearer ${session.accessToken ?? ''}` },
    });
    if (!response.ok) {
      setError(`The export failed (${response.status}).`);
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = 'audit.jsonl';
    link.click();
    URL.revokeObjectURL(url);
  }

  function apply(form: FormData) {
    const applied = {
      entity: String(form.get('entity') ?? ''),
      action: String(form.get('action') ?? ''),
      actor: String(form.get('actor') ?? '').trim(),
      from: String(form.get('from') ?? ''),
      to: String(form.get('to') ?? ''),
    };
    setFilter(applied);
    void load(applied);
  }

  return (
    <section>
      <h1>Audit trail</h1>
      <p className="muted">
        Every change to the organization's data, who made it and what it was before, newest first. The entries form a
        hash chain: verify it here, or download it and verify it offline (see the README's Assurance).
      </p>
      {error && <Alert>{error}</Alert>}
      <div className="card">
        <button type="button" onClick={() => void verify()}>Verify the chain</button>{' '}
        <button type="button" className="secondary" onClick={() => void download()}>Download (JSON Lines)</button>
        {verified && (
          <p data-testid="audit-verification" role="status">
            {verified.valid
              ? `All ${verified.entries} entries verify. Head: #${verified.head?.seq ?? 0} ${verified.head?.hash ?? ''}`
              : `Entry ${verified.first_bad?.seq ?? '?'} does not verify: ${verified.first_bad?.problem ?? ''}`}
          </p>
        )}
      </div>
      <form
        className="card filters"
        aria-label="Filter the trail"
        onSubmit={(e) => {
          e.preventDefault();
          apply(new FormData(e.currentTarget));
        }}
      >
        <SelectField label="Entity" name="entity" defaultValue={filter.entity}>
          <option value="">Any</option>
          {ENTITIES.map((e) => <option key={e} value={e}>{e.replace('_', ' ')}</option>)}
        </SelectField>
        <SelectField label="Action" name="action" defaultValue={filter.action}>
          <option value="">Any</option>
          {ACTIONS.map((a) => <option key={a} value={a}>{a}</option>)}
        </SelectField>
        <Field label="Actor (user id)" name="actor" defaultValue={filter.actor} />
        <Field label="From" name="from" type="date" defaultValue={filter.from} />
        <Field label="To" name="to" type="date" defaultValue={filter.to} />
        <button type="submit">Filter</button>
      </form>
      {entries === null ? (
        <p role="status">Loading…</p>
      ) : entries.length === 0 ? (
        <p>No entries{filter === NO_FILTER ? ' yet: the trail begins with the first change.' : ' match these filters.'}</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Audit entries">
          <table className="members wide" data-testid="audit-table">
            <caption>Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">#</th><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">What</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => {
                const h = e.header as Record<string, unknown>;
                const actor = h.actor as { user_id: string; role: string; superuser: boolean } | null;
                return (
                  <tr key={e.seq}>
                    <td>{e.seq}</td>
                    <td className="nowrap">{String(h.at).replace('T', ' ').slice(0, 19)}</td>
                    <td>{actor ? <span title={actor.user_id}>{actor.user_id.slice(0, 8)} ({actor.role}{actor.superuser ? ', superuser' : ''})</span> : 'system'}</td>
                    <td>{String(h.action)} {String(h.entity).replace('_', ' ')}</td>
                    <td>{changed(e)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {next !== null && (
        <button type="button" className="secondary" onClick={() => void load(filter, next)}>Older entries</button>
      )}
    </section>
  );
}
