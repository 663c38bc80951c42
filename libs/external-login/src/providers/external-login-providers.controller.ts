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
import { AdminOnly, ApiPageResponse, Ctx, IdParam, Page, PageQueryDto, RequestContext } from '@portico/core';
import {
  CreateExternalLoginProviderDto,
  ExternalLoginProviderView,
  ExternalLoginTestResultView,
  TestExternalLoginProviderDto,
  UpdateExternalLoginProviderDto,
} from '../dto/external-login-provider.dto';
import { ExternalLoginProvidersService } from './external-login-providers.service';

@ApiTags('external-login')
@AdminOnly()
@Controller('api/v1/external-login-providers')
export class ExternalLoginProvidersController {
  constructor(private readonly providers: ExternalLoginProvidersService) {}

  @Get()
  @ApiOperation({ summary: 'List external login providers' })
  @ApiPageResponse(ExternalLoginProviderView, 'Providers, by name, with their circuit-breaker state')
  list(@Query() query: PageQueryDto): Promise<Page<ExternalLoginProviderView>> {
    return this.providers.list(query);
  }

  @Post()
  @ApiOperation({ summary: 'Create an external login provider' })
  @ApiCreatedResponse({ type: ExternalLoginProviderView })
  @ApiConflictResponse({ description: 'The name is taken' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateExternalLoginProviderDto): Promise<ExternalLoginProviderView> {
    return this.providers.create(ctx, dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an external login provider' })
  @ApiOkResponse({ type: ExternalLoginProviderView })
  @ApiNotFoundResponse()
  get(@IdParam() id: string): Promise<ExternalLoginProviderView> {
    return this.providers.get(id);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Update an external login provider' })
  @ApiOkResponse({ type: ExternalLoginProviderView, description: 'Fields left out keep their value; the breaker starts afresh' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The name is taken' })
  update(
    @Ctx() ctx: RequestContext,
    @IdParam() id: string,
    @Body() dto: UpdateExternalLoginProviderDto,
  ): Promise<ExternalLoginProviderView> {
    return this.providers.update(ctx, id, dto);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete an external login provider' })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'Still assigned to organizations' })
  delete(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<void> {
    return this.providers.delete(ctx, id);
  }

  @Post(':id/test')
  @ApiOperation({ summary: 'Test an external login provider with one login' })
  @HttpCode(200)
  @ApiOkResponse({
    type: ExternalLoginTestResultView,
    description: 'Sends one login to the provider (even while its breaker is open) and reports the answer',
  })
  @ApiNotFoundResponse()
  test(@Ctx() ctx: RequestContext, @IdParam() id: string, @Body() dto: TestExternalLoginProviderDto): Promise<ExternalLoginTestResultView> {
    return this.providers.test(ctx, id, dto);
  }
}
