import { QueryFailedError } from 'typeorm';
import { ConflictError } from '../errors/domain.exception';

type DriverError = { code?: string; detail?: string; message?: string };

function driverError(err: unknown): DriverError | undefined {
  if (!(err instanceof QueryFailedError)) return undefined;
  return (err as QueryFailedError & { driverError?: DriverError }).driverError;
}

function driverCode(err: unknown): string | undefined {
  return driverError(err)?.code;
}

/** True when the database refused a row for breaking a unique constraint (SQLite or PostgreSQL). */
export function isUniqueViolation(err: unknown): boolean {
  const code = driverCode(err);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function isForeignKeyViolation(err: unknown): boolean {
  const code = driverCode(err);
  if (code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return true;
  // SQLite reports an ON DELETE RESTRICT refusal as a trigger failure with the foreign-key message.
  return code === 'SQLITE_CONSTRAINT_TRIGGER' && /FOREIGN KEY constraint failed/.test((err as Error).message);
}

/**
 * The columns of the unique constraint a refused row broke, as the database reports them:
 * SQLite says "UNIQUE constraint failed: users.tenant_id, users.email_lower", PostgreSQL's detail
 * "Key (tenant_id, email_lower)=(…) already exists.". Empty when there is nothing to read.
 */
export function uniqueViolationColumns(err: unknown): string[] {
  const driver = driverError(err);
  const sqlite = /UNIQUE constraint failed: (.+)$/.exec(driver?.message ?? '');
  if (sqlite) return sqlite[1].split(',').map((c) => c.trim().split('.').pop()!);
  const postgres = /^Key \(([^)]+)\)=/.exec(driver?.detail ?? '');
  return postgres ? postgres[1].split(',').map((c) => c.trim().replace(/^"|"$/g, '')) : [];
}

/**
 * The 409 for a row that broke one of these unique fields (`fields` maps columns to API field
 * names), saying which one and where: "A user with this email already exists in this tenant", or
 * "… among users without a tenant" for a partial index over direct customers. `fallback` when the
 * database does not say.
 */
export function duplicateError(
  err: unknown,
  noun: { one: string; many: string },
  fields: Record<string, string>,
  fallback: string,
): ConflictError {
  const columns = uniqueViolationColumns(err);
  const field = columns.map((c) => fields[c]).find(Boolean);
  if (!field) return new ConflictError(fallback);
  const scope = columns.includes('tenant_id') ? 'in this tenant' : `among ${noun.many} without a tenant`;
  return new ConflictError(`${noun.one} with this ${field} already exists ${scope}`);
}
