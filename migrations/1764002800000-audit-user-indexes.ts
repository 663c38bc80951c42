import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/** A user's events, done by them or to them, newest first: one index range scan per side of the OR. */
export class AuditUserIndexes1764002800000 implements MigrationInterface {
  name = 'AuditUserIndexes1764002800000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.createIndex('audit_events', new TableIndex({ columnNames: ['actor_id', 'at'] }));
    await qr.createIndex('audit_events', new TableIndex({ columnNames: ['target_id', 'at'] }));
  }

  async down(qr: QueryRunner): Promise<void> {
    const table = await qr.getTable('audit_events');
    for (const columns of ['actor_id,at', 'target_id,at']) {
      const index = table?.indices.find((i) => i.columnNames.join() === columns);
      if (index) await qr.dropIndex('audit_events', index);
    }
  }
}
