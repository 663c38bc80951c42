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
import { CreateOrganizationDto, OrganizationQueryDto, OrganizationView, UpdateOrganizationDto } from './dto/organization.dto';
import { OrganizationsService } from './organizations.service';

@ApiTags('organizations')
@TenantOrAdmin()
@Controller('api/v1/organizations')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Get()
  @ApiOperation({ summary: 'List organizations' })
  @ApiPageResponse(OrganizationView, 'Organizations the caller may see, by name')
  list(@Ctx() ctx: RequestContext, @Query() query: OrganizationQueryDto): Promise<Page<OrganizationView>> {
    return this.organizations.list(ctx, query);
  }

  @Post()
  @ApiOperation({ summary: 'Create an organization' })
  @ApiCreatedResponse({ type: OrganizationView })
  @ApiConflictResponse({ description: 'The name or externalUid is taken in this tenant' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateOrganizationDto): Promise<OrganizationView> {
    return this.organizations.create(ctx, dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an organization' })
  @ApiOkResponse({ type: OrganizationView })
  @ApiNotFoundResponse()
  get(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<OrganizationView> {
    return this.organizations.get(ctx, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update an organization' })
  @ApiOkResponse({ type: OrganizationView })
  @ApiNotFoundResponse()
  update(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: UpdateOrganizationDto): Promise<OrganizationView> {
    return this.organizations.update(ctx, id, dto);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete an organization' })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with its memberships' })
  @ApiNotFoundResponse()
  delete(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<void> {
    return this.organizations.delete(ctx, id);
  }
}
