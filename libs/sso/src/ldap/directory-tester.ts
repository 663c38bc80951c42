import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { DirectoryClient, DirectoryError } from './client/directory-client';
import type { DirectorySettings } from './config/directory-check';
import type { LdapTestResultView } from './dto/ldap-directory.dto';
import { attributeOf } from './login/directory-accounts';
import { GroupRoles } from './login/group-roles';

/** The console's and the API's "test": one user looked up as a sign-in would, nothing created or changed. */
@Injectable()
export class DirectoryTester {
  constructor(
    private readonly client: DirectoryClient,
    private readonly groupRoles: GroupRoles,
  ) {}

  async test(tenantId: string | null, settings: DirectorySettings, username: string, password?: string): Promise<LdapTestResultView> {
    const started = performance.now();
    const empty = { dn: null, attributes: null, groups: [], memberships: [] };
    const done = (view: Omit<LdapTestResultView, 'durationMs'>): LdapTestResultView => ({
      ...view,
      durationMs: Math.round(performance.now() - started),
    });
    try {
      const found = await this.client.run(settings, async (session) => {
        const entry = await session.findUser(username);
        if (!entry) return null;
        const accepted = password === undefined ? null : await session.checkPassword(entry.dn, password);
        return { entry, accepted, groups: accepted === false ? [] : await session.groupsOf(entry) };
      });
      if (!found)
        return done({
          outcome: 'not-found',
          message: 'The search filter finds no entry for this username under the search base.',
          failure: null,
          ...empty,
        });
      const map = settings.attributeMapping;
      const attributes = {
        username: attributeOf(found.entry, map.username),
        email: attributeOf(found.entry, map.email),
        firstName: attributeOf(found.entry, map.firstName),
        lastName: attributeOf(found.entry, map.lastName),
      };
      if (found.accepted === false)
        return done({
          outcome: 'wrong-password',
          message: 'The entry was found, but the directory refused the password.',
          failure: null,
          dn: found.entry.dn,
          attributes,
          groups: [],
          memberships: [],
        });
      const mapped = this.groupRoles.matching(await this.groupRoles.resolve(tenantId, settings.groupRoleMapping), found.groups);
      return done({
        outcome: found.accepted ? 'authenticated' : 'found',
        message: found.accepted
          ? 'The directory accepted the password. A sign-in would map the attributes below.'
          : 'The entry was found (no password given, so none was checked).',
        failure: null,
        dn: found.entry.dn,
        attributes,
        groups: found.groups,
        memberships: mapped.map((m) => ({
          groupDn: m.groupDn,
          role: m.role,
          organization: m.organization ? { id: m.organization.id, name: m.organization.name, siteId: m.organization.siteId } : null,
        })),
      });
    } catch (err) {
      if (!(err instanceof DirectoryError)) throw err;
      return done({ outcome: 'failed', message: err.message, failure: err.failure, ...empty });
    }
  }
}
