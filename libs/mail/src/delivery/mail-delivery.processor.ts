import { Injectable } from '@nestjs/common';
import { JobHandler, JobProcessor } from '@portico/core';
import { MAIL_DELIVER_JOB, MailDeliverJob } from './constants';
import { MailDeliveryService } from './mail-delivery.service';

/** One delivery attempt of one mail. */
@Injectable()
@JobProcessor(MAIL_DELIVER_JOB)
export class MailDeliveryProcessor implements JobHandler<MailDeliverJob> {
  constructor(private readonly delivery: MailDeliveryService) {}

  handle(data: MailDeliverJob): Promise<void> {
    return this.delivery.deliver(data.id);
  }
}
