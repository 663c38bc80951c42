import { Body, Controller, Post, Req } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, RequestContext, TenantOptional } from '@portico/core';
import { callerTenant } from '@portico/tenants';
import type { Request } from 'express';
import { RegisterDto, RegisteredView } from './dto/register.dto';
import { SignupService } from './signup.service';

@ApiTags('signup')
@Controller('api/auth')
export class SignupController {
  constructor(private readonly signup: SignupService) {}

  @Post('register')
  @ApiOperation({ summary: 'Sign up an organization and its owner' })
  @TenantOptional()
  @ApiCreatedResponse({ type: RegisteredView, description: 'The organization and its owner were created' })
  @ApiConflictResponse({ description: 'The email or the organization name is taken' })
  @ApiForbiddenResponse({ description: 'Without a tenant API key, sign-up must be enabled' })
  register(@Ctx() ctx: RequestContext, @Body() dto: RegisterDto, @Req() req: Request): Promise<RegisteredView> {
    const tenant = callerTenant(ctx);
    return this.signup.register(tenant, dto, { trusted: tenant !== null, ip: req.ip ?? null, via: 'api' });
  }
}
