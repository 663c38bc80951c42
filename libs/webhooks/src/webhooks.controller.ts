import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiPageResponse, Ctx, IdParam, Page, PageQueryDto, RequestContext, TenantOrAdmin } from '@portico/core';
import {
  DeliveryQueryDto,
  MessageQueryDto,
  ReplayDto,
  ReplayResultView,
  WebhookAttemptView,
  WebhookMessageView,
} from './dto/webhook-delivery.dto';
import {
  CreatedWebhookEndpointView,
  CreateWebhookEndpointDto,
  RotatedWebhookSecretView,
  RotateWebhookSecretDto,
  UpdateWebhookEndpointDto,
  WebhookEndpointView,
} from './dto/webhook-endpoint.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@TenantOrAdmin()
@Controller('api/v1/webhooks/endpoints')
export class WebhookEndpointsController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiPageResponse(WebhookEndpointView, 'The endpoints the caller may see')
  list(@Ctx() ctx: RequestContext, @Query() query: PageQueryDto): Promise<Page<WebhookEndpointView>> {
    return this.webhooks.listEndpoints(ctx, query);
  }

  @Post()
  @ApiCreatedResponse({ type: CreatedWebhookEndpointView, description: 'The whsec_ secret is in this answer only' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateWebhookEndpointDto): Promise<CreatedWebhookEndpointView> {
    return this.webhooks.createEndpoint(ctx, dto);
  }

  @Get(':id')
  @ApiOkResponse({ type: WebhookEndpointView })
  @ApiNotFoundResponse()
  get(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<WebhookEndpointView> {
    return this.webhooks.getEndpoint(ctx, id);
  }

  @Put(':id')
  @ApiOkResponse({ type: WebhookEndpointView })
  @ApiNotFoundResponse()
  update(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: UpdateWebhookEndpointDto): Promise<WebhookEndpointView> {
    return this.webhooks.updateEndpoint(ctx, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted with its messages and delivery log' })
  @ApiNotFoundResponse()
  delete(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<void> {
    return this.webhooks.deleteEndpoint(ctx, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOkResponse({
    type: RotatedWebhookSecretView,
    description: 'The new secret, shown once; the previous one signs too during the overlap',
  })
  @ApiNotFoundResponse()
  rotate(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: RotateWebhookSecretDto): Promise<RotatedWebhookSecretView> {
    // The body is optional: a POST without one rotates with the default overlap.
    return this.webhooks.rotateSecret(ctx, id, dto ?? {});
  }

  @Get(':id/deliveries')
  @ApiPageResponse(WebhookAttemptView, 'Delivery attempts, newest first: status code, duration, error')
  @ApiNotFoundResponse()
  deliveries(@Ctx() ctx: RequestContext, @IdParam() id: string, @Query() query: DeliveryQueryDto): Promise<Page<WebhookAttemptView>> {
    return this.webhooks.listAttempts(ctx, id, query);
  }

  @Get(':id/messages')
  @ApiPageResponse(WebhookMessageView, 'Messages (one per event), newest first, with their delivery status')
  @ApiNotFoundResponse()
  messages(@Ctx() ctx: RequestContext, @IdParam() id: string, @Query() query: MessageQueryDto): Promise<Page<WebhookMessageView>> {
    return this.webhooks.listMessages(ctx, id, query);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ReplayResultView, description: 'Failed messages since the given time are queued again' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The endpoint is disabled' })
  replay(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: ReplayDto): Promise<ReplayResultView> {
    return this.webhooks.replayFailed(ctx, id, dto.since);
  }
}

@ApiTags('webhooks')
@TenantOrAdmin()
@Controller('api/v1/webhooks/messages')
export class WebhookMessagesController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get(':id')
  @ApiOkResponse({ type: WebhookMessageView })
  @ApiNotFoundResponse()
  get(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<WebhookMessageView> {
    return this.webhooks.getMessage(ctx, id);
  }

  @Post(':id/resend')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: WebhookMessageView, description: 'Queued to be sent again now, same webhook-id and body' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The endpoint is disabled' })
  resend(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<WebhookMessageView> {
    return this.webhooks.resend(ctx, id);
  }
}
