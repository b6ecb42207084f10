import type { Problem } from '../api/client';

export type RowError = NonNullable<Problem['errors']>[number];

/** A CSV's problems by spreadsheet line and column, as an all-or-nothing
 * upload answers them (nothing was stored). */
export function RowErrors({ errors, testId }: { errors: RowError[]; testId: string }) {
  if (errors.length === 0) return null;
  return (
    <table className="row-errors" data-testid={testId}>
      <caption>What to fix in the file (nothing was stored; line 1 is the header)</caption>
      <thead>
        <tr><th scope="col">Line</th><th scope="col">Column</th><th scope="col">Problem</th></tr>
      </thead>
      <tbody>
        {errors.map((e, i) => (
          // The API counts data rows from 1; a spreadsheet shows the header as line 1.
          <tr key={i}><td>{e.row ? e.row + 1 : '—'}</td><td>{e.field}</td><td>{e.message}</td></tr>
        ))}
      </tbody>
    </table>
  );
}
