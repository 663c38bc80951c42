import { Injectable } from '@nestjs/common';
import { MailService } from '@portico/mail';
import type { TenantRef } from '@portico/tenants';

/** The invitation's mail: names the organization, the tenant and who invited. */
@Injectable()
export class InvitationMail {
  constructor(private readonly mail: MailService) {}

  async invitation(
    to: string,
    tenant: TenantRef | null,
    vars: { organizationName: string; invitedBy: string; role: string; link: string; expiresAt: Date },
  ): Promise<void> {
    await this.mail.send({
      to,
      template: 'invitation',
      tenant: tenant ? { id: tenant.id, key: tenant.key, name: tenant.name } : null,
      vars: { ...vars, expiresAt: vars.expiresAt.toISOString().slice(0, 10) },
    });
  }
}
