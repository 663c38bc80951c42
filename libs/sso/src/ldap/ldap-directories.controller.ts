import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly, ApiPageResponse, Ctx, IdParam, Page, PageQueryDto, RequestContext } from '@portico/core';
import {
  CreateLdapDirectoryDto,
  LdapDirectoryView,
  LdapTestResultView,
  TestLdapDirectoryDto,
  UpdateLdapDirectoryDto,
} from './dto/ldap-directory.dto';
import { LdapService } from './ldap.service';

@ApiTags('ldap')
@AdminOnly()
@Controller('api/v1/ldap-directories')
export class LdapDirectoriesController {
  constructor(private readonly ldap: LdapService) {}

  @Get()
  @ApiOperation({ summary: 'List LDAP directories' })
  @ApiPageResponse(LdapDirectoryView, 'Directories, by name: global ones (tenantKey null) and the tenants’')
  list(@Query() query: PageQueryDto): Promise<Page<LdapDirectoryView>> {
    return this.ldap.list(query);
  }

  @Post()
  @ApiOperation({ summary: 'Add an LDAP directory' })
  @ApiCreatedResponse({ type: LdapDirectoryView })
  @ApiBadRequestResponse({ description: 'A field is invalid; the message names it' })
  @ApiConflictResponse({ description: 'The name is taken for this tenant' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateLdapDirectoryDto): Promise<LdapDirectoryView> {
    return this.ldap.create(ctx, dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an LDAP directory' })
  @ApiOkResponse({ type: LdapDirectoryView })
  @ApiNotFoundResponse()
  get(@IdParam() id: string): Promise<LdapDirectoryView> {
    return this.ldap.get(id);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Update an LDAP directory' })
  @ApiOkResponse({ type: LdapDirectoryView, description: 'Fields left out keep their value; bindPassword null removes it' })
  @ApiBadRequestResponse({ description: 'A field is invalid; the message names it' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The name is taken for this tenant' })
  update(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: UpdateLdapDirectoryDto): Promise<LdapDirectoryView> {
    return this.ldap.update(ctx, id, dto);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete an LDAP directory' })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted; the users it checked stay, unlinked' })
  @ApiNotFoundResponse()
  delete(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<void> {
    return this.ldap.delete(ctx, id);
  }

  @Post(':id/test')
  @ApiOperation({ summary: 'Test the connection to an LDAP directory' })
  @HttpCode(200)
  @ApiOkResponse({
    type: LdapTestResultView,
    description:
      'Binds as the service account, searches the user (and binds as them when a password is given), shows the mapped attributes, groups and roles. Creates nothing.',
  })
  @ApiNotFoundResponse()
  test(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: TestLdapDirectoryDto): Promise<LdapTestResultView> {
    return this.ldap.test(ctx, id, dto);
  }
}
