import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Entitlement classes, virtual keys, delegation sources, caller allow-lists and the decision log. */
export class Entitlements1764000300000 implements MigrationInterface {
  name = 'Entitlements1764000300000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    const base = () => [c.id(), ...c.timestamps()];

    await qr.createTable(
      new Table({
        name: 'entitlement_classes',
        columns: [...base(), c.varchar('name', 200), c.varchar('server', 255), c.varchar('real_key', 255)],
        indices: [{ columnNames: ['server', 'name'], isUnique: true }],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'virtual_entitlements',
        columns: [
          ...base(),
          c.uuid('tenant_id', { isNullable: true }),
          c.varchar('key', 255),
          c.uuid('class_id'),
          c.varchar('status', 16),
          c.timestamp('expires_at', { isNullable: true }),
          c.uuid('organization_id', { isNullable: true }),
        ],
        indices: [
          // The check endpoint's lookup: WHERE key = ? is a search of this index.
          { columnNames: ['key', 'class_id'], isUnique: true },
          { columnNames: ['tenant_id', 'key'] },
          { columnNames: ['class_id'] },
          { columnNames: ['organization_id'] },
        ],
        foreignKeys: [
          c.foreignKey('tenant_id', 'tenants', 'CASCADE'),
          c.foreignKey('class_id', 'entitlement_classes', 'RESTRICT'),
          c.foreignKey('organization_id', 'organizations', 'CASCADE'),
        ],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'entitlement_sources',
        columns: [
          ...base(),
          c.varchar('server', 255),
          c.varchar('class_name', 200, { isNullable: true }),
          c.varchar('url', 2048),
          c.integer('cache_seconds'),
          c.integer('timeout_ms'),
          c.boolean('allow_private_network'),
        ],
        indices: [
          { columnNames: ['server', 'class_name'], isUnique: true },
          { name: 'uq_entitlement_sources_any_class', columnNames: ['server'], isUnique: true, where: 'class_name IS NULL' },
        ],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'entitlement_server_access',
        columns: [...base(), c.varchar('server', 255), c.text('allowed_ips')],
        indices: [{ columnNames: ['server'], isUnique: true }],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'entitlement_decisions',
        columns: [
          ...base(),
          c.timestamp('at'),
          c.integer('count'),
          c.varchar('code', 32),
          c.varchar('channel', 16),
          c.varchar('via', 16),
          c.varchar('server', 255, { isNullable: true }),
          c.varchar('class_name', 200, { isNullable: true }),
          c.varchar('key', 255, { isNullable: true }),
          c.varchar('remote_ip', 64, { isNullable: true }),
          c.varchar('caller_ip', 64, { isNullable: true }),
          c.varchar('detail', 200, { isNullable: true }),
        ],
        indices: [{ columnNames: ['at'] }, { columnNames: ['code', 'at'] }],
      }),
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const table of [
      'entitlement_decisions',
      'entitlement_server_access',
      'entitlement_sources',
      'virtual_entitlements',
      'entitlement_classes',
    ]) {
      await qr.dropTable(table);
    }
  }
}
