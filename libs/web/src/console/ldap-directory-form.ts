import { DIRECTORY_ROLES, type LdapDirectoryView, type LdapPreset, LDAP_PRESETS, PRESET_DEFAULTS } from '@portico/sso';
import { checkbox, FormBody, text } from './forms';

export const LDAP_LABELS: Record<string, string> = {
  name: 'Name',
  url: 'URL',
  preset: 'Preset',
  bindDn: 'Bind DN',
  bindPassword: 'Bind password',
  searchBase: 'Search base',
  searchFilter: 'Search filter',
  caCertificate: 'CA certificate',
  'attributeMapping.username': 'Username attribute',
  'attributeMapping.email': 'Email attribute',
  'attributeMapping.firstName': 'First-name attribute',
  'attributeMapping.lastName': 'Last-name attribute',
  'attributeMapping.groups': 'Groups attribute',
  groupSearchBase: 'Group search base',
  groupSearchFilter: 'Group search filter',
  timeoutMs: 'Timeout (ms)',
};

export const PRESET_CHOICES = LDAP_PRESETS.map((value) => ({
  value,
  label:
    value === 'openldap'
      ? 'OpenLDAP (uid, inetOrgPerson, groupOfNames)'
      : 'Active Directory (sAMAccountName / userPrincipalName, memberOf)',
}));

export type ParsedMapping = { ok: true; value: Record<string, string> } | { ok: false; error: string };

/** The group mapping box: one "role: group DN" per line (the role first, since DNs contain = and ,). */
export function parseGroupMapping(raw: string): ParsedMapping {
  const value: Record<string, string> = {};
  const lines = raw.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    const m = /^\s*([A-Za-z]+)\s*:\s*(.+?)\s*$/.exec(line);
    if (!m || !DIRECTORY_ROLES.includes(m[1].toLowerCase() as never))
      return {
        ok: false,
        error: `Group mapping, line ${i + 1}: write “role: group DN” with the role ${DIRECTORY_ROLES.join(', ')}, e.g. admin: cn=portal-admins,ou=groups,dc=example,dc=org`,
      };
    value[m[2]] = m[1].toLowerCase();
  }
  return { ok: true, value };
}

export function formatGroupMapping(mapping: Record<string, string>): string {
  return Object.entries(mapping)
    .map(([dn, role]) => `${role}: ${dn}`)
    .join('\n');
}

/** A textarea as typed (PEM keeps its line breaks, which browsers send as CRLF), or undefined when left empty. */
function block(form: FormBody, name: string): string | undefined {
  const value = form[name];
  return typeof value === 'string' && value.trim() ? value.trim().replace(/\r\n?/g, '\n') : undefined;
}

function timeout(form: FormBody): number | string | undefined {
  const raw = text(form, 'timeoutMs');
  if (!raw) return undefined;
  return /^\d{1,9}$/.test(raw) ? Number(raw) : raw;
}

function preset(form: FormBody): string {
  return text(form, 'preset') || 'openldap';
}

type Governed =
  | 'searchFilter'
  | 'groupSearchFilter'
  | 'usernameAttribute'
  | 'emailAttribute'
  | 'firstNameAttribute'
  | 'lastNameAttribute'
  | 'groupsAttribute';

/** What a preset puts in each of the form's preset-governed boxes. */
function presetBoxes(p: LdapPreset): Record<Governed, string> {
  const d = PRESET_DEFAULTS[p];
  return {
    searchFilter: d.searchFilter,
    groupSearchFilter: d.groupSearchFilter ?? '',
    usernameAttribute: d.attributeMapping.username,
    emailAttribute: d.attributeMapping.email,
    firstNameAttribute: d.attributeMapping.firstName,
    lastNameAttribute: d.attributeMapping.lastName,
    groupsAttribute: d.attributeMapping.groups ?? '',
  };
}

/**
 * The form as the API's body. Preset-governed boxes left empty take the preset's value; on the edit
 * form, boxes still holding the previous preset's value follow a newly chosen preset.
 */
