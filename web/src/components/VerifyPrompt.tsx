import { useState } from 'react';
import { publicUsers, summarize } from '../api/client';
import { Alert } from './forms';

/** An unverified address: why it matters and a button that mails the
 * verification link (`/verify-email?token=…`). */
export function VerifyPrompt({ email, why }: { email: string; why: string }) {
  const [sent, setSent] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function send() {
    setBusy(true);
    const { error, response } = await publicUsers.POST('/auth/request-verify-token', { body: { email } });
    setBusy(false);
    if (error) setProblem(summarize(error, response).detail);
    else setSent(true);
  }

  return (
    <div className="card" data-testid="verify-prompt">
      <p>{why}</p>
      {problem && <Alert>{problem}</Alert>}
      {sent ? (
        <Alert kind="info">A verification mail is on its way to {email}: open its link. (In local development it is in the user-service log.)</Alert>
      ) : (
        <button type="button" disabled={busy} onClick={() => void send()}>Send a verification mail</button>
      )}
    </div>
  );
}
