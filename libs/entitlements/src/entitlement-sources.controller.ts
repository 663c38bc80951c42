import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
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
  @ApiPageResponse(EntitlementSourceView, 'Delegation sources, by server and class')
  list(@Query() query: EntitlementSourceQueryDto): Promise<Page<EntitlementSourceView>> {
    return this.sources.list(query);
  }

  @Post()
  @ApiCreatedResponse({ type: EntitlementSourceView })
  @ApiConflictResponse({ description: 'The server already has a source for that class' })
  create(@Ctx() ctx: RequestContext, @Body() dto: EntitlementSourceDto): Promise<EntitlementSourceView> {
    return this.sources.create(ctx, dto);
  }

  @Get(':id')
  @ApiOkResponse({ type: EntitlementSourceView })
  @ApiNotFoundResponse()
  get(@IdParam() id: string): Promise<EntitlementSourceView> {
    return this.sources.get(id);
  }

  @Put(':id')
  @ApiOkResponse({ type: EntitlementSourceView })
  @ApiNotFoundResponse()
  update(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: EntitlementSourceDto): Promise<EntitlementSourceView> {
    return this.sources.update(ctx, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  delete(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<void> {
    return this.sources.delete(ctx, id);
  }
}
