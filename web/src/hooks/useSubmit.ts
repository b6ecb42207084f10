import { useState, type FormEvent } from 'react';
import type { ProblemSummary } from '../api/client';

/**
 * A form's submit handler, written once: it stops the browser's own
 * submit, hands the form's fields to `action`, keeps `busy` while it runs
 * and keeps what went wrong. `action` returns a problem, or null when done.
 */
export function useSubmit(action: (form: FormData, element: HTMLFormElement) => Promise<ProblemSummary | null>) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ProblemSummary | null>(null);
  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const element = event.currentTarget;
    setBusy(true);
    try {
      setProblem(await action(new FormData(element), element));
    } finally {
      setBusy(false);
    }
  }
  return { onSubmit, busy, problem, setProblem };
}
