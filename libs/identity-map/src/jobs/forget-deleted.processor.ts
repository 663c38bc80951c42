import { Injectable } from '@nestjs/common';
import { JobHandler, JobProcessor, OutboxBatch, OutboxSubscriber, TransactionService } from '@portico/core';
import { LinkedEntityType } from '../entities/identity-link.entity';
import { IdentityMapRepository } from '../identity-map.repository';

const DELETIONS: Partial<Record<string, LinkedEntityType>> = { 'user.deleted': 'user', 'organization.deleted': 'organization' };

/**
 * A deleted user or organization takes its identity links with it, whichever module deleted it:
 * the links name records of other modules, so no foreign key can cascade them. Idempotent.
 */
@Injectable()
@OutboxSubscriber()
@JobProcessor('identity-map.forget-deleted')
export class ForgetDeletedProcessor implements JobHandler<OutboxBatch> {
  constructor(
    private readonly tx: TransactionService,
    private readonly links: IdentityMapRepository,
  ) {}

  async handle({ events }: OutboxBatch): Promise<void> {
    for (const event of events) {
      const entityType = DELETIONS[event.name];
      const record = entityType && (event.data[entityType] as { id?: string } | undefined);
      if (!entityType || !event.tenantId || !record?.id) continue;
      const localId = record.id;
      const tenantId = event.tenantId;
      await this.tx.run(() => this.links.deleteLocal(tenantId, entityType, localId));
    }
  }
}
