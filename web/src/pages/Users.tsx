import { useCallback, useEffect, useState } from 'react';
import { carbon, isSuperuser, summarize, users, type ProblemSummary, type User } from '../api/client';
import { Alert } from '../components/forms';

/**
 * Superusers: the accounts, and deleting one with its data. Usages live in
 * carbon-service, which user-service never calls, so they are erased there
 * first; an account is deleted only once its usages are gone.
 */
export function Users() {
  const [list, setList] = useState<User[]>([]);
  const [problem, setProblem] = useState<ProblemSummary | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    const { data, error, response } = await users.GET('/users', { params: { query: { limit: 100 } } });
    if (error) setProblem(summarize(error, response));
    else setList(data ?? []);
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  if (!isSuperuser()) return <Alert>This page is for superusers.</Alert>;

  async function remove(user: User) {
    if (!window.confirm(`Delete ${user.email} and every usage they recorded? This cannot be undone.`)) return;
    const erased = await carbon.DELETE('/users/{id}/usages', {
      params: { path: { id: user.id }, query: { confirm: true } },
    });
    if (erased.error) {
      setProblem(summarize(erased.error, erased.response));
      return;
    }
    const { error, response } = await users.DELETE('/users/{id}', { params: { path: { id: user.id } } });
    if (error) {
      setProblem(summarize(error, response));
      return;
    }
    setProblem(null);
    setNotice(`${user.email} and their usages were deleted.`);
    await load();
  }

  return (
    <section>
      <h1>Users</h1>
      {notice && <Alert kind="info">{notice}</Alert>}
      {problem && <Alert>{problem.detail}</Alert>}
      <table>
        <caption>Accounts, oldest first (the first 100)</caption>
        <thead>
          <tr><th scope="col">Email</th><th scope="col">Verified</th><th scope="col">Superuser</th><th scope="col">Active</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
        </thead>
        <tbody>
          {list.map((user) => (
            <tr key={user.id}>
              <td>{user.email}</td>
              <td>{user.is_verified ? 'yes' : 'no'}</td>
              <td>{user.is_superuser ? 'yes' : 'no'}</td>
              <td>{user.is_active ? 'yes' : 'no'}</td>
              <td><button type="button" className="danger" onClick={() => void remove(user)} aria-label={`Delete ${user.email}`}>Delete</button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
