import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, Ctx, RequestContext } from '@portico/core';
import { PutTenantOidcDto, TenantOidcView } from '../dto/tenant-oidc.dto';
import { TenantOidcService } from '../tenant-oidc.service';

/** A tenant's OpenID provider, Portico being its relying party (product.md §13), platform admins only. */
@ApiTags('tenant-oidc')
@AdminOnly()
@Controller('api/v1/tenants/:key/oidc')
export class TenantOidcController {
  constructor(private readonly oidc: TenantOidcService) {}

  @Get()
  @ApiOperation({
    summary: "Get a tenant's OpenID Connect login",
    description: "The tenant's OpenID provider with Portico's redirect URI and the discovered endpoints (defaults before it is set)",
  })
  @ApiOkResponse({ type: TenantOidcView })
  get(@Param('key') key: string): Promise<TenantOidcView> {
    return this.oidc.get(key);
  }

  @Put()
  @ApiOperation({
    summary: "Set a tenant's OpenID Connect login",
    description:
      'Sets the provider and the sign-in behaviour; fields left out keep their value. A new issuer is discovered at once (400 naming issuer when that fails)',
  })
  @ApiOkResponse({ type: TenantOidcView })
  put(@Ctx() ctx: RequestContext, @Param('key') key: string, @Body() dto: PutTenantOidcDto): Promise<TenantOidcView> {
    return this.oidc.put(ctx, key, dto);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary: "Remove a tenant's OpenID Connect login",
    description: 'Removes the provider and its client secret; sign-in through it stops at once',
  })
  @ApiNoContentResponse()
  async delete(@Ctx() ctx: RequestContext, @Param('key') key: string): Promise<void> {
    await this.oidc.delete(ctx, key);
  }
}
