import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Whether a user's address is verified (everyone who exists already is: nobody asked them before),
 * and the emailVerification setting, globally (off) and per tenant (null: as globally set).
 */
export class EmailVerification1764002020000 implements MigrationInterface {
  name = 'EmailVerification1764002020000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    // Each driver spells a boolean default its own way (SQLite keeps 0/1), as the entity's is compared.
    const yes = qr.connection.options.type === 'postgres' ? true : 1;
    await qr.addColumn('users', new TableColumn(c.boolean('email_verified', { default: yes })));
    await qr.addColumn('auth_settings', new TableColumn(c.varchar('email_verification', 16, { default: "'off'" })));
    await qr.addColumn('tenant_auth_settings', new TableColumn(c.varchar('email_verification', 16, { isNullable: true })));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn('tenant_auth_settings', 'email_verification');
    await qr.dropColumn('auth_settings', 'email_verification');
    await qr.dropColumn('users', 'email_verified');
  }
}
