import { Link } from 'react-router';

/** Opens the audit trail on one entity (owners, admins and auditors read it). */
export function HistoryLink({ entity, id, label, created }: { entity: string; id: string; label: string; created?: string }) {
  const query = new URLSearchParams({ entity, entity_id: id, ...(created ? { created: created.slice(0, 10) } : {}) });
  return <Link to={`/audit?${query.toString()}`} className="history" aria-label={`History of ${label}`}>History</Link>;
}
