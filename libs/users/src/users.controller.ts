import { Body, Controller, Delete, Get, HttpCode, Post, Patch, Put, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiPageResponse, Ctx, IdParam, Page, RequestContext, TenantOrAdmin } from '@portico/core';
import { CreateUserDto, SetBillableDto, UpdateUserDto, UserQueryDto, UserView } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@TenantOrAdmin()
@Controller('api/v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'List users' })
  @ApiPageResponse(UserView, 'Users the caller may see, by email')
  list(@Ctx() ctx: RequestContext, @Query() query: UserQueryDto): Promise<Page<UserView>> {
    return this.users.list(ctx, query);
  }

  @Post()
  @ApiOperation({ summary: 'Create a user' })
  @ApiCreatedResponse({ type: UserView })
  @ApiConflictResponse({ description: 'The email, username or externalUid is taken in this tenant' })
  @ApiForbiddenResponse({ description: 'isPlatformAdmin sent with a tenant API key: only a platform administrator makes administrators' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateUserDto): Promise<UserView> {
    return this.users.create(ctx, dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a user' })
  @ApiOkResponse({ type: UserView })
  @ApiNotFoundResponse()
  get(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<UserView> {
    return this.users.get(ctx, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a user' })
  @ApiOkResponse({ type: UserView })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'Taken email, username or externalUid; or it would leave no active platform administrator' })
  @ApiForbiddenResponse({ description: 'isPlatformAdmin sent with a tenant API key' })
  update(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: UpdateUserDto): Promise<UserView> {
    return this.users.update(ctx, id, dto);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a user' })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with its memberships' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The last active platform administrator' })
  delete(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<void> {
    return this.users.delete(ctx, id);
  }

  @Put(':id/billable')
  @ApiOperation({ summary: 'Mark a user billable or not' })
  @ApiOkResponse({ type: UserView, description: 'The user with the flag set' })
  @ApiNotFoundResponse()
  setBillable(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: SetBillableDto): Promise<UserView> {
    return this.users.setBillable(ctx, id, dto.billable);
  }
}
