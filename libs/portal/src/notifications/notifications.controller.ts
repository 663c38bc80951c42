import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Ctx, RequestContext, TenantKeyed } from '@portico/core';
import { NotificationAnswer, NotificationsService } from './notifications.service';

const RECORD_RESULT = {
  type: 'object',
  properties: {
    id: { type: 'string', nullable: true },
    status: { type: 'string', enum: ['created', 'updated', 'unchanged', 'rejected'] },
    localId: { type: 'string', format: 'uuid' },
    reason: { type: 'string' },
  },
};

@ApiTags('tenant-keyed')
@TenantKeyed()
@ApiParam({ name: 'tenantKey', description: 'The tenant; only its own API key is accepted' })
@Controller('t/:tenantKey/data/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Post()
  @ApiOperation({ summary: "Receive a portal's data notifications" })
  @HttpCode(200)
  @ApiHeader({ name: 'webhook-id', required: false, description: 'The delivery id: a delivery with an id already applied changes nothing' })
  @ApiBody({
    description:
      'Collections of records: organizations {id, name} (id = group uid) and people {id, group_id, email, first_name, last_name, role}',
    schema: { type: 'object', additionalProperties: { type: 'array', items: { type: 'object' } } },
  })
  @ApiOkResponse({
    description: 'Each record’s result, per collection, in the order sent',
    schema: {
      type: 'object',
      properties: {
        success: { type: 'boolean' },
        duplicate: { type: 'boolean' },
        results: { type: 'object', additionalProperties: { type: 'array', items: RECORD_RESULT } },
      },
    },
  })
  @ApiBadRequestResponse({ description: 'The body is not {"<collection>": [records]}' })
  @ApiConflictResponse({ description: 'The same delivery is being applied by another request; send it again in a moment' })
  receive(@Ctx() ctx: RequestContext, @Body() body: unknown, @Headers('webhook-id') webhookId?: string): Promise<NotificationAnswer> {
    return this.notifications.receive(ctx, body, webhookId);
  }
}
