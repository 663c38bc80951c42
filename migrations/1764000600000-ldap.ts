import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** LDAP / Active Directory directories (global or per tenant) and the users each one checks. */
export class Ldap1764000600000 implements MigrationInterface {
  name = 'Ldap1764000600000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    const base = () => [c.id(), ...c.timestamps()];

    await qr.createTable(
      new Table({
        name: 'ldap_directories',
        columns: [
          ...base(),
          c.uuid('tenant_id', { isNullable: true }),
          c.varchar('name', 200),
          c.varchar('url', 2048),
          c.varchar('preset', 32),
          c.varchar('bind_dn', 1024, { isNullable: true }),
          c.text('bind_password_encrypted', { isNullable: true }),
          c.varchar('search_base', 1024),
          c.varchar('search_filter', 1024),
          c.boolean('start_tls'),
          c.text('ca_certificate', { isNullable: true }),
          c.text('attribute_mapping'),
          c.varchar('group_search_base', 1024, { isNullable: true }),
          c.varchar('group_search_filter', 1024, { isNullable: true }),
          c.text('group_role_mapping'),
          c.boolean('jit_provisioning'),
          c.boolean('enabled'),
          c.integer('timeout_ms'),
        ],
        indices: [
          { columnNames: ['tenant_id', 'name'], isUnique: true },
          // Global directories have no tenant, and NULLs never collide in a unique index.
          { name: 'uq_ldap_directories_global_name', columnNames: ['name'], isUnique: true, where: 'tenant_id IS NULL' },
        ],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'ldap_accounts',
        columns: [
          ...base(),
          c.uuid('directory_id'),
          c.uuid('user_id'),
          c.varchar('dn', 1024),
          c.varchar('dn_hash', 64),
          c.varchar('username', 320),
        ],
        indices: [
          { columnNames: ['directory_id', 'dn_hash'], isUnique: true },
          { columnNames: ['user_id'], isUnique: true },
        ],
        foreignKeys: [c.foreignKey('directory_id', 'ldap_directories', 'CASCADE'), c.foreignKey('user_id', 'users', 'CASCADE')],
      }),
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('ldap_accounts');
    await qr.dropTable('ldap_directories');
  }
}
