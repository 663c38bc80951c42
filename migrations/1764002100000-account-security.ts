import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * The password policy and the admins' authenticator requirement (Global Configuration ›
 * Authentication), recovery codes for the authenticator app, and when a database session was last
 * used (the sessions page).
 */
export class AccountSecurity1764002100000 implements MigrationInterface {
  name = 'AccountSecurity1764002100000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    // Each driver spells a boolean default its own way (SQLite keeps 0/1), as the entity's is compared.
    const bool = (value: boolean) => (qr.connection.options.type === 'postgres' ? value : value ? 1 : 0);
    await qr.addColumns('auth_settings', [
      new TableColumn(c.integer('password_min_length', { default: 8 })),
      new TableColumn(c.boolean('password_disallow_common', { default: bool(true) })),
      new TableColumn(c.boolean('require_authenticator_for_admins', { default: bool(false) })),
    ]);
    await qr.createTable(
      new Table({
        name: 'user_recovery_codes',
        columns: [c.id(), ...c.timestamps(), c.uuid('user_id'), c.varchar('code_hash', 64), c.timestamp('used_at', { isNullable: true })],
        indices: [{ columnNames: ['user_id'] }],
        foreignKeys: [c.foreignKey('user_id', 'users', 'CASCADE')],
      }),
    );
    await qr.addColumn('http_sessions', new TableColumn(c.timestamp('last_seen_at', { isNullable: true })));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn('http_sessions', 'last_seen_at');
    await qr.dropTable('user_recovery_codes');
    for (const column of ['require_authenticator_for_admins', 'password_disallow_common', 'password_min_length'])
      await qr.dropColumn('auth_settings', column);
  }
}
