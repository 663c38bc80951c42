import { Injectable } from '@nestjs/common';
import { Page, RequestContext } from '@portico/core';
import {
  DeliveryQueryDto,
  MessageQueryDto,
  ReplayResultView,
  WebhookAttemptView,
  WebhookMessageDetailView,
  WebhookMessageView,
} from './dto/webhook-delivery.dto';
import {
  CreatedWebhookEndpointView,
  CreateWebhookEndpointDto,
  RotatedWebhookSecretView,
  RotateWebhookSecretDto,
  UpdateWebhookEndpointDto,
  WebhookEndpointQueryDto,
  WebhookEndpointView,
} from './dto/webhook-endpoint.dto';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookMessagesService } from './webhook-messages.service';

/** The webhooks facade: endpoints of the caller's tenant, their delivery log, resending. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly endpoints: WebhookEndpointsService,
    private readonly messages: WebhookMessagesService,
  ) {}

  listEndpoints(ctx: RequestContext, query: WebhookEndpointQueryDto): Promise<Page<WebhookEndpointView>> {
    return this.endpoints.list(ctx, query);
  }

  /** Counts for a health summary: endpoints, those failing now, those disabled. */
  endpointHealth(ctx: RequestContext): Promise<{ total: number; failing: number; disabled: number }> {
    return this.endpoints.health(ctx);
  }

  getEndpoint(ctx: RequestContext, id: string): Promise<WebhookEndpointView> {
    return this.endpoints.get(ctx, id);
  }

  createEndpoint(ctx: RequestContext, dto: CreateWebhookEndpointDto): Promise<CreatedWebhookEndpointView> {
    return this.endpoints.create(ctx, dto);
  }

  updateEndpoint(ctx: RequestContext, id: string, dto: UpdateWebhookEndpointDto): Promise<WebhookEndpointView> {
    return this.endpoints.update(ctx, id, dto);
  }

  deleteEndpoint(ctx: RequestContext, id: string): Promise<void> {
    return this.endpoints.delete(ctx, id);
  }

  rotateSecret(ctx: RequestContext, id: string, dto: RotateWebhookSecretDto): Promise<RotatedWebhookSecretView> {
    return this.endpoints.rotateSecret(ctx, id, dto);
  }

  listAttempts(ctx: RequestContext, endpointId: string, query: DeliveryQueryDto): Promise<Page<WebhookAttemptView>> {
    return this.messages.attempts(ctx, endpointId, query);
  }

  listMessages(ctx: RequestContext, endpointId: string, query: MessageQueryDto): Promise<Page<WebhookMessageView>> {
    return this.messages.messages(ctx, endpointId, query);
  }

  getMessage(ctx: RequestContext, id: string): Promise<WebhookMessageView> {
    return this.messages.message(ctx, id);
  }

  getMessageDetail(ctx: RequestContext, id: string): Promise<WebhookMessageDetailView> {
    return this.messages.messageDetail(ctx, id);
  }

  /** Sends a signed test event to the endpoint now and answers with the message after that attempt. */
  sendTestEvent(ctx: RequestContext, endpointId: string): Promise<WebhookMessageView> {
    return this.messages.sendTest(ctx, endpointId);
  }

  resend(ctx: RequestContext, messageId: string): Promise<WebhookMessageView> {
    return this.messages.resend(ctx, messageId);
  }

  replayFailed(ctx: RequestContext, endpointId: string, since: Date): Promise<ReplayResultView> {
    return this.messages.replayFailed(ctx, endpointId, since);
  }
}
