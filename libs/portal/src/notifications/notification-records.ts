import { InvalidInputError } from '@portico/core';
import { isEmail } from 'class-validator';
import type { MembershipRole } from '@portico/users';

/** The most records one notification may carry; a bigger batch is split by the sender. */
export const MAX_RECORDS = 1000;

export type RecordStatus = 'created' | 'updated' | 'unchanged' | 'rejected';

export interface RecordResult {
  /** The record's `id` as sent (null when it had none). */
  id: string | null;
  status: RecordStatus;
  /** The Portico record, when one was found or made. */
  localId?: string;
  /** Why it was rejected (or why nothing happened on a repeated delivery). */
  reason?: string;
}

export interface Collection {
  name: string;
  records: unknown[];
}

/**
 * The envelope `{"<collection>": [record, …], …}`. Anything else is a 400 naming what is wrong;
 * problems inside a record are that record's own rejection, not the envelope's.
 */
export function parseEnvelope(body: unknown): Collection[] {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new InvalidInputError('The notification must be a JSON object like {"organizations": [...], "people": [...]}');
  const collections = Object.entries(body as Record<string, unknown>).map(([name, records]) => {
    if (!Array.isArray(records)) throw new InvalidInputError(`${name} must be an array of records`);
    return { name, records };
  });
  if (!collections.length) throw new InvalidInputError('The notification has no collection: send {"<collection>": [records]}');
  const total = collections.reduce((n, c) => n + c.records.length, 0);
  if (total > MAX_RECORDS)
    throw new InvalidInputError(`A notification may carry at most ${MAX_RECORDS} records (this one has ${total}): split it`);
  return collections;
}

export interface OrganizationRecord {
  id: string;
  name: string;
}

export interface PersonRecord {
  id: string;
  groupId: string | null;
  email: string;
  firstName: string;
  lastName: string;
  role: MembershipRole;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export function recordId(record: unknown): string | null {
  const id = isObject(record) ? record.id : undefined;
  if (typeof id === 'string' && id.length >= 1 && id.length <= 255) return id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  return null;
}

export function parseOrganization(record: unknown): Parsed<OrganizationRecord> {
  if (!isObject(record)) return { ok: false, reason: 'The record must be an object {id, name}' };
  const id = recordId(record);
  if (!id) return { ok: false, reason: 'id is required: the group uid, text of 1 to 255 characters' };
  const name = text(record.name);
  if (!name || name.length > 200) return { ok: false, reason: 'name is required: text of 1 to 200 characters' };
  return { ok: true, value: { id, name } };
}

const ROLES = new Map<string, MembershipRole>([
  ['owner', 'owner'],
  ['admin', 'admin'],
  ['member', 'member'],
]);

export function parsePerson(record: unknown): Parsed<PersonRecord> {
  if (!isObject(record)) return { ok: false, reason: 'The record must be an object {id, group_id, email, first_name, last_name, role}' };
  const id = recordId(record);
  if (!id) return { ok: false, reason: 'id is required: the user uid, text of 1 to 255 characters' };
  const email = text(record.email);
  if (!email || email.length > 320 || !isEmail(email)) return { ok: false, reason: 'email is required and must be a valid email address' };
  const firstName = text(record.first_name) ?? '';
  const lastName = text(record.last_name) ?? '';
  if (firstName.length > 100 || lastName.length > 100)
    return { ok: false, reason: 'first_name and last_name must be at most 100 characters' };
  let groupId: string | null = null;
  if (record.group_id !== undefined && record.group_id !== null) {
    groupId = recordId({ id: record.group_id });
    if (!groupId) return { ok: false, reason: 'group_id must be a group uid (text of 1 to 255 characters) or null' };
  }
  const roleGiven = record.role !== undefined && record.role !== null;
  const role = roleGiven ? ROLES.get(typeof record.role === 'string' ? record.role.trim().toLowerCase() : '') : 'member';
  if (!role) return { ok: false, reason: 'role must be owner, admin or member' };
  return { ok: true, value: { id, groupId, email, firstName, lastName, role } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** Trimmed text, or null when absent/empty; a non-string is refused as absent would be. */
function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value.trim() : null;
}
