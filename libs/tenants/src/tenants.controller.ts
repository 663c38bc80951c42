import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly, ApiPageResponse, Ctx, Page, PageQueryDto, RequestContext } from '@portico/core';
import { IsOptional, IsString, Length } from 'class-validator';
import { ApiKeyView, CreateApiKeyDto, CreatedApiKeyView, CreateTenantDto, TenantView, UpdateTenantDto } from './dto/tenant.dto';
import { TenantsService } from './tenants.service';

export class TenantQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Part of the key or name' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  search?: string;
}

@ApiTags('tenants')
@AdminOnly()
@Controller('api/v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Get()
  @ApiOperation({ summary: 'List tenants' })
  @ApiPageResponse(TenantView, 'Tenants, by key')
  list(@Query() query: TenantQueryDto): Promise<Page<TenantView>> {
    return this.tenants.list(query);
  }

  @Post()
  @ApiOperation({ summary: 'Create a tenant' })
  @ApiCreatedResponse({ type: TenantView })
  @ApiConflictResponse({ description: 'The key is taken' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateTenantDto): Promise<TenantView> {
    return this.tenants.create(ctx, dto);
  }

  @Get(':key')
  @ApiOperation({ summary: 'Get a tenant' })
  @ApiOkResponse({ type: TenantView })
  @ApiNotFoundResponse()
  get(@Param('key') key: string): Promise<TenantView> {
    return this.tenants.get(key);
  }

  @Patch(':key')
  @ApiOperation({ summary: 'Update a tenant' })
  @ApiOkResponse({ type: TenantView })
  @ApiNotFoundResponse()
  update(@Ctx() ctx: RequestContext, @Param('key') key: string, @Body() dto: UpdateTenantDto): Promise<TenantView> {
    return this.tenants.update(ctx, key, dto);
  }

  @Delete(':key')
  @ApiOperation({ summary: 'Delete a tenant and everything it owns' })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with everything the tenant owned' })
  @ApiNotFoundResponse()
  delete(@Ctx() ctx: RequestContext, @Param('key') key: string): Promise<void> {
    return this.tenants.delete(ctx, key);
  }

  @Get(':key/api-keys')
  @ApiOperation({ summary: "List a tenant's API keys" })
  @ApiPageResponse(ApiKeyView, 'The tenant’s keys, newest first, revoked ones included; never a secret')
  @ApiNotFoundResponse()
  listApiKeys(@Param('key') key: string, @Query() query: PageQueryDto): Promise<Page<ApiKeyView>> {
    return this.tenants.listApiKeys(key, query);
  }

  @Post(':key/api-keys')
  @ApiOperation({ summary: 'Create a tenant API key' })
  @ApiCreatedResponse({ type: CreatedApiKeyView, description: 'The secret is in this answer only' })
  @ApiNotFoundResponse()
  createApiKey(@Ctx() ctx: RequestContext, @Param('key') key: string, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    return this.tenants.createApiKey(ctx, key, dto);
  }

  @Delete(':key/api-keys/:keyId')
  @ApiOperation({ summary: 'Revoke a tenant API key' })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked: the key stops working at once' })
  @ApiNotFoundResponse()
  revokeApiKey(@Ctx() ctx: RequestContext, @Param('key') key: string, @Param('keyId') keyId: string): Promise<void> {
    return this.tenants.revokeApiKey(ctx, key, keyId);
  }
}
