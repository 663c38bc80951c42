import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiPageResponse, Ctx, IdParam, Page, RequestContext, TenantOrAdmin } from '@portico/core';
import {
  CreateVirtualEntitlementDto,
  ImportReportView,
  ImportVirtualEntitlementsDto,
  UpdateVirtualEntitlementDto,
  VirtualEntitlementQueryDto,
  VirtualEntitlementView,
} from './dto/virtual-entitlement.dto';
import { VirtualImportService } from './import/virtual-import.service';
import { VirtualEntitlementsService } from './virtual-entitlements.service';

@ApiTags('entitlements')
@TenantOrAdmin()
@Controller('api/v1/entitlements/virtual')
export class VirtualEntitlementsController {
  constructor(
    private readonly virtual: VirtualEntitlementsService,
    private readonly importer: VirtualImportService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List virtual entitlement keys' })
  @ApiPageResponse(VirtualEntitlementView, 'Virtual keys the caller may see, by key')
  list(@Ctx() ctx: RequestContext, @Query() query: VirtualEntitlementQueryDto): Promise<Page<VirtualEntitlementView>> {
    return this.virtual.list(ctx, query);
  }

  @Post()
  @ApiOperation({ summary: 'Create a virtual entitlement key' })
  @ApiCreatedResponse({ type: VirtualEntitlementView })
  @ApiConflictResponse({ description: 'The key is already mapped to this class' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateVirtualEntitlementDto): Promise<VirtualEntitlementView> {
    return this.virtual.create(ctx, dto);
  }

  @Post('import')
  @ApiOperation({ summary: 'Import virtual entitlement keys from CSV' })
  @HttpCode(200)
  @ApiOkResponse({ type: ImportReportView, description: 'One report line per CSV line: created, updated or error with the reason' })
  import(@Ctx() ctx: RequestContext, @Body() dto: ImportVirtualEntitlementsDto): Promise<ImportReportView> {
    return this.importer.import(ctx, dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a virtual entitlement key' })
  @ApiOkResponse({ type: VirtualEntitlementView })
  @ApiNotFoundResponse()
  get(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<VirtualEntitlementView> {
    return this.virtual.get(ctx, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a virtual entitlement key' })
  @ApiOkResponse({ type: VirtualEntitlementView, description: 'Takes effect on the next check' })
  @ApiNotFoundResponse()
  update(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: UpdateVirtualEntitlementDto): Promise<VirtualEntitlementView> {
    return this.virtual.update(ctx, id, dto);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a virtual entitlement key' })
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  delete(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<void> {
    return this.virtual.delete(ctx, id);
  }
}
