import type { ReactNode } from 'react';

/** A chart under its heading, with the same figures as a table for screen readers and keyboards. */
export function ChartFigure({ id, title, chart, tableTitle, table }: {
  id: string; title: string; chart: ReactNode; tableTitle: string; table: ReactNode;
}) {
  return (
    <>
      <h2 id={id}>{title}</h2>
      <figure aria-labelledby={id}>
        <div className="chart" aria-hidden="true">{chart}</div>
        <details>
          <summary>{tableTitle}</summary>
          {/* A table of many types scrolls in its own box on a phone. */}
          <div className="table-scroll" tabIndex={0} role="region" aria-label={tableTitle}>{table}</div>
        </details>
      </figure>
    </>
  );
}
