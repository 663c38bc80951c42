import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Ctx, RequestContext, TenantKeyed } from '@portico/core';
import { AccountWebhooksService } from './account-webhooks.service';

const SUCCESS = { success: true } as const;

@ApiTags('tenant-keyed')
@TenantKeyed()
@ApiParam({ name: 'tenantKey', description: 'The tenant; only its own API key is accepted' })
@Controller('t/:tenantKey/account/groups')
export class AccountWebhooksController {
  constructor(private readonly webhooks: AccountWebhooksService) {}

  @Delete(':groupUid')
  @ApiOperation({ summary: "Delete a portal group's organization" })
  @HttpCode(200)
  @ApiOkResponse({ description: 'The organization with that group uid is deleted (or was already gone): {"success": true}' })
  async deleteGroup(@Ctx() ctx: RequestContext, @Param('groupUid') groupUid: string): Promise<typeof SUCCESS> {
    await this.webhooks.deleteGroup(ctx, groupUid);
    return SUCCESS;
  }

  @Delete(':groupUid/users/:userUid')
  @ApiOperation({ summary: 'Remove a portal user from a group' })
  @HttpCode(200)
  @ApiOkResponse({ description: 'The user is no longer a member of that group (or never was): {"success": true}' })
  async removeUser(
    @Ctx() ctx: RequestContext,
    @Param('groupUid') groupUid: string,
    @Param('userUid') userUid: string,
  ): Promise<typeof SUCCESS> {
    await this.webhooks.removeGroupUser(ctx, groupUid, userUid);
    return SUCCESS;
  }
}
