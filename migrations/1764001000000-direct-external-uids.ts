import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * externalUid is unique among direct customers too (organizations and users without a tenant):
 * the (tenant_id, external_uid) indexes never compare rows whose tenant_id is NULL.
 */
export class DirectExternalUids1764001000000 implements MigrationInterface {
  name = 'DirectExternalUids1764001000000';

  async up(qr: QueryRunner): Promise<void> {
    for (const [table, name] of INDEXES) {
      await qr.createIndex(table, new TableIndex({ name, columnNames: ['external_uid'], isUnique: true, where: 'tenant_id IS NULL' }));
    }
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const [table, name] of INDEXES) await qr.dropIndex(table, name);
  }
}

const INDEXES = [
  ['organizations', 'uq_organizations_direct_external_uid'],
  ['users', 'uq_users_direct_external_uid'],
] as const;
