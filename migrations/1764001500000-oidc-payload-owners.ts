import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * The provider's stored artefacts name their user and client as columns, so that disabling a user,
 * deleting a client or revoking an application's consent finds every session, grant and token at once.
 */
export class OidcPayloadOwners1764001500000 implements MigrationInterface {
  name = 'OidcPayloadOwners1764001500000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    await qr.addColumns('oidc_payloads', [
      new TableColumn(c.varchar('account_id', 255, { isNullable: true })),
      new TableColumn(c.varchar('client_id', 255, { isNullable: true })),
    ]);
    await qr.createIndices('oidc_payloads', [
      new TableIndex({ columnNames: ['account_id', 'client_id'] }),
      new TableIndex({ columnNames: ['client_id'] }),
    ]);
  }

  async down(qr: QueryRunner): Promise<void> {
    const table = await qr.getTable('oidc_payloads');
    for (const index of table!.indices.filter((i) => i.columnNames.includes('account_id') || i.columnNames.includes('client_id')))
      await qr.dropIndex('oidc_payloads', index);
    await qr.dropColumns('oidc_payloads', ['account_id', 'client_id']);
  }
}
