import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * A tenant charge remembers whether a call may have reached the tenant's billing API, so that one
 * ending without a confirmed bill is `unknown` (the tenant may hold it) rather than `failed`; runs
 * count those charges.
 */
export class BillingUnknownCharges1764001200000 implements MigrationInterface {
  name = 'BillingUnknownCharges1764001200000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    // Each driver spells a boolean default its own way (SQLite keeps 0/1), as the entity's is compared.
    const no = qr.connection.options.type === 'postgres' ? false : 0;
    await qr.addColumn('charges', new TableColumn(c.boolean('possibly_billed', { default: no })));
    // Charges tried before this column existed may have reached the tenant: only an untried one is sure.
    await qr.query('UPDATE charges SET possibly_billed = attempts > 0');
    await qr.addColumn('billing_runs', new TableColumn(c.integer('unknown_charges', { default: 0 })));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn('billing_runs', 'unknown_charges');
    await qr.dropColumn('charges', 'possibly_billed');
  }
}
