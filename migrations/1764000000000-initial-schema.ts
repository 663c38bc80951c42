import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Tenants, their API keys, organizations, users, memberships, audit, counters, admin tokens, sessions. */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    const base = () => [c.id(), ...c.timestamps()];

    await qr.createTable(
      new Table({
        name: 'counters',
        columns: [...base(), c.varchar('name', 64), c.integer('value')],
        indices: [{ columnNames: ['name'], isUnique: true }],
      }),
    );
    await qr.query(`INSERT INTO counters (id, name, value) VALUES ('00000000-0000-4000-8000-000000000001', 'organizations.site_id', 1000)`);

    await qr.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          ...base(),
          c.timestamp('at'),
          c.varchar('actor_kind', 32),
          c.varchar('actor_id', 64),
          c.varchar('actor_label', 320),
          c.uuid('tenant_id', { isNullable: true }),
          c.varchar('tenant_key', 64, { isNullable: true }),
          c.varchar('action', 64),
          c.varchar('target_type', 64),
          c.varchar('target_id', 64, { isNullable: true }),
          c.varchar('ip', 64, { isNullable: true }),
          c.text('details', { isNullable: true }),
        ],
        indices: [{ columnNames: ['tenant_key', 'at'] }, { columnNames: ['action', 'at'] }, { columnNames: ['at'] }],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'tenants',
        columns: [...base(), c.varchar('key', 63), c.varchar('name', 200), c.varchar('status', 16)],
        indices: [{ columnNames: ['key'], isUnique: true }],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'tenant_api_keys',
        columns: [
          ...base(),
          c.uuid('tenant_id'),
          c.varchar('key_id', 32),
          c.varchar('secret_hash', 64),
          c.varchar('label', 200, { isNullable: true }),
          c.timestamp('revoked_at', { isNullable: true }),
        ],
        indices: [{ columnNames: ['tenant_id'] }, { columnNames: ['key_id'], isUnique: true }],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'organizations',
        columns: [
          ...base(),
          c.uuid('tenant_id', { isNullable: true }),
          c.integer('site_id'),
          c.varchar('name', 200),
          c.varchar('external_uid', 255, { isNullable: true }),
          c.varchar('auth_mode', 16),
          c.uuid('external_login_provider_id', { isNullable: true }),
          c.integer('plan_price_cents', { isNullable: true }),
          c.varchar('plan_currency', 3, { isNullable: true }),
        ],
        indices: [
          { columnNames: ['site_id'], isUnique: true },
          { columnNames: ['tenant_id', 'external_uid'], isUnique: true },
          { columnNames: ['tenant_id', 'name'], isUnique: true },
          { name: 'uq_organizations_direct_name', columnNames: ['name'], isUnique: true, where: 'tenant_id IS NULL' },
        ],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'users',
        columns: [
          ...base(),
          c.uuid('tenant_id', { isNullable: true }),
          c.varchar('email', 320),
          c.varchar('email_lower', 320),
          c.varchar('username', 320),
          c.varchar('username_lower', 320),
          c.varchar('first_name', 100),
          c.varchar('last_name', 100),
          c.boolean('billable'),
          c.varchar('status', 16),
          c.boolean('is_platform_admin'),
          c.varchar('password_hash', 255, { isNullable: true }),
          c.boolean('authenticator_enabled'),
          c.varchar('external_uid', 255, { isNullable: true }),
          c.varchar('created_via', 32),
        ],
        indices: [
          { columnNames: ['tenant_id', 'email_lower'], isUnique: true },
          { name: 'uq_users_direct_email', columnNames: ['email_lower'], isUnique: true, where: 'tenant_id IS NULL' },
          { columnNames: ['tenant_id', 'username_lower'], isUnique: true },
          { name: 'uq_users_direct_username', columnNames: ['username_lower'], isUnique: true, where: 'tenant_id IS NULL' },
          { columnNames: ['tenant_id', 'external_uid'], isUnique: true },
        ],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'memberships',
        columns: [...base(), c.uuid('user_id'), c.uuid('organization_id'), c.varchar('role', 16)],
        indices: [{ columnNames: ['user_id', 'organization_id'], isUnique: true }, { columnNames: ['organization_id'] }],
        foreignKeys: [c.foreignKey('user_id', 'users', 'CASCADE'), c.foreignKey('organization_id', 'organizations', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'admin_api_tokens',
        columns: [...base(), c.varchar('name', 200), c.varchar('token_hash', 64), c.timestamp('revoked_at', { isNullable: true })],
        indices: [{ columnNames: ['token_hash'], isUnique: true }],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'http_sessions',
        columns: [...base(), c.varchar('sid', 128), c.text('data'), c.timestamp('expires_at')],
        indices: [{ columnNames: ['sid'], isUnique: true }, { columnNames: ['expires_at'] }],
      }),
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const table of [
      'http_sessions',
      'admin_api_tokens',
      'memberships',
      'users',
      'organizations',
      'tenant_api_keys',
      'tenants',
      'audit_events',
      'counters',
    ]) {
      await qr.dropTable(table);
    }
  }
}
