import { Injectable } from '@nestjs/common';
import { JobHandler, JobProcessor, OutboxBatch, OutboxSubscriber } from '@portico/core';
import { OidcSessions } from './oidc-sessions.service';

/**
 * Other modules' domain events that end what the provider issued: a user disabled or deleted, a
 * password reset through a mailed link, a tenant suspended. Those modules know nothing of OpenID Connect; this listens. Idempotent: a
 * batch delivered twice revokes what is already gone.
 */
@Injectable()
@OutboxSubscriber()
@JobProcessor('oidc.revoke-on-events')
export class OidcRevocationProcessor implements JobHandler<OutboxBatch> {
  constructor(private readonly sessions: OidcSessions) {}

  async handle({ events }: OutboxBatch): Promise<void> {
    for (const event of events) {
      if (event.name === 'user.updated') {
        const { user, changed } = event.data as { user: { id: string; status: string }; changed: string[] };
        if (changed.includes('status') && user.status !== 'active') await this.sessions.endAccount(user.id, 'user disabled');
      } else if (event.name === 'user.deleted') {
        const { user } = event.data as { user: { id: string } };
        await this.sessions.endAccount(user.id, 'user deleted');
      } else if (event.name === 'user.password_reset') {
        const { user } = event.data as { user: { id: string } };
        await this.sessions.endAccount(user.id, 'password reset');
      } else if (event.name === 'tenant.suspended') {
        const { tenant } = event.data as { tenant: { id: string } };
        await this.sessions.endTenant(tenant.id);
      }
    }
  }
}
