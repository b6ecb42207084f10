// The organization roles' capability table, as the page follows it (the
// README's "Organizations and roles"; the services decide, and refuse the
// rest). No browser dependencies: unit-tested in node.
import type { components } from './user-service';

export type OrgRole = components['schemas']['OrgRole'];

/** What a role may do (the capability table of the README's
 * "Organizations and roles"; the services refuse the rest). */
export type Capability =
  | 'write_usages'
  | 'manage_inventory'
  | 'manage_members'
  | 'read_audit'
  | 'delete_organization'
  | 'unlock_periods';

export function can(capability: Capability, role: OrgRole): boolean {
  switch (capability) {
    case 'write_usages':
      return role === 'owner' || role === 'admin' || role === 'editor';
    case 'manage_inventory':
    case 'manage_members':
      return role === 'owner' || role === 'admin';
    case 'read_audit':
      return role === 'owner' || role === 'admin' || role === 'auditor';
    case 'delete_organization':
    case 'unlock_periods':
      return role === 'owner';
  }
}

/** The roles `role` may give: owners any, admins those below admin. */
export function grantable(role: OrgRole): OrgRole[] {
  if (role === 'owner') return ['viewer', 'editor', 'auditor', 'admin', 'owner'];
  if (role === 'admin') return ['viewer', 'editor', 'auditor'];
  return [];
}

