import { Body, Controller, Post, Req } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiTags } from '@nestjs/swagger';
import { Ctx, RequestContext, TenantOptional } from '@portico/core';
import type { Request } from 'express';
import { RegisterDto, RegisteredView } from './dto/register.dto';
import { SignupService } from './signup.service';

@ApiTags('signup')
@Controller('api/auth')
export class SignupController {
  constructor(private readonly signup: SignupService) {}

  @Post('register')
  @TenantOptional()
  @ApiCreatedResponse({ type: RegisteredView, description: 'The organization and its owner were created' })
  @ApiConflictResponse({ description: 'The email or the organization name is taken' })
  @ApiForbiddenResponse({ description: 'Without a tenant API key, sign-up must be enabled' })
  register(@Ctx() ctx: RequestContext, @Body() dto: RegisterDto, @Req() req: Request): Promise<RegisteredView> {
    const tenant =
      ctx.actor.kind === 'tenant'
        ? { id: ctx.actor.tenantId, key: ctx.actor.tenantKey, name: ctx.actor.tenantKey, status: 'active' as const }
        : null;
    return this.signup.register(tenant, dto, { trusted: ctx.actor.kind === 'tenant', ip: req.ip ?? null, via: 'api' });
  }
}
