import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/** The audit export reads the log in pages by (at, id): one index range scan per page. */
export class AuditKeysetIndex1764002510000 implements MigrationInterface {
  name = 'AuditKeysetIndex1764002510000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.createIndex('audit_events', new TableIndex({ columnNames: ['at', 'id'] }));
  }

  async down(qr: QueryRunner): Promise<void> {
    const table = await qr.getTable('audit_events');
    const index = table?.indices.find((i) => i.columnNames.join() === 'at,id');
    if (index) await qr.dropIndex('audit_events', index);
  }
}
