// An audit entry as a reader takes it in: people by their email rather
// than their id, and what changed in a line.
import type { CarbonSchemas } from '../../api/client';

export type Entry = CarbonSchemas['EntryView'];

export interface Actor {
  user_id: string;
  role: string;
  superuser: boolean;
}

/** The header's fields the page shows (the service documents them all). */
export interface Header {
  at: string;
  actor: Actor | null;
  action: string;
  entity: string;
  entity_id: string;
}

/** User ids to the emails of the organization's members. */
export type Names = ReadonlyMap<string, string>;

export function headerOf(entry: Entry): Header {
  return entry.header as unknown as Header;
}

/** A user as the reader knows them: "you", a member's email, else the
 * start of the id (a former member, or a superuser from outside). */
export function who(id: string, names: Names, me: string | undefined): string {
  if (id === me) return 'you';
  return names.get(id) ?? `${id.slice(0, 8)}…`;
}

/** A value with the ids of members in it named. */
function shown(value: unknown, names: Names): string {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'string') return names.get(value) ?? value;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** What a create shows of an entity an assurer samples: what it is, how
 * much and when (the first fields alone left an instrument's amount out). */
const CREATED_FIELDS: Record<string, readonly string[]> = {
  usage: ['usage_type_id', 'amount', 'unit', 'usage_at', 'co2e'],
  instrument: ['scheme', 'region', 'from', 'to', 'amount', 'unit', 'reference'],
  facility: ['name', 'country', 'region'],
};

const counted = (n: unknown, noun: string) => `${String(n)} ${noun}${Number(n) === 1 ? '' : 's'}`;

/** What an entry changed, in a line: the fields whose values differ, a
 * reason, a count, or what was created. Empty once redacted. */
export function changed(entry: Entry, names: Names): string {
  const payload = (entry.payload ?? {}) as Record<string, unknown>;
  const before = (payload.before ?? {}) as Record<string, unknown>;
  const after = (payload.after ?? {}) as Record<string, unknown>;
  if (payload.before && payload.after) {
    const fields = Object.keys(after).filter((k) => k !== 'version' && JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    return fields.map((k) => `${k}: ${shown(before[k], names)} → ${shown(after[k], names)}`).join('; ');
  }
  if (payload.reason) return `reason: ${String(payload.reason)}`;
  if (payload.head) {
    const head = payload.head as { seq: string; hash: string };
    return `trail head #${head.seq} ${head.hash.slice(0, 12)}…`;
  }
  if (payload.rows) return counted(payload.rows, 'row');
  if (payload.usages) return counted(payload.usages, 'usage');
  if (payload.after) {
    const fields = CREATED_FIELDS[headerOf(entry).entity];
    if (fields) {
      return fields.filter((k) => after[k] !== undefined && after[k] !== null)
        .map((k) => `${k}: ${shown(after[k], names)}`).join('; ');
    }
    return Object.entries(after)
      .filter(([k]) => k !== 'id')
      .slice(0, 4)
      .map(([k, v]) => `${k}: ${shown(v, names)}`)
      .join('; ');
  }
  if (payload.before) return 'deleted';
  return '';
}

/** The entry's action and entity, with the member it is about named. */
export function what(header: Header, names: Names): string {
  const subject = names.get(header.entity_id);
  return [header.action, header.entity.replace('_', ' '), subject].filter(Boolean).join(' ');
}

/** The actors of `entries` who are neither the reader nor a member
 * (former members, superusers), once each: the actor filter offers them
 * too. */
export function otherActors(entries: readonly Entry[], names: Names, me: string | undefined): Actor[] {
  const seen = new Map<string, Actor>();
  for (const entry of entries) {
    const actor = headerOf(entry).actor;
    if (!actor || actor.user_id === me || names.has(actor.user_id)) continue;
    if (!seen.has(actor.user_id)) seen.set(actor.user_id, actor);
  }
  return [...seen.values()];
}
