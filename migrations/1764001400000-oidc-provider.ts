import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Portico as an OpenID Connect provider: its clients, its signing keys and the library's stored artefacts. */
export class OidcProvider1764001400000 implements MigrationInterface {
  name = 'OidcProvider1764001400000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    const base = () => [c.id(), ...c.timestamps()];

    await qr.createTable(
      new Table({
        name: 'oidc_clients',
        columns: [
          ...base(),
          c.varchar('client_id', 64),
          c.uuid('tenant_id', { isNullable: true }),
          c.varchar('name', 200),
          c.text('redirect_uris'),
          c.text('post_logout_redirect_uris'),
          c.text('grant_types'),
          c.varchar('token_endpoint_auth_method', 32),
          c.boolean('first_party'),
          c.varchar('backchannel_logout_uri', 2048, { isNullable: true }),
          c.text('scopes'),
          c.integer('access_token_ttl_seconds'),
          c.integer('refresh_token_ttl_seconds'),
          c.boolean('allow_private_network'),
          c.varchar('secret_hash', 64, { isNullable: true }),
        ],
        indices: [{ columnNames: ['client_id'], isUnique: true }, { columnNames: ['tenant_id'] }],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'oidc_signing_keys',
        columns: [
          ...base(),
          c.varchar('kid', 64),
          c.varchar('alg', 16),
          c.integer('generation'),
          c.text('public_jwk'),
          c.text('private_jwk_sealed'),
          c.timestamp('retires_at', { isNullable: true }),
        ],
        indices: [{ columnNames: ['alg', 'generation'], isUnique: true }],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'oidc_payloads',
        columns: [
          ...base(),
          c.varchar('model', 64),
          c.varchar('oidc_id', 255),
          c.text('payload'),
          c.varchar('grant_id', 255, { isNullable: true }),
          c.varchar('user_code', 255, { isNullable: true }),
          c.varchar('uid', 255, { isNullable: true }),
          c.timestamp('expires_at', { isNullable: true }),
          c.timestamp('consumed_at', { isNullable: true }),
        ],
        indices: [
          { columnNames: ['model', 'oidc_id'], isUnique: true },
          { columnNames: ['grant_id'] },
          { columnNames: ['uid'] },
          { columnNames: ['expires_at'] },
        ],
      }),
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('oidc_payloads');
    await qr.dropTable('oidc_signing_keys');
    await qr.dropTable('oidc_clients');
  }
}
