import { useEffect, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { carbon, confirmPassword, logOut, LOGOUT_FAILED, session, summarize, users, type ProblemSummary, type User } from '../api/client';
import { Alert, Field } from '../components/forms';

export function Account() {
  const navigate = useNavigate();
  const [me, setMe] = useState<User | null>(null);
  const [problem, setProblem] = useState<ProblemSummary | null>(null);
  const [saved, setSaved] = useState(false);
  const [deleteProblem, setDeleteProblem] = useState<ProblemSummary | null>(null);

  useEffect(() => {
    void users.GET('/users/me').then(({ data }) => setMe(data ?? null));
  }, []);

  async function change(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email')).trim();
    const password = String(form.get('password'));
    const current_password = String(form.get('current_password'));
    const { data, error, response } = await users.PATCH('/users/me', {
      body: {
        current_password,
        ...(email && email !== me?.email ? { email } : {}),
        ...(password ? { password } : {}),
      },
    });
    setSaved(!error);
    if (error || !data) {
      setProblem(summarize(error, response));
      return;
    }
    setProblem(null);
    setMe(data);
    // A new password ends every session, this one included.
    if (password) {
      session.logout();
      navigate('/login');
    }
  }

  async function leave(everywhere: boolean) {
    const done = await logOut(everywhere);
    navigate('/login', { state: done ? null : { notice: LOGOUT_FAILED } });
  }

  async function deleteAccount(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const current_password = String(new FormData(event.currentTarget).get('current_password'));
    // The password first, before anything is erased: logging in again
    // checks it and gives the recent login that erasing needs.
    const wrong = await confirmPassword(current_password);
    if (wrong) {
      setDeleteProblem({ detail: wrong, fields: { current_password: wrong }, status: 400 });
      return;
    }
    // Usages live in carbon-service, which account deletion does not reach:
    // erase them next, as the API asks.
    const erased = await carbon.DELETE('/usages', { params: { query: { confirm: true } } });
    if (erased.error) {
      setDeleteProblem(summarize(erased.error, erased.response));
      return;
    }
    const { error, response } = await users.DELETE('/users/me', { body: { current_password } });
    if (error) {
      setDeleteProblem(summarize(error, response));
      return;
    }
    session.logout();
    navigate('/register');
  }

  return (
    <section className="narrow">
      <h1>Account</h1>
      {me && <p>Signed in as <strong>{me.email}</strong>{me.is_verified ? ' (verified)' : ''}.</p>}

      <form onSubmit={change} noValidate aria-labelledby="change-title">
        <h2 id="change-title">Change email or password</h2>
        {saved && <Alert kind="info">Saved.</Alert>}
        {problem && <Alert>{problem.detail}</Alert>}
        <Field label="New email" name="email" type="email" autoComplete="email" error={problem?.fields.email}
          hint="Leave as it is to keep it." defaultValue={me?.email} key={me?.email} />
        <Field label="New password" name="password" type="password" autoComplete="new-password"
          error={problem?.fields.password} hint="Leave empty to keep it; a new one logs you out everywhere." />
        <Field label="Current password" name="current_password" type="password" autoComplete="current-password"
          required error={problem?.fields.current_password} />
        <button type="submit">Save</button>
      </form>

      <h2>Sessions</h2>
      <p>
        <button type="button" className="secondary" onClick={() => void leave(false)}>Log out</button>{' '}
        <button type="button" className="secondary" onClick={() => void leave(true)}>Log out everywhere</button>
      </p>

      <form onSubmit={deleteAccount} noValidate aria-labelledby="delete-title">
        <h2 id="delete-title">Delete the account</h2>
        <p>This checks your password, then erases every usage you recorded and then the account. It cannot be undone.</p>
        {deleteProblem && <Alert>{deleteProblem.detail}</Alert>}
        <Field label="Current password (to delete)" name="current_password" type="password" autoComplete="current-password"
          required error={deleteProblem?.fields.current_password} />
        <button type="submit" className="danger">Delete my account and data</button>
      </form>
    </section>
  );
}
