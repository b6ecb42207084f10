import { useCallback, useEffect, useState } from 'react';
import { can, carbon, confirmPassword, summarize, type CarbonSchemas, type ProblemSummary } from '../api/client';
import { Alert, Field, SelectField, formatCo2e } from '../components/forms';
import { useGwpSets, type GwpName } from '../hooks/useGwpSets';
import { useSubmit } from '../hooks/useSubmit';
import { lastDay } from './dashboard/periods';
import { checkHead, type Head, type HeadCheck } from './periods/headCheck';

type Period = CarbonSchemas['PeriodResponse'];
type Settings = CarbonSchemas['SettingsResponse'];
type Restatement = CarbonSchemas['RestatementResponse'];

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
  'November', 'December'];

function day(iso: string): string {
  return iso.slice(0, 10);
}

/** The organization's reporting periods: the fiscal years, their locks,
 * the inventory settings, and a restatement of any period. */
export function Periods() {
  const [periods, setPeriods] = useState<Period[] | null>(null);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    const [p, s] = await Promise.all([carbon.GET('/periods'), carbon.GET('/inventory/settings')]);
    if (p.error) setError(summarize(p.error, p.response).detail);
    setPeriods(p.data ?? []);
    setSettings(s.data ?? null);
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);

  return (
    <section>
      <h1>Reporting periods</h1>
      <p className="muted">
        Fiscal years are named by the year they end in (UTC). A locked period refuses every change to its usages
        until the owner unlocks it, with a reason the audit trail keeps.
      </p>
      {error && <Alert>{error}</Alert>}
      {periods === null ? <p role="status">Loading…</p> : <PeriodTable periods={periods} reload={reload} />}
      {settings && <SettingsForm settings={settings} reload={reload} />}
      {periods && periods.length > 0 && <RestatementView periods={periods} />}
    </section>
  );
}

/** The result of checking a period's lock head, once checked. */
/** Whether the period's last day is over: the service locks only then. */
const hasEnded = (p: Period) => new Date(p.to).getTime() <= Date.now();

function HeadVerdict({ check, period }: { check: HeadCheck | undefined; period: string }) {
  if (!check) return null;
  return (
    <p className={check.intact ? 'hint' : 'field-error'} role="status" data-testid={`head-check-${period}`}>{check.message}</p>
  );
}

