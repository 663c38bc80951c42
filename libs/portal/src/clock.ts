import { Injectable } from '@nestjs/common';

/** The time the portal flows go by (autologin expiry, JWT exp, receipts): tests move it instead of waiting. */
@Injectable()
export class PortalClock {
  now(): Date {
    return new Date();
  }
}
