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
import { EntitlementClassDto, EntitlementClassQueryDto, EntitlementClassView } from './dto/entitlement-class.dto';
import { EntitlementClassesService } from './entitlement-classes.service';

@ApiTags('entitlements')
@AdminOnly()
@Controller('api/v1/entitlements/classes')
export class EntitlementClassesController {
  constructor(private readonly classes: EntitlementClassesService) {}

  @Get()
  @ApiOperation({ summary: 'List entitlement classes' })
  @ApiPageResponse(EntitlementClassView, 'Classes, by server and name')
  list(@Query() query: EntitlementClassQueryDto): Promise<Page<EntitlementClassView>> {
    return this.classes.list(query);
  }

  @Post()
  @ApiOperation({ summary: 'Create an entitlement class' })
  @ApiCreatedResponse({ type: EntitlementClassView })
  @ApiConflictResponse({ description: 'The server already has a class of that name' })
  create(@Ctx() ctx: RequestContext, @Body() dto: EntitlementClassDto): Promise<EntitlementClassView> {
    return this.classes.create(ctx, dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an entitlement class' })
  @ApiOkResponse({ type: EntitlementClassView })
  @ApiNotFoundResponse()
  get(@IdParam() id: string): Promise<EntitlementClassView> {
    return this.classes.get(id);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Update an entitlement class' })
  @ApiOkResponse({ type: EntitlementClassView })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The server already has a class of that name' })
  update(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: EntitlementClassDto): Promise<EntitlementClassView> {
    return this.classes.update(ctx, id, dto);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete an entitlement class' })
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'Virtual keys still map onto the class' })
  delete(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<void> {
    return this.classes.delete(ctx, id);
  }
}
