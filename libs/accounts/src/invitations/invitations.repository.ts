import { Injectable } from '@nestjs/common';
import { Page, RequestContext, scopedList, tenantWhere, TransactionService } from '@portico/core';
import { LessThanOrEqual } from 'typeorm';
import { InvitationQueryDto } from './dto/invitation.dto';
import { Invitation } from './entities/invitation.entity';

/** Every query on invitations, confined to the caller's tenant, in the ambient transaction. */
@Injectable()
export class InvitationsRepository {
  constructor(private readonly tx: TransactionService) {}

  list<T>(ctx: RequestContext, organizationId: string, query: InvitationQueryDto, map: (rows: Invitation[]) => T[]): Promise<Page<T>> {
    const qb = this.tx.manager
      .createQueryBuilder(Invitation, 'i')
      .where('i.organization_id = :org', { org: organizationId })
      .orderBy('i.created_at', 'DESC')
      .addOrderBy('i.id', 'ASC');
    if (query.status) qb.andWhere('i.status = :status', { status: query.status });
    return scopedList(ctx, qb, query, { tenantColumn: 'i.tenant_id' }, map);
  }

  find(ctx: RequestContext, organizationId: string, id: string): Promise<Invitation | null> {
    return this.tx.manager.findOneBy(Invitation, { id, organizationId, ...tenantWhere(ctx) });
  }

  /** For the link's page: the token already proved the caller may see it. */
  findById(id: string): Promise<Invitation | null> {
    return this.tx.manager.findOneBy(Invitation, { id });
  }

  findPending(organizationId: string, emailLower: string): Promise<Invitation | null> {
    return this.tx.manager.findOneBy(Invitation, { organizationId, emailLower, status: 'pending' });
  }

  /** Pending invitations past their expiry become expired, so the address may be invited again. */
  async expire(organizationId: string, now: Date): Promise<void> {
    await this.tx.manager.update(Invitation, { organizationId, status: 'pending', expiresAt: LessThanOrEqual(now) }, { status: 'expired' });
  }

  create(fields: Partial<Invitation>): Promise<Invitation> {
    const m = this.tx.manager;
    return m.save(m.create(Invitation, fields));
  }

  save(invitation: Invitation): Promise<Invitation> {
    return this.tx.manager.save(invitation);
  }

  /** Marks it accepted unless something else (a revoke, another tab) changed it first: false then. */
  async markAccepted(id: string, userId: string, at: Date): Promise<boolean> {
    const result = await this.tx.manager.update(
      Invitation,
      { id, status: 'pending' },
      { status: 'accepted', acceptedAt: at, acceptedUserId: userId },
    );
    return (result.affected ?? 0) === 1;
  }
}
