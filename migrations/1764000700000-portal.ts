import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * Portal integration: autologin secrets, one-time autologin sessions, accepted JWT ids, inbound
 * delivery receipts, and the user a browser session belongs to (so a user's sessions can be ended).
 */
export class Portal1764000700000 implements MigrationInterface {
  name = 'Portal1764000700000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    const base = () => [c.id(), ...c.timestamps()];

    await qr.createTable(
      new Table({
        name: 'autologin_secrets',
        columns: [...base(), c.uuid('tenant_id'), c.varchar('secret_hash', 64), c.text('secret_sealed')],
        indices: [
          { columnNames: ['tenant_id'], isUnique: true },
          { columnNames: ['secret_hash'], isUnique: true },
        ],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'autologin_sessions',
        columns: [
          ...base(),
          c.uuid('tenant_id'),
          c.uuid('user_id'),
          c.varchar('session_hash', 64),
          c.varchar('method', 16),
          c.timestamp('expires_at'),
          c.timestamp('redeemed_at', { isNullable: true }),
        ],
        indices: [{ columnNames: ['user_id'] }, { columnNames: ['session_hash'], isUnique: true }, { columnNames: ['expires_at'] }],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE'), c.foreignKey('user_id', 'users', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'autologin_jwt_ids',
        columns: [...base(), c.uuid('tenant_id'), c.varchar('jti', 255), c.timestamp('expires_at')],
        indices: [{ columnNames: ['tenant_id', 'jti'], isUnique: true }, { columnNames: ['expires_at'] }],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'inbound_receipts',
        columns: [
          ...base(),
          c.uuid('tenant_id'),
          c.varchar('route', 64),
          c.varchar('receipt_key', 300),
          c.text('results', { isNullable: true }),
          c.timestamp('expires_at'),
        ],
        indices: [{ columnNames: ['tenant_id', 'route', 'receipt_key'], isUnique: true }, { columnNames: ['expires_at'] }],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE')],
      }),
    );

    await qr.addColumn('http_sessions', new TableColumn(c.uuid('user_id', { isNullable: true })));
    await qr.createIndex('http_sessions', new TableIndex({ columnNames: ['user_id'] }));
  }

  async down(qr: QueryRunner): Promise<void> {
    const sessions = await qr.getTable('http_sessions');
    const index = sessions?.indices.find((i) => i.columnNames.length === 1 && i.columnNames[0] === 'user_id');
    if (index) await qr.dropIndex('http_sessions', index);
    await qr.dropColumn('http_sessions', 'user_id');
    await qr.dropTable('inbound_receipts');
    await qr.dropTable('autologin_jwt_ids');
    await qr.dropTable('autologin_sessions');
    await qr.dropTable('autologin_secrets');
  }
}
