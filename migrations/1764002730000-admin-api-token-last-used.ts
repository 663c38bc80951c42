import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** When an admin API token was last used, to the minute, so the console can show stale tokens. */
export class AdminApiTokenLastUsed1764002730000 implements MigrationInterface {
  name = 'AdminApiTokenLastUsed1764002730000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    await qr.addColumn('admin_api_tokens', new TableColumn(c.timestamp('last_used_at', { isNullable: true })));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn('admin_api_tokens', 'last_used_at');
  }
}
