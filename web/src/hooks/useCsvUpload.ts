import { useState } from 'react';
import { summarize, type Problem } from '../api/client';
import type { RowError } from '../components/RowErrors';

/** A CSV file as a request body: its own bytes (the services read UTF-8,
 * with or without a byte-order mark), as `text/csv`. */
export function csvBody(file: File) {
  return {
    body: file as unknown as string,
    bodySerializer: (body: string) => body,
    headers: { 'Content-Type': 'text/csv' },
  };
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

/**
 * An all-or-nothing CSV upload from a form's `file` input, written once:
 * the chosen file sent by `send`, `busy` while it runs, and what went
 * wrong: a line, the rows' problems, the other fields' problems.
 */
export function useCsvUpload() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [rowErrors, setRowErrors] = useState<RowError[]>([]);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  function clear() {
    setError(null);
    setRowErrors([]);
    setFieldErrors({});
  }

  /** Sends `form`'s chosen file; the answer and the file once stored (the
   * form then reset), else null with the problems kept. */
  async function upload<T>(
    form: HTMLFormElement,
    send: (body: ReturnType<typeof csvBody>, fields: FormData) => Promise<Answer<T>>,
  ): Promise<{ data: T; file: File } | null> {
    const fields = new FormData(form);
    const file = fields.get('file');
    clear();
    if (!(file instanceof File) || file.size === 0) {
      setError('Choose a CSV file first.');
      return null;
    }
    setBusy(true);
    const { data, error, response } = await send(csvBody(file), fields);
    setBusy(false);
    if (error || data === undefined) {
      const problem = summarize(error, response);
      setError(problem.detail);
      setRowErrors((error as Problem | undefined)?.errors ?? []);
      setFieldErrors(problem.fields);
      return null;
    }
    form.reset();
    return { data, file };
  }

  return { busy, setBusy, error, setError, rowErrors, fieldErrors, clear, upload };
}
