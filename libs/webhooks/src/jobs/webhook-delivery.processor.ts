import { Injectable } from '@nestjs/common';
import { JobHandler, JobProcessor } from '@portico/core';
import { DELIVER_JOB, DeliverJob } from '../delivery/constants';
import { DeliveryService } from '../delivery/delivery.service';

/** One attempt of each of a few messages, when they are due. */
@Injectable()
@JobProcessor(DELIVER_JOB)
export class WebhookDeliveryProcessor implements JobHandler<DeliverJob> {
  constructor(private readonly delivery: DeliveryService) {}

  handle(data: DeliverJob): Promise<void> {
    return this.delivery.deliver(data.messageIds);
  }
}
