export * from './webhooks.module';
export * from './webhooks.service';
export { DOMAIN_EVENT_NAMES } from './event-names';
export * from './dto/webhook-endpoint.dto';
export * from './dto/webhook-delivery.dto';
export { WebhookEndpoint } from './entities/webhook-endpoint.entity';
export { WebhookMessage, MESSAGE_STATUSES } from './entities/webhook-message.entity';
export type { MessageStatus } from './entities/webhook-message.entity';
export { WebhookAttempt } from './entities/webhook-attempt.entity';
