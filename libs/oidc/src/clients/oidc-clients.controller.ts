import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly, ApiPageResponse, Ctx, Page, PageQueryDto, RequestContext, TenantOrAdmin } from '@portico/core';
import {
  CreatedOidcClientView,
  CreateOidcClientDto,
  OidcClientView,
  RotatedClientSecretView,
  UpdateOidcClientDto,
} from '../dto/oidc-client.dto';
import { SigningKeyView } from '../dto/signing-key.dto';
import { SigningKeysService } from '../keys/signing-keys.service';
import { OidcClientsService } from './oidc-clients.service';

const CLIENT_ID = { name: 'clientId', example: 'pc_3f9a6c1d2e8b4f70a1c2d3e4' };

@ApiTags('oidc')
@TenantOrAdmin()
@Controller('api/v1/oidc/clients')
export class OidcClientsController {
  constructor(private readonly clients: OidcClientsService) {}

  @Get()
  @ApiOperation({ summary: 'List OpenID Connect applications' })
  @ApiPageResponse(OidcClientView, 'The clients the caller may see')
  list(@Ctx() ctx: RequestContext, @Query() query: PageQueryDto): Promise<Page<OidcClientView>> {
    return this.clients.list(ctx, query);
  }

  @Post()
  @ApiOperation({ summary: 'Register an OpenID Connect application' })
  @ApiCreatedResponse({ type: CreatedOidcClientView, description: 'A confidential client’s secret is in this answer only' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateOidcClientDto): Promise<CreatedOidcClientView> {
    return this.clients.create(ctx, dto);
  }

  @Get(':clientId')
  @ApiOperation({ summary: 'Get an OpenID Connect application' })
  @ApiParam(CLIENT_ID)
  @ApiOkResponse({ type: OidcClientView })
  @ApiNotFoundResponse()
  get(@Ctx() ctx: RequestContext, @Param('clientId') clientId: string): Promise<OidcClientView> {
    return this.clients.get(ctx, clientId);
  }

  @Put(':clientId')
  @ApiOperation({ summary: 'Update an OpenID Connect application' })
  @ApiParam(CLIENT_ID)
  @ApiOkResponse({ type: OidcClientView })
  @ApiNotFoundResponse()
  update(@Ctx() ctx: RequestContext, @Param('clientId') clientId: string, @Body() dto: UpdateOidcClientDto): Promise<OidcClientView> {
    return this.clients.update(ctx, clientId, dto);
  }

  @Delete(':clientId')
  @ApiOperation({ summary: 'Delete an OpenID Connect application' })
  @HttpCode(204)
  @ApiParam(CLIENT_ID)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse()
  delete(@Ctx() ctx: RequestContext, @Param('clientId') clientId: string): Promise<void> {
    return this.clients.delete(ctx, clientId);
  }

  @Post(':clientId/secret')
  @ApiOperation({ summary: 'Issue a new client secret' })
  @HttpCode(200)
  @ApiParam(CLIENT_ID)
  @ApiOkResponse({ type: RotatedClientSecretView, description: 'The new secret, shown once; the previous one no longer works' })
  @ApiNotFoundResponse()
  rotateSecret(@Ctx() ctx: RequestContext, @Param('clientId') clientId: string): Promise<RotatedClientSecretView> {
    return this.clients.rotateSecret(ctx, clientId);
  }
}

@ApiTags('oidc')
@AdminOnly()
@Controller('api/v1/oidc/keys')
export class OidcKeysController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get()
  @ApiOperation({ summary: 'List the OpenID Connect signing keys' })
  @ApiOkResponse({ type: [SigningKeyView], description: 'The keys in the JWKS: the signing one of each algorithm and those retiring' })
  list(): Promise<SigningKeyView[]> {
    return this.keys.list();
  }

  @Post('rotate')
  @ApiOperation({ summary: 'Rotate the OpenID Connect signing keys' })
  @HttpCode(200)
  @ApiOkResponse({
    type: [SigningKeyView],
    description: 'A new key of each algorithm signs from now on; the previous ones verify until retiresAt',
  })
  rotate(@Ctx() ctx: RequestContext): Promise<SigningKeyView[]> {
    // The provider rebuilds itself (and tells the other instances) through SigningKeysService.onRotated.
    return this.keys.rotate(ctx);
  }
}
