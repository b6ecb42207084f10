import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { carbon, confirmPassword, logOut, LOGOUT_FAILED, session, summarize, users, type User } from '../api/client';
import { Alert, Field } from '../components/forms';
import { VerifyPrompt } from '../components/VerifyPrompt';
import { useSubmit } from '../hooks/useSubmit';

export function Account() {
  const navigate = useNavigate();
  const [me, setMe] = useState<User | null>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    void users.GET('/users/me').then(({ data }) => setMe(data ?? null));
  }, []);

  const change = useSubmit(async (form) => {
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
    if (error || !data) return summarize(error, response);
    setMe(data);
    // A new password ends every session, this one included.
    if (password) {
      session.logout();
      navigate('/login');
    }
    return null;
  });

  async function leave(everywhere: boolean) {
    const done = await logOut(everywhere);
    navigate('/login', { state: done ? null : { notice: LOGOUT_FAILED } });
  }

  const remove = useSubmit(async (form) => {
    const current_password = String(form.get('current_password'));
    // The password first, before anything is erased: logging in again
    // checks it and gives the recent login that erasing needs.
    // The last owner of a shared organization cannot go (user-service
    // refuses it): say so before anything is erased.
    const mine = await users.GET('/orgs');
    for (const org of (mine.data ?? []).filter((o) => !o.personal && o.role === 'owner')) {
      const members = await users.GET('/orgs/{org_id}/members', { params: { path: { org_id: org.id } } });
      if ((members.data ?? []).filter((m) => m.role === 'owner').length <= 1) {
        const detail = `You are the last owner of ${org.name}: make another member an owner, or delete the organization, first.`;
        return { detail, fields: {}, status: 409 };
      }
    }
    // Into the personal organization: its data is what goes with the account.
    const wrong = await confirmPassword(current_password, true);
    if (wrong) return { detail: wrong, fields: { current_password: wrong }, status: 400 };
    // Usages live in carbon-service, which account deletion does not reach:
    // erase them next, as the API asks.
    const erased = await carbon.DELETE('/usages', { params: { query: { confirm: true } } });
    if (erased.error) return summarize(erased.error, erased.response);
    const { error, response } = await users.DELETE('/users/me', { body: { current_password } });
    if (error) return summarize(error, response);
    session.logout();
    navigate('/register');
    return null;
  });

  return (
    <section className="narrow">
      <h1>Account</h1>
      {me && <p>Signed in as <strong>{me.email}</strong>{me.is_verified ? ' (verified)' : ''}.</p>}
      {me && !me.is_verified && (
        <VerifyPrompt email={me.email} why="Your address is not verified yet: joining an organization needs a verified address." />
      )}

      <form onSubmit={change.onSubmit} noValidate aria-labelledby="change-title">
        <h2 id="change-title">Change email or password</h2>
        {saved && <Alert kind="info">Saved.</Alert>}
        {change.problem && <Alert>{change.problem.detail}</Alert>}
        <Field label="New email" name="email" type="email" autoComplete="email" error={change.problem?.fields.email}
          hint="Leave as it is to keep it." defaultValue={me?.email} key={me?.email} />
        <Field label="New password" name="password" type="password" autoComplete="new-password"
          error={change.problem?.fields.password} hint="Leave empty to keep it; a new one logs you out everywhere." />
        <Field label="Current password" name="current_password" type="password" autoComplete="current-password"
          required error={change.problem?.fields.current_password} />
        <button type="submit" disabled={change.busy}>Save</button>
      </form>

      <h2>Sessions</h2>
      <p>
        <button type="button" className="secondary" onClick={() => void leave(false)}>Log out</button>{' '}
        <button type="button" className="secondary" onClick={() => void leave(true)}>Log out everywhere</button>
      </p>

      <form onSubmit={remove.onSubmit} noValidate aria-labelledby="delete-title">
        <h2 id="delete-title">Delete the account</h2>
        <p>This checks your password, then erases every usage of your personal inventory and then the account; you leave your organizations. It cannot be undone.</p>
        {remove.problem && <Alert>{remove.problem.detail}</Alert>}
        <Field label="Current password (to delete)" name="current_password" type="password" autoComplete="current-password"
          required error={remove.problem?.fields.current_password} />
        <button type="submit" className="danger" disabled={remove.busy}>Delete my account and data</button>
      </form>
    </section>
  );
}
