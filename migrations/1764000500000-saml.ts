import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** SAML: each tenant's connection (SP key sealed), the AuthnRequest ids awaiting an answer, and the assertion replay cache. */
export class Saml1764000500000 implements MigrationInterface {
  name = 'Saml1764000500000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    const base = () => [c.id(), ...c.timestamps()];

    await qr.createTable(
      new Table({
        name: 'saml_connections',
        columns: [
          ...base(),
          c.uuid('tenant_id'),
          c.boolean('enabled'),
          c.varchar('idp_entity_id', 1024, { isNullable: true }),
          c.varchar('idp_sso_url', 2048, { isNullable: true }),
          c.text('idp_certificates'),
          c.varchar('idp_metadata_url', 2048, { isNullable: true }),
          c.varchar('name_id_format', 255),
          c.boolean('jit_provisioning'),
          c.uuid('default_organization_id', { isNullable: true }),
          c.text('attribute_mapping'),
          c.boolean('allow_idp_initiated'),
          c.integer('clock_skew_seconds'),
          c.text('sp_private_key_sealed'),
          c.text('sp_certificate'),
          c.text('sp_previous_certificate', { isNullable: true }),
        ],
        indices: [{ columnNames: ['tenant_id'], isUnique: true }],
        foreignKeys: [
          c.foreignKey('tenant_id', 'tenants', 'CASCADE'),
          c.foreignKey('default_organization_id', 'organizations', 'SET NULL'),
        ],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'saml_requests',
        columns: [
          ...base(),
          c.uuid('tenant_id'),
          c.varchar('request_id', 128),
          c.varchar('purpose', 16),
          c.text('payload', { isNullable: true }),
          c.timestamp('expires_at'),
        ],
        indices: [{ columnNames: ['tenant_id', 'request_id'], isUnique: true }, { columnNames: ['expires_at'] }],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE')],
      }),
    );

    await qr.createTable(
      new Table({
        name: 'saml_assertion_replays',
        columns: [...base(), c.uuid('tenant_id'), c.varchar('assertion_id', 256), c.timestamp('expires_at')],
        indices: [{ columnNames: ['tenant_id', 'assertion_id'], isUnique: true }, { columnNames: ['expires_at'] }],
        foreignKeys: [c.foreignKey('tenant_id', 'tenants', 'CASCADE')],
      }),
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('saml_assertion_replays');
    await qr.dropTable('saml_requests');
    await qr.dropTable('saml_connections');
  }
}
