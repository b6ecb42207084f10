import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { ProblemSummary } from '../api/client';

/**
 * A form's submit handler, written once: it stops the browser's own
 * submit, hands the form's fields to `action`, keeps `busy` while it runs
 * and keeps what went wrong. `action` returns a problem, or null when done.
 * A problem moves the focus to the first field it marks invalid (else
 * brings the form's alert into view): on a phone both may be a screen away
 * from the button.
 */
export function useSubmit(action: (form: FormData, element: HTMLFormElement) => Promise<ProblemSummary | null>) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ProblemSummary | null>(null);
  const submitted = useRef<HTMLFormElement | null>(null);
  useEffect(() => {
    const form = submitted.current;
    if (!problem || !form?.isConnected) return;
    const field = form.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (field) field.focus();
    else form.querySelector('[role="alert"]')?.scrollIntoView({ block: 'nearest' });
  }, [problem]);
  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const element = event.currentTarget;
    submitted.current = element;
    setBusy(true);
    try {
      setProblem(await action(new FormData(element), element));
    } finally {
      setBusy(false);
    }
  }
  return { onSubmit, busy, problem, setProblem };
}
