import { Injectable } from '@nestjs/common';
import { RequestContext } from '@portico/core';
import { AutologinLogin, AutologinRedemption } from './autologin/autologin-login';
import { AutologinSecretsService } from './autologin/autologin-secrets.service';

/** The portal facade other modules use: the web layer redeems autologin links and manages the secret through it. */
@Injectable()
export class PortalService {
  constructor(
    private readonly autologin: AutologinLogin,
    private readonly secrets: AutologinSecretsService,
  ) {}

  /** A new autologin secret for the tenant (the previous one stops working at once); shown only in this answer. */
  rotateAutologinSecret(ctx: RequestContext, tenantKey: string): Promise<{ secret: string }> {
    return this.secrets.rotate(ctx, tenantKey);
  }

  /** When the tenant's autologin secret was last set; null while it has none. */
  autologinSecretRotatedAt(tenantId: string): Promise<Date | null> {
    return this.secrets.rotatedAt(tenantId);
  }

  /** Redeems a one-time autologin link: the account to start a session for (exactly as a password sign-in does), or why not. */
  redeemAutologin(sessionId: string, ip: string | null): Promise<AutologinRedemption> {
    return this.autologin.redeem(sessionId, ip);
  }
}
