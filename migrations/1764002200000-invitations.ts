import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Invitations into an organization: the address, the role, who invited, and the account token of the link. */
export class Invitations1764002200000 implements MigrationInterface {
  name = 'Invitations1764002200000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    await qr.createTable(
      new Table({
        name: 'invitations',
        columns: [
          c.id(),
          ...c.timestamps(),
          c.uuid('tenant_id', { isNullable: true }),
          c.uuid('organization_id'),
          c.varchar('email', 320),
          c.varchar('email_lower', 320),
          c.varchar('role', 16),
          c.varchar('status', 16),
          c.varchar('invited_by', 320),
          c.uuid('invited_by_user_id', { isNullable: true }),
          c.uuid('token_id', { isNullable: true }),
          c.timestamp('expires_at'),
          c.timestamp('accepted_at', { isNullable: true }),
          c.uuid('accepted_user_id', { isNullable: true }),
          c.timestamp('revoked_at', { isNullable: true }),
        ],
        indices: [
          { columnNames: ['tenant_id'] },
          { columnNames: ['organization_id'] },
          // One pending invitation per address and organization, however many admins click at once.
          { name: 'uq_invitations_pending', columnNames: ['organization_id', 'email_lower'], isUnique: true, where: "status = 'pending'" },
        ],
        foreignKeys: [
          c.foreignKey('tenant_id', 'tenants', 'CASCADE'),
          c.foreignKey('organization_id', 'organizations', 'CASCADE'),
          c.foreignKey('invited_by_user_id', 'users', 'SET NULL'),
          c.foreignKey('accepted_user_id', 'users', 'SET NULL'),
        ],
      }),
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('invitations');
  }
}
