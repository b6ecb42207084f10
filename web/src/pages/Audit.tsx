import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { carbon, claimsOf, currentOrg, session, summarize, users, type CarbonSchemas } from '../api/client';
import { config } from '../config';
import { Alert, Field, SelectField } from '../components/forms';
import { saveFile } from '../files';
import { utcDayStart } from '../utc';
import { changed, headerOf, otherActors, what, who, type Entry, type Names } from './audit/describe';

type Verification = CarbonSchemas['Verification'];
type Filter = { entity: string; entity_id: string; action: string; actor: string; from: string; to: string };
type Page = { entries: Entry[]; next?: number | null };
/** The data's trail (carbon-service) or the membership's (user-service). */
type TrailName = 'data' | 'members';

const NO_FILTER: Filter = { entity: '', entity_id: '', action: '', actor: '', from: '', to: '' };
const ENTITIES: Record<TrailName, string[]> = {
  data: ['usage', 'usage_import', 'usages', 'facility', 'instrument', 'dataset', 'period', 'settings'],
  members: ['organization', 'invitation', 'membership'],
};
const ACTIONS: Record<TrailName, string[]> = {
  data: ['create', 'update', 'delete', 'import', 'erase', 'retire', 'lock', 'unlock'],
  members: ['create', 'update', 'delete'],
};

/** What each trail's three calls answer, as the page uses them. */
type Answer<T> = Promise<{ data?: T; error?: unknown; response: Response }>;
interface Trail {
  page(query: Record<string, string | number | undefined>): Answer<Page>;
  verify(): Answer<Verification>;
  exportUrl: string;
}

function trailOf(name: TrailName, org: string): Trail {
  if (name === 'data') {
    return {
      page: (query) => carbon.GET('/audit', { params: { query } }),
      verify: () => carbon.GET('/audit/verify'),
      exportUrl: `${config.carbonApi}/audit/export`,
    };
  }
  const path = { org_id: org };
  return {
    page: (query) => users.GET('/orgs/{org_id}/audit', { params: { path, query } }),
    verify: () => users.GET('/orgs/{org_id}/audit/verify', { params: { path } }),
    exportUrl: `${config.userApi}/orgs/${org}/audit/export`,
  };
}

/** The organization's audit trails, for owners, admins and auditors: who
 * changed what and when, filterable, with the chain's verification. A
 * shared organization has two: its data's and its membership's. */
