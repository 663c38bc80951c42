import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

// The lookups whose column most artefacts leave empty: a session or interaction has a uid, a token
// a grant and an account (a client credentials token neither). Only rows with a value are indexed,
// so a token written per grant updates fewer indexes; every query on them names a value.
const PARTIAL: { columnNames: string[]; where: string }[] = [
  { columnNames: ['uid'], where: 'uid IS NOT NULL' },
  { columnNames: ['grant_id'], where: 'grant_id IS NOT NULL' },
  { columnNames: ['account_id', 'client_id'], where: 'account_id IS NOT NULL' },
];

/** oidc_payloads' uid, grant and account indexes cover only the rows that have one. */
export class OidcPayloadPartialIndexes1764001600000 implements MigrationInterface {
  name = 'OidcPayloadPartialIndexes1764001600000';

  async up(qr: QueryRunner): Promise<void> {
    await this.replace(qr, (index) => !index.where, PARTIAL);
  }

  async down(qr: QueryRunner): Promise<void> {
    await this.replace(
      qr,
      (index) => Boolean(index.where),
      PARTIAL.map(({ columnNames }) => ({ columnNames, where: '' })),
    );
  }

  private async replace(qr: QueryRunner, old: (index: TableIndex) => boolean, wanted: { columnNames: string[]; where: string }[]) {
    const table = (await qr.getTable('oidc_payloads'))!;
    for (const { columnNames, where } of wanted) {
      const current = table.indices.find((i) => old(i) && sameColumns(i.columnNames, columnNames));
      if (current) await qr.dropIndex('oidc_payloads', current);
      await qr.createIndex('oidc_payloads', new TableIndex({ columnNames, ...(where ? { where } : {}) }));
    }
  }
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}
