import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table, TableForeignKey } from 'typeorm';

/** External login providers (sites delegating their sign-ins) and Portico's own provider endpoint settings. */
export class ExternalLogin1764000200000 implements MigrationInterface {
  name = 'ExternalLogin1764000200000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    const base = () => [c.id(), ...c.timestamps()];

    await qr.createTable(
      new Table({
        name: 'external_login_providers',
        columns: [
          ...base(),
          c.varchar('name', 200),
          c.varchar('url', 2048),
          c.varchar('access_token_header', 100),
          c.text('access_token_encrypted', { isNullable: true }),
          c.text('client_certificate_encrypted', { isNullable: true }),
          c.text('client_key_encrypted', { isNullable: true }),
          c.text('ca_certificate', { isNullable: true }),
          c.integer('timeout_ms'),
          c.boolean('allow_user_creation'),
          c.boolean('allow_private_network'),
        ],
        indices: [{ columnNames: ['name'], isUnique: true }],
      }),
    );
    // Organizations already carry the column; now it must name a provider, and a provider in use stays.
    await qr.createForeignKey(
      'organizations',
      new TableForeignKey(c.foreignKey('external_login_provider_id', 'external_login_providers', 'RESTRICT')),
    );

    await qr.createTable(
      new Table({
        name: 'external_login_settings',
        columns: [
          ...base(),
          c.boolean('enabled'),
          c.varchar('access_token_header', 100),
          c.text('access_token_encrypted', { isNullable: true }),
          c.text('allowed_ips'),
        ],
      }),
    );
    // Off until an administrator turns it on, with the header name of the reference contract.
    await qr.query(
      `INSERT INTO external_login_settings (id, enabled, access_token_header, access_token_encrypted, allowed_ips)
       VALUES ('00000000-0000-4000-8000-0000000000e1', FALSE, 'x-access-token', NULL, '[]')`,
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('external_login_settings');
    const organizations = await qr.getTable('organizations');
    const fk = organizations?.foreignKeys.find((k) => k.columnNames.includes('external_login_provider_id'));
    if (fk) await qr.dropForeignKey('organizations', fk);
    await qr.dropTable('external_login_providers');
  }
}
