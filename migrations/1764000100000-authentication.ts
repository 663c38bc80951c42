import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Global Configuration › Authentication, tenant overrides, login throttling, authenticator apps. */
export class Authentication1764000100000 implements MigrationInterface {
  name = 'Authentication1764000100000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    const base = () => [c.id(), ...c.timestamps()];

    await qr.createTable(
      new Table({
        name: 'auth_settings',
        columns: [
          ...base(),
          c.boolean('method_password'),
          c.boolean('method_saml'),
          c.boolean('method_ldap'),
          c.boolean('method_external'),
          c.boolean('signup_enabled'),
          c.integer('session_idle_minutes'),
          c.integer('max_password_failures'),
          c.integer('max_authenticator_failures'),
          c.integer('base_wait_seconds'),
          c.integer('max_wait_seconds'),
        ],
      }),
    );
    // The defaults: password sign-in on, everything else off, sign-up closed until an admin opens it.
    await qr.query(
      `INSERT INTO auth_settings (id, method_password, method_saml, method_ldap, method_external, signup_enabled, session_idle_minutes,
         max_password_failures, max_authenticator_failures, base_wait_seconds, max_wait_seconds)
       VALUES ('00000000-0000-4000-8000-0000000000a1', TRUE, FALSE, FALSE, FALSE, FALSE, 30, 5, 5, 30, 900)`,
    );

    await qr.createTable(
      new Table({
        name: 'tenant_auth_settings',
        columns: [
          ...base(),
          c.uuid('tenant_id'),
          c.boolean('signup_enabled', { isNullable: true }),
          c.text('methods', { isNullable: true }),
        ],
        indices: [{ columnNames: ['tenant_id'], isUnique: true }],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'login_throttles',
        columns: [
          ...base(),
          c.varchar('key', 400),
          c.integer('failures'),
          c.integer('lockouts'),
          c.timestamp('locked_until', { isNullable: true }),
        ],
        indices: [{ columnNames: ['key'], isUnique: true }],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'user_authenticators',
        columns: [...base(), c.uuid('user_id'), c.text('secret_encrypted'), c.integer('last_step', { isNullable: true })],
        indices: [{ columnNames: ['user_id'], isUnique: true }],
        foreignKeys: [c.foreignKey('user_id', 'users', 'CASCADE')],
      }),
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const table of ['user_authenticators', 'login_throttles', 'tenant_auth_settings', 'auth_settings']) await qr.dropTable(table);
  }
}
