import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, IdParam, RequestContext, TenantOrAdmin } from '@portico/core';
import { PasswordResetService } from './password-reset.service';

@ApiTags('users')
@Controller('api/v1/users')
export class PasswordResetController {
  constructor(private readonly reset: PasswordResetService) {}

  @Post(':id/password-reset')
  @TenantOrAdmin()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Mail the user a link to choose a new password',
    description:
      'A local-password account gets a link to /password/reset (its tenant’s form for a tenant’s user), single use, valid 30 minutes; an account that signs in another way (SAML, OIDC, LDAP, an external provider) gets a mail saying so. The mail is queued: 202.',
  })
  @ApiAcceptedResponse({ description: 'The mail is queued' })
  @ApiNotFoundResponse({ description: 'No such user, or not one of the calling tenant' })
  async send(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<void> {
    await this.reset.requestFor(ctx, id);
  }
}
