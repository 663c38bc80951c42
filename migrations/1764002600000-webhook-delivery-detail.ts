import { MigrationColumns } from '@portico/core';
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** The delivery log keeps each attempt's request and response headers; endpoints get a description. */
export class WebhookDeliveryDetail1764002600000 implements MigrationInterface {
  name = 'WebhookDeliveryDetail1764002600000';

  async up(qr: QueryRunner): Promise<void> {
    const c = new MigrationColumns(qr);
    await qr.addColumns('webhook_attempts', [
      new TableColumn(c.text('request_headers', { isNullable: true })),
      new TableColumn(c.text('response_headers', { isNullable: true })),
    ]);
    await qr.addColumn('webhook_endpoints', new TableColumn(c.varchar('description', 200, { isNullable: true })));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropColumn('webhook_endpoints', 'description');
    await qr.dropColumn('webhook_attempts', 'response_headers');
    await qr.dropColumn('webhook_attempts', 'request_headers');
  }
}
