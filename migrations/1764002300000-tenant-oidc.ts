import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

/** Tenant OpenID Connect sign-in: each tenant's provider (client secret sealed) and the `oidc` method switch. */
export class TenantOidc1764002300000 implements MigrationInterface {
  name = 'TenantOidc1764002300000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    // SQLite keeps a boolean default as 0/1, PostgreSQL as false: each as the entity's is compared.
    const off = qr.connection.options.type === 'postgres' ? false : 0;
    await qr.addColumn('auth_settings', new TableColumn(c.boolean('method_oidc', { default: off })));
    await qr.createTable(
      new Table({
        name: 'tenant_oidc_connections',
        columns: [
          c.id(),
          ...c.timestamps(),
          c.uuid('tenant_id'),
          c.boolean('enabled'),
          c.varchar('display_name', 100, { isNullable: true }),
          c.varchar('issuer', 2048, { isNullable: true }),
          c.varchar('client_id', 512, { isNullable: true }),
          c.text('client_secret_sealed', { isNullable: true }),
          c.varchar('token_endpoint_auth_method', 32),
          c.varchar('scopes', 1024),
          c.text('claim_mapping'),
          c.boolean('jit_provisioning'),
          c.uuid('default_organization_id', { isNullable: true }),
          c.boolean('allow_private_network'),
          c.text('discovery', { isNullable: true }),
          c.timestamp('discovered_at', { isNullable: true }),
        ],
        indices: [{ columnNames: ['tenant_id'], isUnique: true }],
        foreignKeys: [
          c.foreignKey('tenant_id', 'tenants', 'CASCADE'),
          c.foreignKey('default_organization_id', 'organizations', 'SET NULL'),
        ],
      }),
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('tenant_oidc_connections');
    await qr.dropColumn('auth_settings', 'method_oidc');
  }
}
