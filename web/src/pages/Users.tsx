import { useCallback, useEffect, useState } from 'react';
import { carbon, confirmPassword, isSuperuser, summarize, users, type ProblemSummary, type User } from '../api/client';
import { config } from '../config';
import { Alert, Field } from '../components/forms';
import { useSubmit } from '../hooks/useSubmit';

/** When an inactive account's last access token has surely expired. */
function safeFrom(user: User): number {
  return Date.parse(user.updated_at) + config.accessTokenTtlSeconds * 1000;
}

const PAGE_SIZE = 50;

const time = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/**
 * Superusers: the accounts, and removing one with its data in the safe
 * order. carbon-service never calls user-service, so a token keeps working
 * there until it expires: deactivate first, wait one access-token
 * lifetime, then erase the usages, delete the account and erase again.
 */
export default function Users() {
  const [list, setList] = useState<User[]>([]);
  const [total, setTotal] = useState(0);
  const [email, setEmail] = useState('');
  const [offset, setOffset] = useState(0);
  const [problem, setProblem] = useState<ProblemSummary | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [removing, setRemoving] = useState<User | null>(null);
  const [now, setNow] = useState(() => Date.now());

  const load = useCallback(async () => {
    const query = { limit: PAGE_SIZE, offset, email: email.trim() || undefined };
    const { data, error, response } = await users.GET('/users', { params: { query } });
    if (error) {
      setProblem(summarize(error, response));
      return;
    }
    setList(data ?? []);
    setTotal(Number(response.headers.get('X-Total-Count') ?? 0));
  }, [email, offset]);
  useEffect(() => {
    void load();
  }, [load]);
  // The erase button comes on by itself once the wait is over.
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 5000);
    return () => window.clearInterval(timer);
  }, []);

  const remove = useSubmit(async (form) => {
    const user = removing;
    if (!user) return null;
    // Erasing someone's usages needs a login within 5 minutes: logging in
    // again checks the password and gives one.
    const wrong = await confirmPassword(String(form.get('password')));
    if (wrong) return { detail: wrong, fields: { password: wrong }, status: 400 };
    const erase = () => carbon.DELETE('/users/{id}/usages', { params: { path: { id: user.id }, query: { confirm: true } } });
    const erased = await erase();
    if (erased.error) return summarize(erased.error, erased.response);
    const deleted = await users.DELETE('/users/{id}', { params: { path: { id: user.id } } });
    if (deleted.error) return summarize(deleted.error, deleted.response);
    // Once more: nothing recorded in the meantime survives.
    const again = await erase();
    if (again.error) return summarize(again.error, again.response);
    setRemoving(null);
    setProblem(null);
    await load();
    setNotice(`${user.email} and their usages were deleted.`);
    return null;
  });

  if (!isSuperuser()) return <Alert>This page is for superusers.</Alert>;

  async function deactivate(user: User) {
    if (!window.confirm(`Deactivate ${user.email}? Their sessions end now; their usages can be erased once their last token has expired.`)) return;
    const { error, response } = await users.PATCH('/users/{id}', { params: { path: { id: user.id } }, body: { is_active: false } });
    if (error) {
      setProblem(summarize(error, response));
      return;
    }
    setProblem(null);
    const from = Date.now() + config.accessTokenTtlSeconds * 1000;
    // Reload first, so that the notice and the row's new state appear together.
    await load();
    setNotice(`${user.email} was deactivated. Erase and delete becomes available at ${time(from)}.`);
  }

  /** One change to `user` (the service refuses what would leave no active superuser). */
  async function change(user: User, body: { is_active?: boolean; is_superuser?: boolean; is_verified?: boolean }, done: string) {
    const { error, response } = await users.PATCH('/users/{id}', { params: { path: { id: user.id } }, body });
    if (error) {
      setProblem(summarize(error, response));
      return;
    }
    setProblem(null);
    await load();
    setNotice(done);
  }

  function removal(user: User) {
    if (user.is_active) {
      return <button type="button" onClick={() => void deactivate(user)} aria-label={`Deactivate ${user.email}`}>Deactivate</button>;
    }
    const from = safeFrom(user);
    const erase = now < from ? <span className="hint">Erase and delete from {time(from)}</span> : (
      <button type="button" className="danger" onClick={() => { remove.setProblem(null); setRemoving(user); }} aria-label={`Erase and delete ${user.email}`}>
        Erase and delete
      </button>
    );
    return (
      <>
        <button type="button" className="secondary" aria-label={`Reactivate ${user.email}`}
          onClick={() => void change(user, { is_active: true }, `${user.email} is active again.`)}>Reactivate</button>
        {erase}
      </>
    );
  }

  function action(user: User) {
    return (
      <>
        {removal(user)}
        {!user.is_verified && (
          <button type="button" className="secondary" aria-label={`Mark ${user.email} verified`}
            onClick={() => void change(user, { is_verified: true }, `${user.email} is marked verified.`)}>Mark verified</button>
        )}
        {user.is_active && <button type="button" className="secondary"
          aria-label={`${user.is_superuser ? 'Revoke superuser from' : 'Make superuser:'} ${user.email}`}
          onClick={() => {
            const grant = !user.is_superuser;
            if (!window.confirm(grant ? `Make ${user.email} a superuser? They will administer every account and the factor library.` : `Revoke superuser from ${user.email}?`)) return;
            void change(user, { is_superuser: grant }, grant ? `${user.email} is a superuser.` : `${user.email} is no longer a superuser.`);
          }}>{user.is_superuser ? 'Revoke superuser' : 'Make superuser'}</button>}
      </>
    );
  }

  return (
    <section>
      <h1>Users</h1>
      {notice && <Alert kind="info">{notice}</Alert>}
      {problem && <Alert>{problem.detail}</Alert>}
      <p className="hint">
        To remove an account, deactivate it first: its last access token still works at carbon-service for up to{' '}
        {Math.round(config.accessTokenTtlSeconds / 60)} minutes, after which its usages are erased and the account deleted.
      </p>
      {removing && (
        <form onSubmit={remove.onSubmit} aria-labelledby="remove-title" className="card">
          <h2 id="remove-title">Erase and delete {removing.email}</h2>
          <p>This erases every usage {removing.email} recorded, deletes the account, and erases again. It cannot be undone.</p>
          {remove.problem && !remove.problem.fields.password && <Alert>{remove.problem.detail}</Alert>}
          <Field label="Your password" name="password" type="password" autoComplete="current-password" required
            error={remove.problem?.fields.password} hint="Erasing someone's data needs a recent login." />
          <button type="submit" className="danger" disabled={remove.busy}>Erase and delete</button>{' '}
          <button type="button" onClick={() => setRemoving(null)}>Cancel</button>
        </form>
      )}
      <div className="card filters" role="search">
        <Field label="Find by email" name="email" type="search" value={email} hint="The start of the address."
          onChange={(e) => { setEmail(e.target.value); setOffset(0); }} />
      </div>
      <p role="status" data-testid="users-count">
        {total === 0 ? 'No accounts match.' : `Accounts ${offset + 1} to ${offset + list.length} of ${total}, oldest first`}
      </p>
      {list.length > 0 && <div className="table-scroll" tabIndex={0} role="region" aria-label="Accounts">
        <table className="wide">
          <caption>Accounts, oldest first</caption>
          <thead>
            <tr><th scope="col">Email</th><th scope="col">Verified</th><th scope="col">Superuser</th><th scope="col">Active</th><th scope="col" className="actions"><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {list.map((user) => (
              <tr key={user.id}>
                <td>{user.email}</td>
                <td>{user.is_verified ? 'yes' : 'no'}</td>
                <td>{user.is_superuser ? 'yes' : 'no'}</td>
                <td>{user.is_active ? 'yes' : 'no'}</td>
                <td className="actions stacked">{action(user)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>}
      {total > PAGE_SIZE && (
        <nav className="pager" aria-label="Pages">
          <button type="button" className="secondary" disabled={offset === 0}
            onClick={() => setOffset((o) => Math.max(0, o - PAGE_SIZE))}>Previous page</button>
          <button type="button" className="secondary" disabled={offset + PAGE_SIZE >= total}
            onClick={() => setOffset((o) => o + PAGE_SIZE)}>Next page</button>
        </nav>
      )}
    </section>
  );
}
