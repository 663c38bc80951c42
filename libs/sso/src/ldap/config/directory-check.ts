import { X509Certificate } from 'node:crypto';
import { isDn } from './dn';
import { filterTemplateProblem } from './filter';
import { AttributeMapping, DIRECTORY_ROLES, GroupRoleMapping } from './presets';

/** A directory's settings as stored, with the bind password readable: what the checks and the client work from. */
export interface DirectorySettings {
  url: string;
  bindDn: string | null;
  bindPassword: string | null;
  searchBase: string;
  searchFilter: string;
  startTls: boolean;
  caCertificate: string | null;
  attributeMapping: AttributeMapping;
  groupSearchBase: string | null;
  groupSearchFilter: string | null;
  groupRoleMapping: GroupRoleMapping;
  timeoutMs: number;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
// An attribute description: a name (RFC 4512 keystring) or a numeric OID.
const ATTRIBUTE = /^(?:[A-Za-z][A-Za-z0-9-]{0,63}|\d+(?:\.\d+)+)$/;
export const MAX_GROUP_MAPPINGS = 200;

/** The PEM certificates of a CA bundle, or null when it holds none that parse. */
export function caCertificates(pem: string): string[] | null {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (!blocks.length) return null;
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      return null;
    }
  }
  return blocks;
}

export function usesTls(s: Pick<DirectorySettings, 'url' | 'startTls'>): boolean {
  return s.url.toLowerCase().startsWith('ldaps:') || s.startTls;
}

/** What is wrong with a directory's settings, each naming its field, for a 400 the administrator can act on. */
export function directoryProblems(s: DirectorySettings): string[] {
  const problems: string[] = [];
  problems.push(...urlProblems(s.url));
  const ldaps = /^ldaps:/i.test(s.url);
  if (s.startTls && ldaps) problems.push('startTls applies to ldap:// URLs only: an ldaps:// URL is TLS from the first byte');
  if (s.caCertificate !== null) {
    if (!caCertificates(s.caCertificate)) problems.push('caCertificate must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)');
    else if (!usesTls(s)) problems.push('caCertificate is only used over TLS: use an ldaps:// URL or turn on startTls');
  }
  if (s.bindDn !== null && !isDn(s.bindDn)) problems.push('bindDn must be a DN such as cn=portico,ou=services,dc=example,dc=org');
  if (s.bindDn !== null && !s.bindPassword)
    problems.push('bindPassword is required with bindDn (a DN without a password is an unauthenticated bind, which proves nothing)');
  if (s.bindDn === null && s.bindPassword) problems.push('bindPassword needs a bindDn (leave both out to search anonymously)');
  if (!isDn(s.searchBase)) problems.push('searchBase must be a DN such as ou=people,dc=example,dc=org');
  if (s.groupSearchBase !== null && !isDn(s.groupSearchBase))
    problems.push('groupSearchBase must be a DN such as ou=groups,dc=example,dc=org');
  const filter = filterTemplateProblem('searchFilter', s.searchFilter, ['username']);
  if (filter) problems.push(filter);
  if (s.groupSearchFilter !== null) {
    const group = /\{\{(dn|username)\}\}/.test(s.groupSearchFilter)
      ? filterTemplateProblem('groupSearchFilter', s.groupSearchFilter, [])
      : 'groupSearchFilter must contain the placeholder {{dn}} (the user’s DN) or {{username}}';
    if (group) problems.push(group);
  }
  for (const [key, value] of Object.entries(s.attributeMapping)) {
    if (key === 'groups' && value === null) continue;
    if (typeof value !== 'string' || !ATTRIBUTE.test(value))
      problems.push(`attributeMapping.${key} must be an attribute name such as mail`);
  }
  const mappings = Object.entries(s.groupRoleMapping);
  if (mappings.length > MAX_GROUP_MAPPINGS) problems.push(`groupRoleMapping may map at most ${MAX_GROUP_MAPPINGS} groups`);
  for (const [groupDn, role] of mappings) {
    if (groupDn.length > 1024 || !isDn(groupDn)) problems.push(`groupRoleMapping: "${groupDn.slice(0, 100)}" is not a group DN`);
    if (!DIRECTORY_ROLES.includes(role))
      problems.push(`groupRoleMapping["${groupDn.slice(0, 100)}"] must be one of ${DIRECTORY_ROLES.join(', ')}`);
  }
  return problems;
}

function urlProblems(raw: string): string[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return ['url must be an ldap:// or ldaps:// URL such as ldaps://ldap.example.com:636'];
  }
  const problems: string[] = [];
  if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') problems.push('url must start with ldap:// or ldaps://');
  if (!url.hostname) problems.push('url must name a host, e.g. ldaps://ldap.example.com');
  if (url.username || url.password) problems.push('url must not contain credentials: use bindDn and bindPassword');
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash)
    problems.push('url must be just the server (ldaps://host:port): put the search base in searchBase');
  return problems;
}
