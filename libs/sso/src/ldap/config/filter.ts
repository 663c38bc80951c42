import { type Filter, FilterParser } from 'ldapts';

/** The placeholders a filter template may hold. */
export interface FilterValues {
  username?: string;
  dn?: string;
}

/**
 * A value made safe for the inside of an RFC 4515 filter. The grammar gives `* ( ) \` and NUL a
 * meaning, so they must become `\XX`; any character may be escaped, so every ASCII character other
 * than a letter, digit or `. _ @ -` is, leaving a parser nothing to misread. Characters beyond ASCII
 * stay as they are (the RFC allows UTF-8 there): ldapts turns each `\XX` into one character, so
 * escaping the bytes of a UTF-8 sequence would corrupt them.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[^A-Za-z0-9._@\-\u0080-\uffff]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The template with its placeholders replaced by escaped values, parsed: a value can only ever be a value. */
export function fillFilter(template: string, values: FilterValues): Filter {
  const text = template.replace(/\{\{(username|dn)\}\}/g, (_m, name: keyof FilterValues) => escapeFilterValue(values[name] ?? ''));
  // ldapts reads "(&(a=b)" as if it were closed; a value holds no bare parenthesis, so counting them is exact.
  if (text.split('(').length !== text.split(')').length) throw new Error(`Unbalanced parentheses in ${text}`);
  return FilterParser.parseString(text);
}

/** What is wrong with a filter template, or null: it must parse and hold each required placeholder. */
export function filterTemplateProblem(field: string, template: string, required: (keyof FilterValues)[]): string | null {
  const missing = required.filter((name) => !template.includes(`{{${name}}}`));
  if (missing.length) return `${field} must contain the placeholder ${missing.map((n) => `{{${n}}}`).join(' and ')}`;
  const unknown = /\{\{(?!username\}\}|dn\}\})[^}]*\}\}/.exec(template);
  if (unknown) return `${field} contains the unknown placeholder ${unknown[0]}: only {{username}} and {{dn}} are replaced`;
  try {
    fillFilter(template, { username: 'example', dn: 'cn=example,dc=example,dc=org' });
    return null;
  } catch {
    return `${field} is not a valid LDAP filter (RFC 4515), e.g. (&(objectClass=inetOrgPerson)(uid={{username}}))`;
  }
}
