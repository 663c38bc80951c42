import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** Tenant OpenID Connect: Portico's own key pair per tenant for private_key_jwt client authentication. */
export class TenantOidcClientKeys1764002300100 implements MigrationInterface {
  name = 'TenantOidcClientKeys1764002300100';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    await qr.addColumns('tenant_oidc_connections', [
      new TableColumn(c.text('client_key_sealed', { isNullable: true })),
      new TableColumn(c.text('client_public_jwk', { isNullable: true })),
    ]);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumns('tenant_oidc_connections', ['client_key_sealed', 'client_public_jwk']);
  }
}
