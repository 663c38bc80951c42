import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiPageResponse, Ctx, IdParam, Page, RequestContext, TenantOrAdmin } from '@portico/core';
import { CreateIdentityLinkDto, IdentityLinkKeyDto, IdentityLinkQueryDto, IdentityLinkView } from './dto/identity-link.dto';
import { IdentityMapService } from './identity-map.service';

@ApiTags('identity-links')
@TenantOrAdmin()
@Controller('api/v1/identity-links')
export class IdentityLinksController {
  constructor(private readonly identityMap: IdentityMapService) {}

  @Get()
  @ApiOperation({ summary: 'List identity links' })
  @ApiPageResponse(IdentityLinkView, 'The foreign ids recorded for Portico records, by provider, type and foreign id')
  list(@Ctx() ctx: RequestContext, @Query() query: IdentityLinkQueryDto): Promise<Page<IdentityLinkView>> {
    return this.identityMap.list(ctx, query);
  }

  @Post()
  @ApiOperation({ summary: 'Link a foreign id to a user or organization' })
  @ApiCreatedResponse({ type: IdentityLinkView })
  @ApiBadRequestResponse({ description: 'localId does not name a user or organization of the tenant' })
  @ApiConflictResponse({ description: 'The foreign id, or the local record, already has a link for this provider' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateIdentityLinkDto): Promise<IdentityLinkView> {
    return this.identityMap.create(ctx, dto);
  }

  @Delete()
  @ApiOperation({ summary: 'Delete an identity link by its foreign id' })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The link named by provider, entityType and foreignId is deleted' })
  @ApiNotFoundResponse()
  removeByKey(@Ctx() ctx: RequestContext, @Query() key: IdentityLinkKeyDto): Promise<void> {
    return this.identityMap.removeByKey(ctx, key);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete an identity link' })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse()
  remove(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<void> {
    return this.identityMap.remove(ctx, id);
  }
}
