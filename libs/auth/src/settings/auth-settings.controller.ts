import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, Ctx, RequestContext } from '@portico/core';
import { AuthSettingsView, TenantSettingsView, UpdateAuthSettingsDto, UpdateTenantSettingsDto } from './auth-settings.dto';
import { AuthSettingsService } from './auth-settings.service';

@ApiTags('settings')
@AdminOnly()
@Controller('api/v1')
export class AuthSettingsController {
  constructor(private readonly settings: AuthSettingsService) {}

  @Get('settings/authentication')
  @ApiOperation({ summary: 'Get the sign-in settings' })
  @ApiOkResponse({ type: AuthSettingsView })
  get(): Promise<AuthSettingsView> {
    return this.settings.global();
  }

  @Put('settings/authentication')
  @ApiOperation({ summary: 'Update the sign-in settings' })
  @ApiOkResponse({ type: AuthSettingsView, description: 'Takes effect on the next request' })
  update(@Ctx() ctx: RequestContext, @Body() dto: UpdateAuthSettingsDto): Promise<AuthSettingsView> {
    return this.settings.updateGlobal(ctx, dto);
  }

  @Get('tenants/:key/settings')
  @ApiOperation({ summary: "Get a tenant's settings" })
  @ApiOkResponse({ type: TenantSettingsView })
  @ApiNotFoundResponse()
  getTenant(@Param('key') key: string): Promise<TenantSettingsView> {
    return this.settings.forTenant(key);
  }

  @Put('tenants/:key/settings')
  @ApiOperation({ summary: "Update a tenant's settings" })
  @ApiOkResponse({ type: TenantSettingsView })
  @ApiNotFoundResponse()
  updateTenant(@Ctx() ctx: RequestContext, @Param('key') key: string, @Body() dto: UpdateTenantSettingsDto): Promise<TenantSettingsView> {
    return this.settings.updateTenant(ctx, key, dto);
  }
}
