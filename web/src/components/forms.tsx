import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

/** A labelled input with its error announced next to it. */
export function Field({
  label,
  error,
  hint,
  ...input
}: { label: string; error?: string; hint?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const described = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={described || undefined} {...input} />
      {hint && <p id={`${id}-hint`} className="hint">{hint}</p>}
      {error && <p id={`${id}-error`} className="field-error">{error}</p>}
    </div>
  );
}

export function SelectField({
  label,
  error,
  hint,
  children,
  ...select
}: { label: string; error?: string; hint?: string; children: ReactNode } & React.SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  const described = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} aria-invalid={error ? true : undefined} aria-describedby={described || undefined} {...select}>
        {children}
      </select>
      {hint && <p id={`${id}-hint`} className="hint">{hint}</p>}
      {error && <p id={`${id}-error`} className="field-error">{error}</p>}
    </div>
  );
}

/** A message for the whole form or page. */
export function Alert({ kind = 'error', children }: { kind?: 'error' | 'info'; children: ReactNode }) {
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** How the example dataset's placeholder types are marked wherever they appear. */
export const ILLUSTRATIVE = 'illustrative, not for reporting';

/** A usage type in a picker: its name, unit and, for a placeholder, the mark. */
export const typeLabel = (t: { name: string; unit: string; illustrative: boolean }): string =>
  `${t.name} (${t.unit})${t.illustrative ? `, ${ILLUSTRATIVE}` : ''}`;

/** A figure in a table: thousands grouped, at most two decimals (7,055.36). */
export const formatFigure = (x: number) => x.toLocaleString('en', { maximumFractionDigits: 2 });

/** kg CO₂e, readable. A no-break space keeps the figure with its unit
 * when a narrow cell wraps. */
export function formatCo2e(kg: number): string {
  if (Math.abs(kg) >= 1000) return `${formatFigure(kg / 1000)}\u00a0t CO₂e`;
  return `${formatFigure(kg)}\u00a0kg CO₂e`;
}

/** An amount as it was entered, every digit kept, with thousands grouped. */
export const formatAmount = (amount: number): string => amount.toLocaleString('en', { maximumFractionDigits: 20 });
