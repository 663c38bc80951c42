import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiPageResponse, Ctx, IdParam, Page, RequestContext, TenantOrAdmin } from '@portico/core';
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
  WebhookEndpointQueryDto,
  WebhookEndpointView,
} from './dto/webhook-endpoint.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@TenantOrAdmin()
@Controller('api/v1/webhooks/endpoints')
export class WebhookEndpointsController {
  constructor(private readonly webhooks: WebhooksService) {}

  @ApiOperation({ summary: 'List webhook endpoints' })
  @Get()
  @ApiPageResponse(WebhookEndpointView, 'The endpoints the caller may see')
  list(@Ctx() ctx: RequestContext, @Query() query: WebhookEndpointQueryDto): Promise<Page<WebhookEndpointView>> {
    return this.webhooks.listEndpoints(ctx, query);
  }

  @ApiOperation({ summary: 'Create a webhook endpoint' })
  @Post()
  @ApiCreatedResponse({ type: CreatedWebhookEndpointView, description: 'The whsec_ secret is in this answer only' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateWebhookEndpointDto): Promise<CreatedWebhookEndpointView> {
    return this.webhooks.createEndpoint(ctx, dto);
  }

  @ApiOperation({ summary: 'Get a webhook endpoint' })
  @Get(':id')
  @ApiOkResponse({ type: WebhookEndpointView })
  @ApiNotFoundResponse()
  get(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<WebhookEndpointView> {
    return this.webhooks.getEndpoint(ctx, id);
  }

  @ApiOperation({ summary: 'Update a webhook endpoint' })
  @Put(':id')
  @ApiOkResponse({ type: WebhookEndpointView })
  @ApiNotFoundResponse()
  update(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: UpdateWebhookEndpointDto): Promise<WebhookEndpointView> {
    return this.webhooks.updateEndpoint(ctx, id, dto);
  }

  @ApiOperation({ summary: 'Delete a webhook endpoint' })
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted with its messages and delivery log' })
  @ApiNotFoundResponse()
  delete(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<void> {
    return this.webhooks.deleteEndpoint(ctx, id);
  }

  @ApiOperation({ summary: "Rotate a webhook endpoint's signing secret" })
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

  @ApiOperation({ summary: 'Send a signed test event to a webhook endpoint' })
  @Post(':id/test')
  @ApiCreatedResponse({
    type: WebhookMessageView,
    description: 'The webhook.test message after its first attempt: delivered, or pending a retry with the status code or error',
  })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The endpoint is disabled' })
  sendTest(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<WebhookMessageView> {
    return this.webhooks.sendTestEvent(ctx, id);
  }

  @ApiOperation({ summary: "List an endpoint's delivery attempts" })
  @Get(':id/deliveries')
  @ApiPageResponse(WebhookAttemptView, 'Delivery attempts, newest first: status code, duration, error')
  @ApiNotFoundResponse()
  deliveries(@Ctx() ctx: RequestContext, @IdParam() id: string, @Query() query: DeliveryQueryDto): Promise<Page<WebhookAttemptView>> {
    return this.webhooks.listAttempts(ctx, id, query);
  }

  @ApiOperation({ summary: "List an endpoint's messages" })
  @Get(':id/messages')
  @ApiPageResponse(WebhookMessageView, 'Messages (one per event), newest first, with their delivery status')
  @ApiNotFoundResponse()
  messages(@Ctx() ctx: RequestContext, @IdParam() id: string, @Query() query: MessageQueryDto): Promise<Page<WebhookMessageView>> {
    return this.webhooks.listMessages(ctx, id, query);
  }

  @ApiOperation({ summary: "Replay an endpoint's failed messages" })
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

  @ApiOperation({ summary: 'Get a webhook message with its attempts' })
  @Get(':id')
  @ApiOkResponse({ type: WebhookMessageView })
  @ApiNotFoundResponse()
  get(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<WebhookMessageView> {
    return this.webhooks.getMessage(ctx, id);
  }

  @ApiOperation({ summary: 'Resend a webhook message' })
  @Post(':id/resend')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: WebhookMessageView, description: 'Queued to be sent again now, same webhook-id and body' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The endpoint is disabled' })
  resend(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<WebhookMessageView> {
    return this.webhooks.resend(ctx, id);
  }
}
