import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Billing runs and charges: one charge per organization and period, one scheduled run per period. */
export class Billing1764000900000 implements MigrationInterface {
  name = 'Billing1764000900000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    const base = () => [c.id(), ...c.timestamps()];

    await qr.createTable(
      new Table({
        name: 'billing_runs',
        columns: [
          ...base(),
          c.varchar('period', 7),
          c.varchar('kind', 16),
          c.varchar('trigger', 16),
          c.varchar('requested_by', 320),
          c.varchar('status', 16),
          c.uuid('owner', { isNullable: true }),
          c.timestamp('heartbeat_at', { isNullable: true }),
          c.timestamp('started_at', { isNullable: true }),
          c.timestamp('finished_at', { isNullable: true }),
          c.integer('organizations'),
          c.integer('already_billed'),
          c.integer('direct_charges'),
          c.integer('tenant_charges'),
          c.integer('failed_charges'),
          c.integer('pending_charges'),
          c.text('totals'),
          c.varchar('last_error', 500, { isNullable: true }),
        ],
        indices: [
          // The monthly schedule starts one run per period, however many instances tick.
          { name: 'uq_billing_runs_scheduled_period', columnNames: ['period'], isUnique: true, where: "kind = 'scheduled'" },
          { columnNames: ['period', 'status'] },
        ],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'charges',
        columns: [
          ...base(),
          // No foreign key to organizations or tenants: a charge is a record that outlives them.
          c.uuid('organization_id'),
          c.uuid('tenant_id', { isNullable: true }),
          c.varchar('organization_name', 200),
          c.varchar('external_uid', 255, { isNullable: true }),
          c.varchar('period', 7),
          c.integer('amount_cents'),
          c.varchar('currency', 3),
          c.varchar('route', 8),
          c.varchar('status', 16),
          c.varchar('external_bill_id', 255, { isNullable: true }),
          c.varchar('external_status', 64, { isNullable: true }),
          c.integer('attempts'),
          c.varchar('last_error', 500, { isNullable: true }),
          c.uuid('run_id', { isNullable: true }),
          c.uuid('claimed_by', { isNullable: true }),
        ],
        indices: [
          // One charge per organization and period: no run, retry or second instance bills twice.
          { columnNames: ['organization_id', 'period'], isUnique: true },
          { columnNames: ['period', 'status'] },
          { columnNames: ['tenant_id', 'period'] },
          { columnNames: ['run_id'] },
        ],
        foreignKeys: [c.foreignKey('run_id', 'billing_runs', 'SET NULL')],
      }),
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('charges');
    await qr.dropTable('billing_runs');
  }
}
