import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly, ApiPageResponse, Ctx, IdParam, Page, RequestContext } from '@portico/core';
import { EntitlementSourceDto, EntitlementSourceQueryDto, EntitlementSourceView } from './dto/entitlement-source.dto';
import { EntitlementSourcesService } from './entitlement-sources.service';

@ApiTags('entitlements')
@AdminOnly()
@Controller('api/v1/entitlements/sources')
export class EntitlementSourcesController {
  constructor(private readonly sources: EntitlementSourcesService) {}

  @Get()
  @ApiOperation({ summary: 'List entitlement sources' })
  @ApiPageResponse(EntitlementSourceView, 'Delegation sources, by server and class')
  list(@Query() query: EntitlementSourceQueryDto): Promise<Page<EntitlementSourceView>> {
    return this.sources.list(query);
  }

  @Post()
  @ApiOperation({ summary: 'Create an entitlement source' })
  @ApiCreatedResponse({ type: EntitlementSourceView })
  @ApiConflictResponse({ description: 'The server already has a source for that class' })
  create(@Ctx() ctx: RequestContext, @Body() dto: EntitlementSourceDto): Promise<EntitlementSourceView> {
    return this.sources.create(ctx, dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an entitlement source' })
  @ApiOkResponse({ type: EntitlementSourceView })
  @ApiNotFoundResponse()
  get(@IdParam() id: string): Promise<EntitlementSourceView> {
    return this.sources.get(id);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Update an entitlement source' })
  @ApiOkResponse({ type: EntitlementSourceView })
  @ApiNotFoundResponse()
  update(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: EntitlementSourceDto): Promise<EntitlementSourceView> {
    return this.sources.update(ctx, id, dto);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete an entitlement source' })
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  delete(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<void> {
    return this.sources.delete(ctx, id);
  }
}
