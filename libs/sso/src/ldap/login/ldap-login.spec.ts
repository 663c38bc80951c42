import type { FirstFactorRoutes, LoginAttempt } from '@portico/auth';
import type { LoginAccount } from '@portico/users';
import type { DirectoryClient, DirectoryEntry, DirectorySession } from '../client/directory-client';
import { dnHash } from '../config/dn';
import { PRESET_DEFAULTS } from '../config/presets';
import type { LdapRepository, LoginDirectory } from '../ldap.repository';
import type { LdapAccount } from '../entities/ldap-account.entity';
import type { DirectoryAccounts } from './directory-accounts';
import { LdapLoginRouter } from './ldap-login';

const ADA: DirectoryEntry = { dn: 'uid=ada,ou=people,dc=example,dc=org', attributes: { uid: ['ada'], mail: ['ada@example.org'] } };
const DIRECTORY: LoginDirectory = {
  id: 'dir-1',
  name: 'Example',
  tenantId: 'tenant-1',
  jitProvisioning: true,
  groupRoleMapping: {},
  settings: {
    url: 'ldaps://ldap.example.org',
    bindDn: null,
    bindPassword: null,
    searchBase: 'dc=example,dc=org',
    searchFilter: PRESET_DEFAULTS.openldap.searchFilter,
    startTls: false,
    caCertificate: null,
    attributeMapping: PRESET_DEFAULTS.openldap.attributeMapping,
    groupSearchBase: null,
    groupSearchFilter: null,
    groupRoleMapping: {},
    timeoutMs: 1000,
  },
};
const account = (over: Partial<LoginAccount> = {}): LoginAccount => ({
  id: 'user-1',
  tenantId: 'tenant-1',
  email: 'ada@example.org',
  username: 'ada',
  firstName: 'Ada',
  lastName: 'Lovelace',
  status: 'active',
  isPlatformAdmin: false,
  passwordHash: null,
  authenticatorEnabled: false,
  emailVerified: true,
  createdVia: 'ldap',
  ...over,
});

// The bind an unknown name gets, so that it takes as long as a wrong password: a DN no entry has.
const DECOY = /^bind cn=portico-no-such-entry-[0-9a-f-]{36},/;

/** The router with its collaborators faked: what it asks the directory, and when it asks nothing. */
function setup(
  opts: { ldapOn?: boolean; directories?: LoginDirectory[]; account?: LoginAccount | null; link?: Partial<LdapAccount> | null } = {},
) {
  const calls: string[] = [];
  const session: DirectorySession = {
    findUser: async (username) => {
      calls.push(`search ${username}`);
      return username === 'ada' ? ADA : null;
    },
    checkPassword: async (dn, password) => {
      calls.push(`bind ${dn}`);
      return password === 'right';
    },
    groupsOf: async () => [],
  };
  const client = { run: (_s: unknown, work: (s: DirectorySession) => Promise<unknown>) => work(session) } as unknown as DirectoryClient;
  const store = {
    forLogin: async () => opts.directories ?? [DIRECTORY],
    accountOf: async () =>
      opts.link ? ({ directoryId: 'dir-1', userId: 'user-1', username: 'ada', dnHash: dnHash(ADA.dn), ...opts.link } as LdapAccount) : null,
  } as unknown as LdapRepository;
  const accounts = {
    accountFor: async (_d: unknown, _t: unknown, claimed: LoginAccount | null) => ({ ok: true, account: claimed ?? account() }),
  } as unknown as DirectoryAccounts;
  const real = new LdapLoginRouter({ register: () => undefined } as unknown as FirstFactorRoutes, store, client, accounts);
  // What LoginService hands every router: the tenant's method switches and the account the login names.
  const router = {
    route: (attempt: Pick<LoginAttempt, 'tenant' | 'login' | 'siteId'>) =>
      real.route({
        ...attempt,
        methods: { password: true, saml: false, ldap: opts.ldapOn ?? true, external: false, oidc: false },
        account: opts.account === undefined ? null : opts.account,
      }),
  };
  const tenant = { id: 'tenant-1', key: 'acme', name: 'Acme', status: 'active' as const };
  return { router, calls, tenant };
}

describe('LDAP sign-in routing', () => {
  it('checks an unknown name against the directory: search, then bind as the entry found (or a decoy, costing the same)', async () => {
    const { router, calls, tenant } = setup();
    const factor = await router.route({ tenant, login: 'ada', siteId: null });
    expect(factor?.method).toBe('ldap');
    expect(await factor!.check(tenant, 'ada', 'right')).toMatchObject({ ok: true });
    expect(await factor!.check(tenant, 'ada', 'wrong')).toMatchObject({ ok: false });
    expect(await factor!.check(tenant, 'nobody', 'right')).toMatchObject({ ok: false });
    expect(calls).toEqual([`search ada`, `bind ${ADA.dn}`, `search ada`, `bind ${ADA.dn}`, 'search nobody', expect.stringMatching(DECOY)]);
  });

  it('sends nothing to the directory for an empty password', async () => {
    const { router, calls, tenant } = setup();
    const factor = await router.route({ tenant, login: 'ada', siteId: null });
    expect(await factor!.check(tenant, 'ada', '')).toMatchObject({ ok: false, details: { refused: 'empty password' } });
    expect(calls).toEqual([]);
  });

  it('leaves platform admins, Portico passwords, a switched-off method and a tenant without a directory to Portico', async () => {
    const tenant = { id: 'tenant-1', key: 'acme', name: 'Acme', status: 'active' as const };
    expect(
      await setup({ account: account({ isPlatformAdmin: true, tenantId: null }) }).router.route({
        tenant: null,
        login: 'ada',
        siteId: null,
      }),
    ).toBeNull();
    expect(
      await setup({ account: account({ passwordHash: '$argon2id$…' }) }).router.route({ tenant, login: 'ada', siteId: null }),
    ).toBeNull();
    expect(await setup({ ldapOn: false }).router.route({ tenant, login: 'ada', siteId: null })).toBeNull();
    expect(await setup({ directories: [] }).router.route({ tenant, login: 'ada', siteId: null })).toBeNull();
  });

  it('checks a linked account by the name it was linked with, and only against its own entry', async () => {
    const linked = setup({ account: account(), link: {} });
    const factor = await linked.router.route({ tenant: linked.tenant, login: 'ada@example.org', siteId: null });
    expect(await factor!.check(linked.tenant, 'ada@example.org', 'right')).toMatchObject({ ok: true });
    expect(linked.calls).toEqual([`search ada`, `bind ${ADA.dn}`]);

    const moved = setup({ account: account(), link: { dnHash: dnHash('uid=ada,ou=former,dc=example,dc=org') } });
    const other = await moved.router.route({ tenant: moved.tenant, login: 'ada', siteId: null });
    expect(await other!.check(moved.tenant, 'ada', 'right')).toMatchObject({ ok: false });
    expect(moved.calls).toEqual(['search ada', expect.stringMatching(DECOY)]);

    // Its directory switched off: the account is Portico's alone.
    const off = setup({ account: account(), link: { directoryId: 'dir-gone' } });
    expect(await off.router.route({ tenant: off.tenant, login: 'ada', siteId: null })).toBeNull();
  });
});
