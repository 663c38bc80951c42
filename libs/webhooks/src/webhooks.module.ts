import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TenantsModule } from '@portico/tenants';
import { AuditStream } from './audit-stream';
import { DeliverySweeper } from './delivery/delivery-sweeper';
import { DeliveryService } from './delivery/delivery.service';
import { WebhookAttempt } from './entities/webhook-attempt.entity';
import { WebhookEndpoint } from './entities/webhook-endpoint.entity';
import { WebhookMessage } from './entities/webhook-message.entity';
import { WebhookDeliveryProcessor } from './jobs/webhook-delivery.processor';
import { WebhookFanoutProcessor } from './jobs/webhook-fanout.processor';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookMessagesService } from './webhook-messages.service';
import { WebhookEndpointsController, WebhookMessagesController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/**
 * Outbound webhooks: per-tenant endpoints, the outbox subscriber that turns domain events into
 * messages, signed delivery with retries, the delivery log.
 */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookEndpoint, WebhookMessage, WebhookAttempt]), TenantsModule],
  controllers: [WebhookEndpointsController, WebhookMessagesController],
  providers: [
    WebhooksRepository,
    WebhooksService,
    WebhookEndpointsService,
    WebhookMessagesService,
    DeliveryService,
    DeliverySweeper,
    WebhookFanoutProcessor,
    WebhookDeliveryProcessor,
    AuditStream,
  ],
  exports: [WebhooksService],
})
export class WebhooksModule {}
