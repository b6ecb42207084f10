import { Link } from 'react-router';

/** Opens the audit trail on one entity (owners, admins and auditors read
 * it); an imported usage also names its import, whose entry created it. */
export function HistoryLink({ entity, id, label, importId }: { entity: string; id: string; label: string; importId?: string }) {
  const query = new URLSearchParams({ entity, entity_id: id, ...(importId ? { import: importId } : {}) });
  return <Link to={`/audit?${query.toString()}`} className="history" aria-label={`History of ${label}`}>History</Link>;
}
