import type { UserView } from '@portico/users';
import type { FormProblem } from './forms';

/** The user page's profile fields as the form names them; an error that starts with one goes under it. */
export const PROFILE_LABELS = { email: 'Email', username: 'Username', firstName: 'First name', lastName: 'Last name' };
export const PASSWORD_LABELS = { password: 'Password' };

/** The profile fields a save changed, in the form's words. */
export function changedFields(before: UserView, after: UserView): string[] {
  const names: Record<string, string> = { ...PROFILE_LABELS, emailVerified: 'Email verified' };
  return Object.keys(names)
    .filter((k) => before[k as keyof UserView] !== after[k as keyof UserView])
    .map((k) => names[k].toLowerCase());
}

/**
 * Each error under the field it names: the form's label starts it ("Email: …", "Email is required."),
 * the domain named the field ("password is …") or the database did ("A user with this email already
 * exists …"); the rest stay general.
 */
export function errorsByLabel(
  failure: FormProblem | undefined,
  labels: Record<string, string>,
): { general: string[]; fields: Record<string, string[]> } {
  const general: string[] = [];
  const fields: Record<string, string[]> = {};
  for (const message of failure?.errors ?? []) {
    const field = Object.keys(labels).find(
      (name) =>
        message.startsWith(`${labels[name]}:`) ||
        message.startsWith(`${labels[name]} is`) ||
        message.startsWith(`${name} `) ||
        message.includes(` this ${name} `),
    );
    if (!field) general.push(message);
    // "password is one of …" reads "Password is one of …" under its field.
    else (fields[field] ??= []).push(message.startsWith(`${field} `) ? `${labels[field]}${message.slice(field.length)}` : message);
  }
  return { general, fields };
}