export function Audit() {
  const here = currentOrg();
  const me = claimsOf(session.accessToken).sub;
  const [shared, setShared] = useState(false);
  const [names, setNames] = useState<Names>(new Map());
  const [trailName, setTrailName] = useState<TrailName>('data');
  // A link may open one entity's history: /audit?entity=usage&entity_id=….
  const [params, setParams] = useSearchParams();
  const linked = useRef<Filter | null>(
    params.get('entity_id') ? { ...NO_FILTER, entity: params.get('entity') ?? '', entity_id: params.get('entity_id') ?? '' } : null,
  );
  // The import that created the linked usage: its create is the import's entry.
  const importId = params.get('import') ?? '';
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [verified, setVerified] = useState<Verification | null>(null);
  const trail = useMemo(() => trailOf(trailName, here.id ?? ''), [trailName, here.id]);

  // The members' emails name the people in the entries.
  useEffect(() => {
    if (!here.id) return;
    const path = { org_id: here.id };
    void (async () => {
      const org = await users.GET('/orgs/{org_id}', { params: { path } });
      if (!org.data || org.data.personal) return;
      setShared(true);
      const members = await users.GET('/orgs/{org_id}/members', { params: { path } });
      if (members.data) setNames(new Map(members.data.map((m) => [m.user_id, m.email])));
    })();
  }, [here.id]);

  const load = useCallback(async (applied: Filter, before?: number) => {
    const { data, error, response } = await trail.page({
      entity: applied.entity || undefined,
      entity_id: applied.entity_id || undefined,
      action: applied.action || undefined,
      actor: applied.actor || undefined,
      from: applied.from ? utcDayStart(applied.from) : undefined,
      // Through a day: up to the next day's start.
      to: applied.to ? utcDayStart(applied.to, 1) : undefined,
      before,
      limit: 50,
    });
    if (error || !data) {
      setError(summarize(error, response).detail);
      return;
    }
    setError(null);
    setEntries((shown) => (before === undefined ? data.entries : [...(shown ?? []), ...data.entries]));
    setNext(data.next ?? null);
  }, [trail]);
  // A trail opens unfiltered, or on the entity a link named (once).
  useEffect(() => {
    const first = linked.current ?? NO_FILTER;
    setFilter(first);
    setVerified(null);
    setEntries(null);
    void load(first);
  }, [load]);

  async function verify() {
    const { data, error, response } = await trail.verify();
    if (error || !data) setError(summarize(error, response).detail);
    else setVerified(data);
  }

  async function download() {
    // The export needs the bearer token: fetched, then saved as a file.
    const response = await fetch(trail.exportUrl, {
      headers: { Authorization: `Bearer ${session.accessToken ?? ''}` },
    });
    if (!response.ok) {
      setError(`The export failed (${response.status}).`);
      return;
    }
    saveFile(await response.blob(), trailName === 'data' ? 'audit.jsonl' : 'membership-audit.jsonl');
  }

  function apply(form: FormData) {
    const applied = {
      entity: String(form.get('entity') ?? ''),
      // One entity's history stays until it is cleared.
      entity_id: filter.entity_id,
      action: String(form.get('action') ?? ''),
      actor: String(form.get('actor') ?? ''),
      from: String(form.get('from') ?? ''),
      to: String(form.get('to') ?? ''),
    };
    setFilter(applied);
    void load(applied);
  }

  const others = otherActors(entries ?? [], names, me);
  return (
    <section>
      <h1>Audit trail</h1>
      <p className="muted">
        Every change to the organization's {trailName === 'data' ? 'data' : 'membership'}, who made it and what it was
        before, newest first. The entries form a hash chain: verify it here, or download it and verify it offline with
        the <a href={`${config.carbonApi}/audit/verifier`} data-testid="audit-verifier">verifier</a> (Python 3, no
        packages): <code>python3 verify-audit.py audit.jsonl [head]</code>, where <code>head</code> is a hash you kept
        outside this service, such as a locked period's.
      </p>
      {error && <Alert>{error}</Alert>}
      {shared && (
        <div className="trail-switch">
          <SelectField label="Trail" name="trail" value={trailName} onChange={(e) => {
            linked.current = null;
            setParams({}, { replace: true });
            setTrailName(e.target.value as TrailName);
          }}>
            <option value="data">Data: usages, facilities, instruments, periods</option>
            <option value="members">Membership: invitations, members, roles</option>
          </SelectField>
        </div>
      )}
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
      {filter.entity_id && (
        <p role="status" data-testid="audit-entity">
          The history of {filter.entity.replace('_', ' ') || 'entity'} <code>{filter.entity_id}</code> only.{' '}
          <button type="button" className="link" onClick={() => {
            linked.current = null;
            setParams({}, { replace: true });
            setFilter(NO_FILTER);
            void load(NO_FILTER);
          }}>Show every entry</button>
        </p>
      )}
      {filter.entity === 'usage' && filter.entity_id && entries !== null && !entries.some((e) => headerOf(e).action === 'create') && (
        <p data-testid="audit-imported">
          No entry created this usage by itself: it came from a CSV import, whose entry lists the usages it created.{' '}
          {importId && (
            <button type="button" className="link" onClick={() => {
              const imports = { ...NO_FILTER, entity: 'usage_import', entity_id: importId };
              linked.current = null;
              setParams({}, { replace: true });
              setFilter(imports);
              void load(imports);
            }}>Show the import that created it</button>
          )}
        </p>
      )}
      <form
        key={`${trailName}-${filter.entity_id}`}
        className="card filters"
        aria-label="Filter the trail"
        onSubmit={(e) => {
          e.preventDefault();
          apply(new FormData(e.currentTarget));
        }}
      >
        <SelectField label="Entity" name="entity" defaultValue={filter.entity}>
          <option value="">Any</option>
          {ENTITIES[trailName].map((e) => <option key={e} value={e}>{e.replace('_', ' ')}</option>)}
        </SelectField>
        <SelectField label="Action" name="action" defaultValue={filter.action}>
          <option value="">Any</option>
          {ACTIONS[trailName].map((a) => <option key={a} value={a}>{a}</option>)}
        </SelectField>
        <SelectField label="Who" name="actor" defaultValue={filter.actor}>
          <option value="">Anyone</option>
          {me && <option value={me}>You</option>}
          {[...names].filter(([id]) => id !== me).map(([id, email]) => <option key={id} value={id}>{email}</option>)}
          {others.map((a) => (
            <option key={a.user_id} value={a.user_id}>
              {a.user_id.slice(0, 8)}… ({a.superuser ? 'superuser' : 'former member'})
            </option>
          ))}
        </SelectField>
        <Field label="From (UTC)" name="from" type="date" defaultValue={filter.from} />
        <Field label="Through (UTC)" name="to" type="date" defaultValue={filter.to} />
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
                const h = headerOf(e);
                return (
                  <tr key={e.seq}>
                    <td>{e.seq}</td>
                    <td className="nowrap">{String(h.at).replace('T', ' ').slice(0, 19)}</td>
                    <td>
                      {h.actor ? (
                        <span title={h.actor.user_id}>
                          {who(h.actor.user_id, names, me)} ({h.actor.role}{h.actor.superuser ? ', superuser' : ''})
                        </span>
                      ) : 'system'}
                    </td>
                    <td>{what(h, names)}</td>
                    <td className="prose">{changed(e, names)}</td>
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
