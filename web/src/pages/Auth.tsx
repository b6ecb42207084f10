import { useEffect, useRef, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { logIn, mayBeSignedIn, publicUsers, summarize } from '../api/client';
import { Alert, Field } from '../components/forms';
import { useSubmit } from '../hooks/useSubmit';

/** A message as a problem without field errors. */
const problemOf = (detail: string) => ({ detail, fields: {}, status: 400 });

export function Login() {
  const navigate = useNavigate();
  const location = useLocation();
  const state = location.state as { from?: string; notice?: string } | null;
  const from = state?.from ?? '/';
  const { onSubmit, busy, problem } = useSubmit(async (form) => {
    const failed = await logIn(String(form.get('email')), String(form.get('password')));
    if (failed) return problemOf(failed);
    navigate(from, { replace: true });
    return null;
  });

  return (
    <section className="narrow">
      <h1>Log in</h1>
      {state?.notice && <Alert>{state.notice}</Alert>}
      {problem && <Alert>{problem.detail}</Alert>}
      <form onSubmit={onSubmit}>
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
  const { onSubmit, busy, problem } = useSubmit(async (form) => {
    const email = String(form.get('email'));
    const password = String(form.get('password'));
    const { error, response } = await publicUsers.POST('/auth/register', { body: { email, password } });
    if (error) return summarize(error, response);
    const failed = await logIn(email, password);
    navigate(failed ? '/login' : '/', { replace: true });
    return null;
  });

  return (
    <section className="narrow">
      <h1>Create an account</h1>
      {problem && <Alert>{problem.detail}</Alert>}
      <form onSubmit={onSubmit} noValidate>
        <Field label="Email" name="email" type="email" autoComplete="email" required error={problem?.fields.email} />
        <Field label="Password" name="password" type="password" autoComplete="new-password" required minLength={8}
          hint="At least 8 characters, and not a common password; a few unrelated words are best."
          error={problem?.fields.password} />
        <button type="submit" disabled={busy}>Sign up</button>
      </form>
    </section>
  );
}

export function ForgotPassword() {
  const [sent, setSent] = useState(false);
  const { onSubmit, busy, problem } = useSubmit(async (form) => {
    const email = String(form.get('email'));
    const { error, response } = await publicUsers.POST('/auth/forgot-password', { body: { email } });
    if (error) return summarize(error, response);
    setSent(true);
    return null;
  });

  return (
    <section className="narrow">
      <h1>Forgot your password?</h1>
      {sent ? (
        <Alert kind="info">
          If an account has this address, a reset token is on its way. (In local development it is in the
          user-service log.) <Link to="/reset-password">Enter the token</Link>.
        </Alert>
      ) : (
        <form onSubmit={onSubmit}>
          {problem && <Alert>{problem.detail}</Alert>}
          <Field label="Email" name="email" type="email" autoComplete="email" required error={problem?.fields.email} />
          <button type="submit" disabled={busy}>Send a reset token</button>
        </form>
      )}
    </section>
  );
}

export function ResetPassword() {
  const navigate = useNavigate();
  const { onSubmit, busy, problem } = useSubmit(async (form) => {
    const { error, response } = await publicUsers.POST('/auth/reset-password', {
      body: { token: String(form.get('token')).trim(), password: String(form.get('password')) },
    });
    if (error) return summarize(error, response);
    navigate('/login', { replace: true });
    return null;
  });

  return (
    <section className="narrow">
      <h1>Reset your password</h1>
      {problem && <Alert>{problem.detail}</Alert>}
      <form onSubmit={onSubmit} noValidate>
        <Field label="Reset token" name="token" required autoComplete="one-time-code" error={problem?.fields.token}
          defaultValue={new URLSearchParams(window.location.search).get('token') ?? ''} />
        <Field label="New password" name="password" type="password" autoComplete="new-password" required
          error={problem?.fields.password} />
        <button type="submit" disabled={busy}>Set the new password</button>
      </form>
    </section>
  );
}

/** The mailed verification link (`/verify-email?token=…`), or a token
 * pasted by hand: confirms the address, which joining an organization
 * needs. No login needed: the token is the proof. */
export function VerifyEmail() {
  const linked = new URLSearchParams(window.location.search).get('token') ?? '';
  const [verified, setVerified] = useState(false);
  const { onSubmit, busy, problem, setProblem } = useSubmit(async (form) => verify(String(form.get('token'))));

  async function verify(token: string) {
    const { error, response } = await publicUsers.POST('/auth/verify', { body: { token: token.trim() } });
    if (error) return summarize(error, response);
    setVerified(true);
    return null;
  }
  // A link verifies at once, once (a token works once).
  const tried = useRef(false);
  useEffect(() => {
    if (!linked || tried.current) return;
    tried.current = true;
    void verify(linked).then(setProblem);
  }, [linked]);

  return (
    <section className="narrow">
      <h1>Verify your email address</h1>
      {verified ? (
        <Alert kind="info">
          Your address is verified. {mayBeSignedIn()
            ? <>Open the invitation link again to join, or go to <Link to="/organization">your organizations</Link>.</>
            : <><Link to="/login">Log in</Link>, then open the invitation link again to join.</>}
        </Alert>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          {problem && <Alert>{problem.detail}</Alert>}
          <Field label="Verification token" name="token" required autoComplete="one-time-code" defaultValue={linked}
            error={problem?.fields.token} />
          <button type="submit" disabled={busy}>Verify</button>
        </form>
      )}
    </section>
  );
}
