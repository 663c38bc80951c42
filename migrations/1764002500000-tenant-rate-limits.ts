import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** A tenant's own API rate limit (null: the global default, RATE_LIMIT_API_*). */
export class TenantRateLimits1764002500000 implements MigrationInterface {
  name = 'TenantRateLimits1764002500000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    await qr.addColumns('tenant_integrations', [
      new TableColumn(c.integer('rate_limit_per_second', { isNullable: true })),
      new TableColumn(c.integer('rate_limit_burst', { isNullable: true })),
    ]);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn('tenant_integrations', 'rate_limit_burst');
    await qr.dropColumn('tenant_integrations', 'rate_limit_per_second');
  }
}
