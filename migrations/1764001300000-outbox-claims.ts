import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Outbox rows are claimed under a lease instead of a lock held while they are enqueued: the claim
 * commits before anything is sent to the job queue, and the claim of a process that died runs out.
 */
export class OutboxClaims1764001300000 implements MigrationInterface {
  name = 'OutboxClaims1764001300000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.addColumn('outbox_events', new TableColumn(new MigrationColumns(qr).timestamp('claimed_until', { isNullable: true })));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn('outbox_events', 'claimed_until');
  }
}
