import { Injectable } from '@nestjs/common';

/** The time as billing sees it; tests replace it to be on the first of a month, or anywhere. */
@Injectable()
export class BillingClock {
  now(): Date {
    return new Date();
  }
}
