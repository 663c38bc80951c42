import { Injectable } from '@nestjs/common';
import { AutologinLogin, AutologinRedemption } from './autologin/autologin-login';

/** The portal facade other modules use: the web layer redeems autologin links through it. */
@Injectable()
export class PortalService {
  constructor(private readonly autologin: AutologinLogin) {}

  /** Redeems a one-time autologin link: the account to start a session for (exactly as a password sign-in does), or why not. */
  redeemAutologin(sessionId: string, ip: string | null): Promise<AutologinRedemption> {
    return this.autologin.redeem(sessionId, ip);
  }
}
