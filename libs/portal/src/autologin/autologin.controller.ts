import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminOnly, Ctx, Public, RequestContext } from '@portico/core';
import type { Request } from 'express';
import { AutologinLogin } from './autologin-login';
import { AutologinSecretsService } from './autologin-secrets.service';
import { AutologinDto, AutologinSecretView, AutologinView } from './dto/autologin.dto';

@ApiTags('portal')
@Controller('api')
export class AutologinController {
  constructor(
    private readonly autologin: AutologinLogin,
    private readonly secrets: AutologinSecretsService,
  ) {}

  @Post('auth/autologin')
  @ApiOperation({ summary: 'Issue a one-time sign-in link for a portal user' })
  @Public()
  @HttpCode(200)
  @ApiOkResponse({ type: AutologinView, description: 'The user was found or created; open loginUrl (once, within 60 s) to sign in' })
  @ApiBadRequestResponse({ description: 'A field is missing or malformed' })
  @ApiUnauthorizedResponse({ description: 'The token is not the tenant’s secret nor a valid JWT signed with it' })
  @ApiForbiddenResponse({ description: 'The tenant is suspended or the user is disabled' })
  @ApiTooManyRequestsResponse({
    description: 'Too many wrong tokens for this tenant or from this address; Retry-After says when to try again',
  })
  issue(@Body() dto: AutologinDto, @Req() req: Request): Promise<AutologinView> {
    return this.autologin.issue(dto, req.ip ?? null, String(req.id ?? '') || null);
  }

  @Post('v1/tenants/:key/autologin-secret')
  @ApiOperation({ summary: "Replace a tenant's autologin secret" })
  @AdminOnly()
  @ApiCreatedResponse({ type: AutologinSecretView, description: 'A new secret, replacing the previous one at once; shown only here' })
  @ApiNotFoundResponse()
  rotate(@Ctx() ctx: RequestContext, @Param('key') key: string): Promise<AutologinSecretView> {
    return this.secrets.rotate(ctx, key);
  }
}
