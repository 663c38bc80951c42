import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, Ctx, RequestContext } from '@portico/core';
import { ImportIdpMetadataDto, PutSamlConnectionDto, SamlConnectionView } from '../dto/saml-connection.dto';
import { SamlService } from '../saml.service';

/** A tenant's SAML connection (product.md §10), platform admins only. */
@ApiTags('saml')
@AdminOnly()
@Controller('api/v1/tenants/:key/saml')
export class SamlConnectionsController {
  constructor(private readonly saml: SamlService) {}

  @Get()
  @ApiOperation({
    summary: "Get a tenant's SAML connection",
    description: "With Portico's SP URLs and certificate (made on first use, disabled)",
  })
  @ApiOkResponse({ type: SamlConnectionView })
  get(@Param('key') key: string): Promise<SamlConnectionView> {
    return this.saml.get(key);
  }

  @Put()
  @ApiOperation({
    summary: "Set a tenant's SAML connection",
    description: 'Sets the IdP and the sign-in behaviour; fields left out keep their value',
  })
  @ApiOkResponse({ type: SamlConnectionView })
  put(@Ctx() ctx: RequestContext, @Param('key') key: string, @Body() dto: PutSamlConnectionDto): Promise<SamlConnectionView> {
    return this.saml.put(ctx, key, dto);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary: "Remove a tenant's SAML connection",
    description: 'Removes the connection with its SP key pair; the next GET makes a new, disabled one',
  })
  @ApiNoContentResponse()
  async delete(@Ctx() ctx: RequestContext, @Param('key') key: string): Promise<void> {
    await this.saml.delete(ctx, key);
  }

  @Post('import-metadata')
  @HttpCode(200)
  @ApiOperation({
    summary: "Import the IdP's SAML metadata",
    description: "Sets the IdP's entity id, SSO URL and certificates from its metadata (pasted XML or a URL)",
  })
  @ApiOkResponse({ type: SamlConnectionView })
  importMetadata(@Ctx() ctx: RequestContext, @Param('key') key: string, @Body() dto: ImportIdpMetadataDto): Promise<SamlConnectionView> {
    return this.saml.importMetadata(ctx, key, dto);
  }

  @Post('sp-certificate/rotate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate the SAML SP certificate',
    description: 'A new SP signing key and certificate at once; the previous certificate stays in the SP metadata until the next rotation',
  })
  @ApiOkResponse({ type: SamlConnectionView })
  rotate(@Ctx() ctx: RequestContext, @Param('key') key: string): Promise<SamlConnectionView> {
    return this.saml.rotateSpCertificate(ctx, key);
  }
}
