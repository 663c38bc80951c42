import { Controller, Delete, HttpCode } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, IdParam, RequestContext, TenantOrAdmin } from '@portico/core';
import { AuthenticatorService } from './authenticator.service';

@ApiTags('users')
@TenantOrAdmin()
@Controller('api/v1/users')
export class AuthenticatorController {
  constructor(private readonly authenticators: AuthenticatorService) {}

  @Delete(':id/authenticator')
  @ApiOperation({ summary: "Reset a user's authenticator" })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The authenticator is removed; the user signs in with the password alone until enrolling again' })
  @ApiNotFoundResponse()
  reset(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<void> {
    return this.authenticators.adminReset(ctx, id);
  }
}
