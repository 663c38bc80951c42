import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiPageResponse, Ctx, IdParam, Page, PageQueryDto, RequestContext, TenantOrAdmin } from '@portico/core';
import { AddMemberDto, MemberView, SetMemberRoleDto } from './dto/user.dto';
import { MembershipsService } from './memberships.service';

@ApiTags('organizations')
@TenantOrAdmin()
@Controller('api/v1/organizations/:id/members')
export class MembersController {
  constructor(private readonly memberships: MembershipsService) {}

  @Get()
  @ApiOperation({ summary: "List an organization's members" })
  @ApiPageResponse(MemberView, 'Members with their roles')
  @ApiNotFoundResponse()
  list(@Ctx() ctx: RequestContext, @IdParam() id: string, @Query() query: PageQueryDto): Promise<Page<MemberView>> {
    return this.memberships.list(ctx, id, query);
  }

  @Post()
  @ApiOperation({ summary: 'Add a user to an organization' })
  @ApiCreatedResponse({ type: MemberView })
  @ApiConflictResponse({ description: 'Already a member' })
  @ApiNotFoundResponse()
  add(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: AddMemberDto): Promise<MemberView> {
    return this.memberships.add(ctx, id, dto.userId, dto.role ?? 'member');
  }

  @Put(':userId')
  @ApiOperation({ summary: "Set a member's role" })
  @ApiOkResponse({ type: MemberView, description: 'The membership with its role set (created if missing)' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The organization’s only owner cannot be given another role' })
  setRole(
    @Ctx() ctx: RequestContext,
    @IdParam() id: string,
    @IdParam('userId') userId: string,
    @Body() dto: SetMemberRoleDto,
  ): Promise<MemberView> {
    return this.memberships.setRole(ctx, id, userId, dto.role);
  }

  @Delete(':userId')
  @ApiOperation({ summary: 'Remove a member from an organization' })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Removed from the organization' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The organization’s only owner cannot be removed (deleting the organization can)' })
  remove(@Ctx() ctx: RequestContext, @IdParam() id: string, @IdParam('userId') userId: string): Promise<void> {
    return this.memberships.remove(ctx, id, userId);
  }
}
