import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** The identity map, the domain-event outbox and each tenant's portal wiring (embedding, billing API, data sharing). */
export class IdentityMapOutboxIntegrations1764000400000 implements MigrationInterface {
  name = 'IdentityMapOutboxIntegrations1764000400000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    const base = () => [c.id(), ...c.timestamps()];

    await qr.createTable(
      new Table({
        name: 'identity_links',
        columns: [
          ...base(),
          c.uuid('tenant_id'),
          c.varchar('provider', 64),
          c.varchar('entity_type', 32),
          c.uuid('local_id'),
          c.varchar('foreign_id', 255),
        ],
        indices: [
          { columnNames: ['tenant_id', 'provider', 'entity_type', 'foreign_id'], isUnique: true },
          { columnNames: ['tenant_id', 'provider', 'entity_type', 'local_id'], isUnique: true },
          { columnNames: ['local_id'] },
        ],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'outbox_events',
        columns: [
          ...base(),
          c.varchar('name', 64),
          c.uuid('tenant_id', { isNullable: true }),
          c.text('data'),
          c.timestamp('occurred_at'),
          c.timestamp('dispatched_at', { isNullable: true }),
        ],
        indices: [{ columnNames: ['dispatched_at', 'occurred_at'] }],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'tenant_integrations',
        columns: [
          ...base(),
          c.uuid('tenant_id'),
          c.text('embed_origins'),
          c.varchar('billing_api_url', 2048, { isNullable: true }),
          c.varchar('billing_api_username', 255, { isNullable: true }),
          c.text('billing_api_password_sealed', { isNullable: true }),
          c.boolean('billing_api_allow_private_network'),
          c.varchar('data_sharing_url', 2048, { isNullable: true }),
        ],
        indices: [{ columnNames: ['tenant_id'], isUnique: true }],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE')],
      }),
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('tenant_integrations');
    await qr.dropTable('outbox_events');
    await qr.dropTable('identity_links');
  }
}
