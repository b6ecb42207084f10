import { describe, expect, it } from 'vitest';
import { can, grantable, type OrgRole } from './roles';

const ROLES: OrgRole[] = ['owner', 'admin', 'editor', 'viewer', 'auditor'];

describe('the capability table the page follows (the services decide)', () => {
  it('lets editors and above write usages, and viewers and auditors read', () => {
    expect(ROLES.filter((r) => can('write_usages', r))).toEqual(['owner', 'admin', 'editor']);
  });

  it('lets admins and owners manage the inventory and the members', () => {
    expect(ROLES.filter((r) => can('manage_inventory', r))).toEqual(['owner', 'admin']);
    expect(ROLES.filter((r) => can('manage_members', r))).toEqual(['owner', 'admin']);
  });

  it('lets the auditor read what an admin reads', () => {
    expect(ROLES.filter((r) => can('read_audit', r))).toEqual(['owner', 'admin', 'auditor']);
  });

  it('lets only owners delete, unlock a period, and grant admin or owner', () => {
    expect(ROLES.filter((r) => can('delete_organization', r))).toEqual(['owner']);
    expect(ROLES.filter((r) => can('unlock_periods', r))).toEqual(['owner']);
    expect(grantable('owner')).toContain('owner');
    expect(grantable('admin')).toEqual(['viewer', 'editor', 'auditor']);
    expect(grantable('editor')).toEqual([]);
  });
});
