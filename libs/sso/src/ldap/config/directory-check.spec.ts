import forge from 'node-forge';
import { directoryProblems, DirectorySettings } from './directory-check';
import { PRESET_DEFAULTS } from './presets';

/** A real self-signed certificate, made here (node-forge), so the PEM parses. */
function selfSignedPem(): string {
  const keys = forge.pki.rsa.generateKeyPair(1024);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: 'test CA' }]);
  cert.setIssuer([{ name: 'commonName', value: 'test CA' }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}
const CA = selfSignedPem();

const valid = (over: Partial<DirectorySettings> = {}): DirectorySettings => ({
  url: 'ldaps://ldap.example.org:636',
  bindDn: 'cn=portico,ou=services,dc=example,dc=org',
  bindPassword: 'secret',
  searchBase: 'ou=people,dc=example,dc=org',
  searchFilter: PRESET_DEFAULTS.openldap.searchFilter,
  startTls: false,
  caCertificate: null,
  attributeMapping: { ...PRESET_DEFAULTS.openldap.attributeMapping },
  groupSearchBase: null,
  groupSearchFilter: PRESET_DEFAULTS.openldap.groupSearchFilter,
  groupRoleMapping: {},
  timeoutMs: 5000,
  ...over,
});

describe('directory settings checks', () => {
  it('accepts both presets', () => {
    expect(directoryProblems(valid())).toEqual([]);
    const ad = PRESET_DEFAULTS['active-directory'];
    expect(
      directoryProblems(valid({ searchFilter: ad.searchFilter, attributeMapping: ad.attributeMapping, groupSearchFilter: null })),
    ).toEqual([]);
    expect(directoryProblems(valid({ url: 'ldap://10.0.0.5', startTls: true }))).toEqual([]);
  });

  it.each<[Partial<DirectorySettings>, RegExp]>([
    [{ url: 'https://ldap.example.org' }, /^url must start with ldap:\/\/ or ldaps:\/\//],
    [{ url: 'ldap.example.org' }, /^url must be an ldap:\/\/ or ldaps:\/\/ URL/],
    [{ url: 'ldaps://ldap.example.org/dc=example,dc=org' }, /^url must be just the server/],
    [{ url: 'ldaps://cn=x:pw@ldap.example.org' }, /^url must not contain credentials/],
    [{ startTls: true }, /^startTls applies to ldap:\/\/ URLs only/],
    [
      { url: 'ldap://ldap.example.org', caCertificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' },
      /^caCertificate must be one or more PEM certificates/,
    ],
    [{ caCertificate: 'not a certificate' }, /^caCertificate must be one or more PEM certificates/],
    [{ bindDn: 'portico' }, /^bindDn must be a DN/],
    [{ bindPassword: null }, /^bindPassword is required with bindDn/],
    [{ bindDn: null }, /^bindPassword needs a bindDn/],
    [{ searchBase: 'people' }, /^searchBase must be a DN/],
    [{ groupSearchBase: 'groups' }, /^groupSearchBase must be a DN/],
    [{ searchFilter: '(uid=ada)' }, /^searchFilter must contain the placeholder \{\{username\}\}/],
    [{ searchFilter: 'uid={{username}})(' }, /^searchFilter is not a valid LDAP filter/],
    [{ groupSearchFilter: '(objectClass=groupOfNames)' }, /^groupSearchFilter must contain the placeholder \{\{dn\}\}/],
    [
      { attributeMapping: { ...PRESET_DEFAULTS.openldap.attributeMapping, email: 'mail address' } },
      /^attributeMapping\.email must be an attribute name/,
    ],
    [{ groupRoleMapping: { 'not a dn': 'admin' } }, /^groupRoleMapping: "not a dn" is not a group DN/],
    [
      { groupRoleMapping: { 'cn=staff,dc=example,dc=org': 'superuser' as never } },
      /^groupRoleMapping\["cn=staff,dc=example,dc=org"\] must be one of owner, admin, member/,
    ],
  ])('refuses %o, naming the field', (over, message) => {
    const problems = directoryProblems(valid(over));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('; ')).toMatch(message);
  });

  it('takes a CA for ldaps:// and StartTLS, and refuses one on a connection that is not TLS', () => {
    expect(directoryProblems(valid({ caCertificate: CA }))).toEqual([]);
    expect(directoryProblems(valid({ url: 'ldap://ldap.example.org', startTls: true, caCertificate: `${CA}\n${CA}` }))).toEqual([]);
    expect(directoryProblems(valid({ url: 'ldap://ldap.example.org', caCertificate: CA }))).toEqual([
      'caCertificate is only used over TLS: use an ldaps:// URL or turn on startTls',
    ]);
  });
});
