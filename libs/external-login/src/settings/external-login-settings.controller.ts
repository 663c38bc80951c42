import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, Ctx, RequestContext } from '@portico/core';
import { ExternalLoginSettingsView, UpdateExternalLoginSettingsDto } from '../dto/external-login-settings.dto';
import { ExternalLoginSettingsService } from './external-login-settings.service';

@ApiTags('settings')
@AdminOnly()
@Controller('api/v1/settings/external-login')
export class ExternalLoginSettingsController {
  constructor(private readonly settings: ExternalLoginSettingsService) {}

  @Get()
  @ApiOperation({ summary: "Get Portico's external login endpoint settings" })
  @ApiOkResponse({ type: ExternalLoginSettingsView, description: 'Portico as an external login provider (POST /external-login)' })
  get(): Promise<ExternalLoginSettingsView> {
    return this.settings.get();
  }

  @Put()
  @ApiOperation({ summary: "Update Portico's external login endpoint settings" })
  @ApiOkResponse({ type: ExternalLoginSettingsView, description: 'Fields left out keep their value; takes effect on the next call' })
  update(@Ctx() ctx: RequestContext, @Body() dto: UpdateExternalLoginSettingsDto): Promise<ExternalLoginSettingsView> {
    return this.settings.update(ctx, dto);
  }
}
