import { Injectable } from '@nestjs/common';
import { RequestContext, TransactionService } from '@portico/core';
import { OrganizationRef, OrganizationsService } from '@portico/organizations';
import { MembershipsService } from '@portico/users';
import { dnSpellings, firstRdnValue, normalizeDn } from '../config/dn';
import { DIRECTORY_ROLES, type DirectoryRole, type GroupRoleMapping } from '../config/presets';

export interface MappedGroup {
  groupDn: string;
  role: DirectoryRole;
  organization: OrganizationRef | null;
}

// owner outranks admin outranks member: someone in two mapped groups gets the higher role.
const rank = (role: DirectoryRole) => DIRECTORY_ROLES.length - DIRECTORY_ROLES.indexOf(role);

/**
 * Group → role mapping. A mapped group stands for the organization of the directory's tenant whose
 * externalUid is the group's DN, or else the value of its first RDN (cn=Sales,ou=groups,… → "Sales"),
 * compared case-insensitively. For the organizations the mapping points at, the directory is the
 * authority: each sign-in sets the role its groups give and removes the membership when the user is
 * in none of them. Memberships in other organizations are left alone.
 */
@Injectable()
export class GroupRoles {
  constructor(
    private readonly tx: TransactionService,
    private readonly organizations: OrganizationsService,
    private readonly memberships: MembershipsService,
  ) {}

  /** Each mapping entry with the organization it stands for (null: none in this tenant). */
  async resolve(tenantId: string | null, mapping: GroupRoleMapping): Promise<MappedGroup[]> {
    const entries = Object.entries(mapping);
    if (!entries.length) return [];
    const ctx = RequestContext.system('ldap');
    const candidates = entries.flatMap(([dn]) => [...dnSpellings(dn), firstRdnValue(dn) ?? dn]);
    const orgs = await this.organizations.findByExternalUids(ctx, tenantId, candidates);
    const key = (uid: string) => normalizeDn(uid) ?? uid.toLowerCase();
    const byDn = new Map(orgs.filter((o) => o.externalUid && normalizeDn(o.externalUid)).map((o) => [key(o.externalUid!), o]));
    const byName = new Map(orgs.map((o) => [(o.externalUid ?? '').toLowerCase(), o]));
    return entries.map(([groupDn, role]) => ({
      groupDn,
      role,
      organization: byDn.get(key(groupDn)) ?? byName.get((firstRdnValue(groupDn) ?? '').toLowerCase()) ?? null,
    }));
  }

  /** The mapping entries the user's groups match. */
  matching(mapped: MappedGroup[], groups: string[]): MappedGroup[] {
    const mine = new Set(groups.map((g) => normalizeDn(g) ?? g.toLowerCase()));
    return mapped.filter((m) => mine.has(normalizeDn(m.groupDn) ?? m.groupDn.toLowerCase()));
  }

  /** Brings the user's memberships in the mapped organizations in line with their groups (inside the caller's transaction). */
  async apply(tenantId: string | null, mapping: GroupRoleMapping, userId: string, groups: string[]): Promise<void> {
    const mapped = (await this.resolve(tenantId, mapping)).filter((m) => m.organization);
    if (!mapped.length) return;
    const wanted = new Map<string, DirectoryRole>();
    for (const m of this.matching(mapped, groups)) {
      const current = wanted.get(m.organization!.id);
      if (!current || rank(m.role) > rank(current)) wanted.set(m.organization!.id, m.role);
    }
    const ctx = RequestContext.system('ldap');
    await this.tx.run(async () => {
      const held = new Map((await this.memberships.organizationsOf(ctx, userId)).map((o) => [o.organization.id, o.role]));
      for (const orgId of new Set(mapped.map((m) => m.organization!.id))) {
        const role = wanted.get(orgId);
        if (role && held.get(orgId) !== role) await this.memberships.setRole(ctx, orgId, userId, role, { fromDirectory: true });
        else if (!role && held.has(orgId)) await this.memberships.remove(ctx, orgId, userId, { fromDirectory: true });
      }
    });
  }
}