function body(form: FormBody, editing: boolean): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  const mapping = parseGroupMapping(typeof form.groupRoleMapping === 'string' ? form.groupRoleMapping : '');
  if (!mapping.ok) return mapping;
  const chosen = preset(form);
  const previous = text(form, 'previousPreset');
  const stale =
    editing && previous !== chosen && (LDAP_PRESETS as readonly string[]).includes(previous) ? presetBoxes(previous as LdapPreset) : null;
  const governed = (name: Governed): string | undefined => {
    const value = text(form, name);
    return !value || (stale && stale[name] === value) ? undefined : value;
  };
  const groupSearch = governed('groupSearchFilter');
  const groupsAttribute = governed('groupsAttribute');
  // An emptied group-search box means "no group search" once the preset is settled.
  const presetSettled = !stale;
  const attributeMapping = {
    username: governed('usernameAttribute'),
    email: governed('emailAttribute'),
    firstName: governed('firstNameAttribute'),
    lastName: governed('lastNameAttribute'),
    groups: groupsAttribute ?? (presetSettled && editing && !text(form, 'groupsAttribute') ? null : undefined),
  };
  const bindPassword = typeof form.bindPassword === 'string' && form.bindPassword !== '' ? form.bindPassword : undefined;
  return {
    ok: true,
    value: {
      name: text(form, 'name'),
      url: text(form, 'url'),
      preset: chosen,
      bindDn: text(form, 'bindDn') || (editing ? null : undefined),
      bindPassword,
      searchBase: text(form, 'searchBase'),
      searchFilter: governed('searchFilter'),
      startTls: checkbox(form, 'startTls'),
      caCertificate: block(form, 'caCertificate') ?? (editing ? null : undefined),
      attributeMapping: Object.fromEntries(Object.entries(attributeMapping).filter(([, v]) => v !== undefined)),
      groupSearchBase: text(form, 'groupSearchBase') || (editing ? null : undefined),
      groupSearchFilter: groupSearch ?? (presetSettled && editing ? null : undefined),
      groupRoleMapping: mapping.value,
      jitProvisioning: checkbox(form, 'jitProvisioning'),
      enabled: checkbox(form, 'enabled'),
      timeoutMs: timeout(form) ?? (editing ? '' : undefined),
    },
  };
}

export const directoryFromCreateForm = (form: FormBody) => body(form, false);
export const directoryFromEditForm = (form: FormBody) => body(form, true);

/** The values a new-directory form starts with: the OpenLDAP preset, enabled. */
export function newDirectoryFormValues(form: FormBody = {}): FormBody {
  return {
    preset: 'openldap',
    previousPreset: 'openldap',
    ...presetBoxes('openldap'),
    timeoutMs: '5000',
    enabled: 'on',
    ...form,
    bindPassword: '',
  };
}

/** The values the edit form starts with. */
export function directoryFormValues(d: LdapDirectoryView): FormBody {
  return {
    name: d.name,
    url: d.url,
    preset: d.preset,
    previousPreset: d.preset,
    bindDn: d.bindDn ?? '',
    searchBase: d.searchBase,
    searchFilter: d.searchFilter,
    startTls: d.startTls ? 'on' : '',
    caCertificate: d.caCertificate ?? '',
    usernameAttribute: d.attributeMapping.username,
    emailAttribute: d.attributeMapping.email,
    firstNameAttribute: d.attributeMapping.firstName,
    lastNameAttribute: d.attributeMapping.lastName,
    groupsAttribute: d.attributeMapping.groups ?? '',
    groupSearchBase: d.groupSearchBase ?? '',
    groupSearchFilter: d.groupSearchFilter ?? '',
    groupRoleMapping: formatGroupMapping(d.groupRoleMapping),
    jitProvisioning: d.jitProvisioning ? 'on' : '',
    enabled: d.enabled ? 'on' : '',
    timeoutMs: String(d.timeoutMs),
  };
}

/** How the connection is protected, in words for the list and the page head. */
export function transportBadge(d: Pick<LdapDirectoryView, 'transport'>): { label: string; tone: 'ok' | 'warn' } {
  if (d.transport === 'ldaps') return { label: 'LDAPS', tone: 'ok' };
  if (d.transport === 'starttls') return { label: 'StartTLS', tone: 'ok' };
  return { label: 'unencrypted', tone: 'warn' };
}
