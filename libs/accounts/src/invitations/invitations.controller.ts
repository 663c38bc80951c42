import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPageResponse, Ctx, IdParam, Page, RequestContext, TenantOrAdmin } from '@portico/core';
import { CreateInvitationDto, InvitationQueryDto, InvitationView } from './dto/invitation.dto';
import { InvitationsService } from './invitations.service';

@ApiTags('organizations')
@TenantOrAdmin()
@Controller('api/v1/organizations/:id/invitations')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Get()
  @ApiOperation({ summary: "List an organization's pending invitations" })
  @ApiPageResponse(InvitationView, 'Invitations, newest first')
  @ApiNotFoundResponse()
  list(@Ctx() ctx: RequestContext, @IdParam() id: string, @Query() query: InvitationQueryDto): Promise<Page<InvitationView>> {
    return this.invitations.list(ctx, id, query);
  }

  @Post()
  @ApiOperation({ summary: 'Invite someone to an organization by email' })
  @ApiCreatedResponse({ type: InvitationView, description: 'Invited: the mail with the link (valid 7 days) is on its way' })
  @ApiConflictResponse({ description: 'The address already has a pending invitation here, or is already a member' })
  @ApiNotFoundResponse()
  create(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: CreateInvitationDto): Promise<InvitationView> {
    return this.invitations.create(ctx, id, dto);
  }

  @Delete(':invitationId')
  @ApiOperation({ summary: 'Revoke an invitation' })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked: the link no longer works' })
  @ApiConflictResponse({ description: 'Already accepted: remove the member instead' })
  @ApiNotFoundResponse()
  async revoke(@Ctx() ctx: RequestContext, @IdParam() id: string, @IdParam('invitationId') invitationId: string): Promise<void> {
    await this.invitations.revoke(ctx, id, invitationId);
  }
}