function PeriodTable({ periods, reload }: { periods: Period[]; reload: () => Promise<void> }) {
  const [acting, setActing] = useState<{ period: string; unlock: boolean } | null>(null);
  // Per period: whether the trail still holds the head its lock recorded.
  const [checks, setChecks] = useState<Record<string, HeadCheck>>({});

  async function check(period: string, head: Head) {
    const [chain, page] = await Promise.all([
      carbon.GET('/audit/verify'),
      carbon.GET('/audit', { params: { query: { before: head.seq + 1, limit: 1 } } }),
    ]);
    const verdict = chain.data
      ? checkHead(head, chain.data, page.data?.entries[0])
      : { intact: false, message: summarize(chain.error, chain.response).detail };
    setChecks((all) => ({ ...all, [period]: verdict }));
  }

  return (
    <>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Fiscal years">
        <table className="members wide" data-testid="periods-table">
          <caption>The fiscal years, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Period</th><th scope="col">Status</th><th scope="col">From</th><th scope="col">Through</th>
              <th scope="col">Trail head at the lock</th>
            </tr>
          </thead>
          <tbody>
            {/* The lock's actions and the head check's verdict sit beside the
                status, near the row's start: on a phone the table scrolls,
                and a last column is off screen. */}
            {periods.map((p) => (
              <tr key={p.name}>
                <th scope="row">{p.name}{p.is_base_year && <span className="badge">base year</span>}</th>
                <td>
                  <div>
                    {p.status === 'locked' ? <strong>locked {p.locked_at && `on ${day(p.locked_at)}`}</strong> : 'open'}
                    {p.status === 'open' && p.unlock_reason && <span className="hint"> (unlocked: {p.unlock_reason})</span>}
                  </div>
                  {p.status === 'open' && can('manage_inventory') && (hasEnded(p) ? (
                    <button type="button" className="secondary" onClick={() => setActing({ period: p.name, unlock: false })}>
                      Lock {p.name}
                    </button>
                  ) : <p className="hint">Can be locked once it has ended.</p>)}
                  {p.status === 'locked' && can('unlock_periods') && (
                    <button type="button" className="secondary" onClick={() => setActing({ period: p.name, unlock: true })}>
                      Unlock {p.name}
                    </button>
                  )}
                  {p.head && can('read_audit') && (
                    <button type="button" className="secondary" onClick={() => p.head && void check(p.name, p.head)}>
                      Check {p.name}'s trail head
                    </button>
                  )}
                  {p.head && <HeadVerdict check={checks[p.name]} period={p.name} />}
                </td>
                <td className="nowrap">{day(p.from)}</td>
                <td className="nowrap">{lastDay(p)}</td>
                <td>{p.head && <code title={p.head.hash}>#{p.head.seq} {p.head.hash.slice(0, 12)}…</code>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {acting && (
        <LockForm
          key={`${acting.period}-${acting.unlock}`}
          period={acting.period}
          unlock={acting.unlock}
          done={async () => {
            setActing(null);
            await reload();
          }}
          cancel={() => setActing(null)}
        />
      )}
    </>
  );
}

/** Locking and unlocking need a login within five minutes: the password
 * is asked for here, and an unlock needs its reason. */
function LockForm({ period, unlock, done, cancel }: {
  period: string; unlock: boolean; done: () => Promise<void>; cancel: () => void;
}) {
  const submit = useSubmit(async (form): Promise<ProblemSummary | null> => {
    const wrong = await confirmPassword(String(form.get('current_password') ?? ''));
    if (wrong) return { detail: wrong, fields: {}, status: 401 };
    const path = { params: { path: { name: period } } };
    const { error, response } = unlock
      ? await carbon.POST('/periods/{name}/unlock', { ...path, body: { reason: String(form.get('reason') ?? '') } })
      : await carbon.POST('/periods/{name}/lock', path);
    if (error) return summarize(error, response);
    await done();
    return null;
  });
  const title = `${unlock ? 'Unlock' : 'Lock'} ${period}`;
  return (
    <form onSubmit={submit.onSubmit} noValidate aria-label={title} className="card">
      <h2>{title}</h2>
      <p className="hint">
        {unlock
          ? 'Its usages can then be changed again. The reason is kept in the audit trail.'
          : 'Every change to a usage dated in it will be refused until the owner unlocks it.'}
      </p>
      {submit.problem && <Alert>{submit.problem.detail}</Alert>}
      {unlock && <Field label="Reason" name="reason" required maxLength={1000} error={submit.problem?.fields.reason} />}
      <Field label="Your password" name="current_password" type="password" autoComplete="current-password" required
        hint="Locking and unlocking need a recent login." />
      <button type="submit" disabled={submit.busy}>{title}</button>{' '}
      <button type="button" className="secondary" onClick={cancel}>Cancel</button>
    </form>
  );
}

function SettingsForm({ settings, reload }: { settings: Settings; reload: () => Promise<void> }) {
  const manages = can('manage_inventory');
  const [saved, setSaved] = useState(false);
  const submit = useSubmit(async (form) => {
    const base = String(form.get('base_year') ?? '').trim();
    const { error, response } = await carbon.PUT('/inventory/settings', {
      body: {
        fiscal_year_start_month: Number(form.get('fiscal_year_start_month')),
        base_year: base ? Number(base) : null,
        significance_threshold_percent: Number(form.get('significance_threshold_percent')),
      },
    });
    if (error) return summarize(error, response);
    setSaved(true);
    await reload();
    return null;
  });
  return (
    <form onSubmit={submit.onSubmit} noValidate aria-labelledby="settings-title" className="card">
      <h2 id="settings-title">Inventory settings</h2>
      {submit.problem && <Alert>{submit.problem.detail}</Alert>}
      {saved && !submit.problem && <Alert kind="info">Settings saved.</Alert>}
      <fieldset disabled={!manages}>
        <SelectField label="Fiscal year starts in" name="fiscal_year_start_month"
          defaultValue={String(settings.fiscal_year_start_month)} error={submit.problem?.fields.fiscal_year_start_month}>
          {MONTHS.map((m, i) => <option key={m} value={i + 1}>{m}</option>)}
        </SelectField>
        <Field label="Base year" name="base_year" type="number" min="1990" max="2100"
          defaultValue={settings.base_year ?? ''} error={submit.problem?.fields.base_year}
          hint="The year later years are compared with; a restatement of it is checked against the threshold." />
        <Field label="Significance threshold (%)" name="significance_threshold_percent" type="number" step="0.1"
          min="0.1" max="100" defaultValue={settings.significance_threshold_percent}
          error={submit.problem?.fields.significance_threshold_percent}
          hint="5 % is common practice and SBTi's trigger; the GHG Protocol sets no number." />
        {manages && <button type="submit" disabled={submit.busy}>Save settings</button>}
      </fieldset>
      {!manages && <p className="hint">Admins and owners change the settings; your role reads them.</p>}
    </form>
  );
}

function RestatementView({ periods }: { periods: Period[] }) {
  const [datasets, setDatasets] = useState<{ id: string; name: string; edition: string }[]>([]);
  const [result, setResult] = useState<Restatement | null>(null);
  const sets = useGwpSets();
  useEffect(() => {
    void carbon.GET('/datasets').then(({ data }) => setDatasets(data ?? []));
  }, []);
  const submit = useSubmit(async (form) => {
    const dataset = String(form.get('dataset') ?? '');
    const { data, error, response } = await carbon.GET('/inventory/restatement', {
      params: {
        query: {
          period: String(form.get('period')),
          dataset: dataset || undefined,
          gwp: String(form.get('gwp')) as GwpName,
        },
      },
    });
    if (error) return summarize(error, response);
    setResult(data ?? null);
    return null;
  });
  return (
    <div className="card">
      <form onSubmit={submit.onSubmit} noValidate aria-labelledby="restate-title">
        <h2 id="restate-title">Restate a period</h2>
        <p className="hint">
          What a period's totals would be under another dataset's factors (matched by type) or another GWP set.
          Stored usages never change.
        </p>
        {submit.problem && <Alert>{submit.problem.detail}</Alert>}
        <SelectField label="Period" name="period" defaultValue={periods[0]?.name}>
          {periods.map((p) => <option key={p.name} value={p.name}>{p.name}</option>)}
        </SelectField>
        <SelectField label="Factors" name="dataset" defaultValue="">
          <option value="">The usages' own factors</option>
          {datasets.map((d) => <option key={d.id} value={d.id}>{d.name} ({d.edition})</option>)}
        </SelectField>
        <SelectField label="GWP set" name="gwp" defaultValue={sets[0].id}>
          {sets.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
        </SelectField>
        <button type="submit" disabled={submit.busy}>Restate</button>
      </form>
      {result && <RestatementTable result={result} />}
    </div>
  );
}

function RestatementTable({ result }: { result: Restatement }) {
  const scopes = [...new Set([...result.original.by_scope, ...result.restated.by_scope].map((s) => s.scope))].sort();
  const figure = (side: Restatement['original'], scope: number) =>
    side.by_scope.find((s) => s.scope === scope)?.co2e ?? 0;
  const percent = result.difference.percent;
  return (
    <>
      <div className="table-scroll">
        <table className="members" data-testid="restatement-table">
          <caption>
            {result.period}: original ({result.original_gwp}) and restated ({result.gwp}
            {result.dataset ? `, ${result.dataset}` : ''})
          </caption>
          <thead>
            <tr><th scope="col">Scope</th><th scope="col">Original</th><th scope="col">Restated</th><th scope="col">Difference</th></tr>
          </thead>
          <tbody>
            {scopes.map((s) => (
              <tr key={s}>
                <th scope="row">Scope {s}</th>
                <td>{formatCo2e(figure(result.original, s))}</td>
                <td>{formatCo2e(figure(result.restated, s))}</td>
                <td>{formatCo2e(figure(result.restated, s) - figure(result.original, s))}</td>
              </tr>
            ))}
            <tr>
              <th scope="row">Total</th>
              <td>{formatCo2e(result.original.total_co2e)}</td>
              <td>{formatCo2e(result.restated.total_co2e)}</td>
              <td>{formatCo2e(result.difference.co2e)}{percent != null && ` (${percent.toFixed(1)} %)`}</td>
            </tr>
          </tbody>
        </table>
      </div>
      <p data-testid="restatement-verdict">
        Change: <strong>{result.change.replace('_', ' ')}</strong>.{' '}
        {result.significance.exceeds_threshold
          ? `Above the ${result.significance.threshold_percent} % threshold.`
          : `Within the ${result.significance.threshold_percent} % threshold.`}{' '}
        {result.is_base_year &&
          (result.significance.recalculation_due ? 'The base year should be recalculated.' : 'No base-year recalculation is due.')}
      </p>
      {result.unmatched_count > 0 && (
        <p className="hint">
          {result.unmatched_count} usage(s) had no matching type and kept their original figures
          (types {[...new Set(result.unmatched.map((u) => u.usage_type_id))].join(', ')}).
        </p>
      )}
    </>
  );
}
