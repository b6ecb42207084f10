import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { logIn, publicUsers, summarize, type ProblemSummary } from '../api/client';
import { Alert, Field } from '../components/forms';

export function Login() {
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const state = location.state as { from?: string; notice?: string } | null;
  const from = state?.from ?? '/';

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    const failed = await logIn(String(form.get('email')), String(form.get('password')));
    setBusy(false);
    if (failed) setError(failed);
    else navigate(from, { replace: true });
  }

  return (
    <section className="narrow">
      <h1>Log in</h1>
      {state?.notice && <Alert>{state.notice}</Alert>}
      {error && <Alert>{error}</Alert>}
      <form onSubmit={submit}>
        <Field label="Email" name="email" type="email" autoComplete="username" required />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required />
        <button type="submit" disabled={busy}>Log in</button>
      </form>
      <p><Link to="/forgot-password">Forgot your password?</Link> · <Link to="/register">Create an account</Link></p>
    </section>
  );
}

export function Register() {
  const navigate = useNavigate();
  const [problem, setProblem] = useState<ProblemSummary | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email'));
    const password = String(form.get('password'));
    setBusy(true);
    const { error, response } = await publicUsers.POST('/auth/register', { body: { email, password } });
    if (error) {
      setBusy(false);
      setProblem(summarize(error, response));
      return;
    }
    const failed = await logIn(email, password);
    setBusy(false);
    navigate(failed ? '/login' : '/', { replace: true });
  }

  return (
    <section className="narrow">
      <h1>Create an account</h1>
      {problem && <Alert>{problem.detail}</Alert>}
      <form onSubmit={submit} noValidate>
        <Field label="Email" name="email" type="email" autoComplete="email" required error={problem?.fields.email} />
        <Field label="Password" name="password" type="password" autoComplete="new-password" required minLength={8}
          hint="At least 8 characters; a passphrase is best." error={problem?.fields.password} />
        <button type="submit" disabled={busy}>Sign up</button>
      </form>
    </section>
  );
}

export function ForgotPassword() {
  const [sent, setSent] = useState(false);
  const [problem, setProblem] = useState<ProblemSummary | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get('email'));
    const { error, response } = await publicUsers.POST('/auth/forgot-password', { body: { email } });
    if (error) setProblem(summarize(error, response));
    else setSent(true);
  }

  return (
    <section className="narrow">
      <h1>Forgot your password?</h1>
      {sent ? (
        <Alert kind="info">
          If an account has this address, a reset token is on its way. (In local development it is in the
          user-service log.) <Link to="/reset-password">Enter the token</Link>.
        </Alert>
      ) : (
        <form onSubmit={submit}>
          {problem && <Alert>{problem.detail}</Alert>}
          <Field label="Email" name="email" type="email" autoComplete="email" required error={problem?.fields.email} />
          <button type="submit">Send a reset token</button>
        </form>
      )}
    </section>
  );
}

export function ResetPassword() {
  const navigate = useNavigate();
  const [problem, setProblem] = useState<ProblemSummary | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const { error, response } = await publicUsers.POST('/auth/reset-password', {
      body: { token: String(form.get('token')).trim(), password: String(form.get('password')) },
    });
    if (error) setProblem(summarize(error, response));
    else navigate('/login', { replace: true });
  }

  return (
    <section className="narrow">
      <h1>Reset your password</h1>
      {problem && <Alert>{problem.detail}</Alert>}
      <form onSubmit={submit} noValidate>
        <Field label="Reset token" name="token" required autoComplete="one-time-code" error={problem?.fields.token} />
        <Field label="New password" name="password" type="password" autoComplete="new-password" required
          error={problem?.fields.password} />
        <button type="submit">Set the new password</button>
      </form>
    </section>
  );
}
