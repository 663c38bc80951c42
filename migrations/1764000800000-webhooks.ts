import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Outbound webhooks: endpoints, one message per event and endpoint, and every delivery attempt. */
export class Webhooks1764000800000 implements MigrationInterface {
  name = 'Webhooks1764000800000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    const base = () => [c.id(), ...c.timestamps()];

    await qr.createTable(
      new Table({
        name: 'webhook_endpoints',
        columns: [
          ...base(),
          c.uuid('tenant_id', { isNullable: true }),
          c.varchar('url', 2048),
          c.text('events'),
          c.boolean('enabled'),
          c.boolean('allow_private_network'),
          c.text('secret_sealed'),
          c.text('previous_secret_sealed', { isNullable: true }),
          c.timestamp('previous_secret_expires_at', { isNullable: true }),
          c.varchar('disabled_reason', 500, { isNullable: true }),
          c.timestamp('disabled_at', { isNullable: true }),
          c.timestamp('failing_since', { isNullable: true }),
          c.integer('consecutive_failures'),
        ],
        indices: [{ columnNames: ['tenant_id'] }],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'webhook_messages',
        columns: [
          ...base(),
          c.uuid('endpoint_id'),
          c.uuid('tenant_id', { isNullable: true }),
          c.uuid('event_id'),
          c.varchar('event_type', 64),
          c.text('payload'),
          c.varchar('status', 16),
          c.integer('attempts'),
          c.integer('schedule_step'),
          c.timestamp('next_attempt_at', { isNullable: true }),
          c.timestamp('locked_until', { isNullable: true }),
          c.uuid('claim_token', { isNullable: true }),
          c.integer('last_status_code', { isNullable: true }),
          c.varchar('last_error', 500, { isNullable: true }),
          c.integer('last_duration_ms', { isNullable: true }),
          c.timestamp('delivered_at', { isNullable: true }),
          c.timestamp('failed_at', { isNullable: true }),
        ],
        indices: [
          { columnNames: ['endpoint_id', 'event_id'], isUnique: true },
          { columnNames: ['status', 'next_attempt_at'] },
          { columnNames: ['endpoint_id', 'created_at'] },
        ],
        foreignKeys: [c.foreignKey('endpoint_id', 'webhook_endpoints', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'webhook_attempts',
        columns: [
          ...base(),
          c.uuid('message_id'),
          c.uuid('endpoint_id'),
          c.uuid('tenant_id', { isNullable: true }),
          c.integer('attempt'),
          c.integer('status_code', { isNullable: true }),
          c.integer('duration_ms'),
          c.varchar('error', 500, { isNullable: true }),
          c.text('response_body', { isNullable: true }),
          c.timestamp('at'),
        ],
        indices: [{ columnNames: ['endpoint_id', 'at'] }, { columnNames: ['message_id', 'at'] }],
        foreignKeys: [c.foreignKey('message_id', 'webhook_messages', 'CASCADE')],
      }),
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('webhook_attempts');
    await qr.dropTable('webhook_messages');
    await qr.dropTable('webhook_endpoints');
  }
}
