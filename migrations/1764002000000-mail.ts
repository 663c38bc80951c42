import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Outgoing mail: one row per mail, its parts sealed, its delivery state. */
export class Mail1764002000000 implements MigrationInterface {
  name = 'Mail1764002000000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    await qr.createTable(
      new Table({
        name: 'mail_messages',
        columns: [
          c.id(),
          ...c.timestamps(),
          c.uuid('tenant_id', { isNullable: true }),
          c.varchar('tenant_key', 63, { isNullable: true }),
          c.varchar('recipient', 320),
          c.varchar('template', 64),
          c.varchar('subject', 500),
          c.text('text_sealed', { isNullable: true }),
          c.text('html_sealed', { isNullable: true }),
          c.varchar('status', 16),
          c.integer('attempts'),
          c.timestamp('next_attempt_at', { isNullable: true }),
          c.timestamp('locked_until', { isNullable: true }),
          c.uuid('claim_token', { isNullable: true }),
          c.varchar('last_error', 500, { isNullable: true }),
          c.timestamp('sent_at', { isNullable: true }),
          c.timestamp('failed_at', { isNullable: true }),
        ],
        indices: [{ columnNames: ['status', 'next_attempt_at'] }, { columnNames: ['created_at'] }],
      }),
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('mail_messages');
  }
}
