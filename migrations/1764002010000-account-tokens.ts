import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Mailed links of every purpose (verification, reset, email change, invitation), stored hashed. */
export class AccountTokens1764002010000 implements MigrationInterface {
  name = 'AccountTokens1764002010000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    await qr.createTable(
      new Table({
        name: 'account_tokens',
        columns: [
          c.id(),
          ...c.timestamps(),
          c.varchar('purpose', 32),
          c.varchar('token_hash', 64),
          c.uuid('user_id', { isNullable: true }),
          c.uuid('tenant_id', { isNullable: true }),
          c.varchar('email', 320),
          c.text('data', { isNullable: true }),
          c.timestamp('expires_at'),
          c.timestamp('used_at', { isNullable: true }),
        ],
        indices: [
          { columnNames: ['token_hash'], isUnique: true },
          { columnNames: ['purpose', 'user_id'] },
          { columnNames: ['expires_at'] },
        ],
      }),
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('account_tokens');
  }
}
