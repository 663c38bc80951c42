import { Body, Controller, Get, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { AdminOnly, ApiPageResponse, Ctx, IdParam, Page, RequestContext, TenantOrAdmin } from '@portico/core';
import type { Response } from 'express';
import { BillingService } from './billing.service';
import { BillingRunQueryDto, ChargeQueryDto } from './dto/billing-query.dto';
import { BillingPreviewView, BillingRunView, ChargeView } from './dto/billing.views';
import { CreateBillingRunDto } from './dto/create-billing-run.dto';

@ApiTags('billing')
@ApiExtraModels(BillingRunView, BillingPreviewView)
@Controller('api/v1/billing')
export class BillingController {
  constructor(private readonly billing: BillingService) {}

  @Post('runs')
  @ApiOperation({ summary: 'Start a billing run (or a dry run)' })
  @AdminOnly()
  @ApiCreatedResponse({ type: BillingRunView, description: 'The run, queued: it proceeds in the background (poll GET /runs/{id})' })
  @ApiOkResponse({
    description: 'dryRun: what would be billed; nothing is written',
    schema: { $ref: getSchemaPath(BillingPreviewView) },
  })
  @ApiBadRequestResponse({ description: 'period is not a month written YYYY-MM, or dryRun is not a boolean' })
  async create(
    @Ctx() ctx: RequestContext,
    @Body() dto: CreateBillingRunDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<BillingRunView | BillingPreviewView> {
    if (dto.dryRun) {
      res.status(200);
      return this.billing.dryRun(ctx, dto.period);
    }
    return this.billing.startRun(ctx, dto.period, 'api');
  }

  @Get('runs')
  @ApiOperation({ summary: 'List billing runs' })
  @AdminOnly()
  @ApiPageResponse(BillingRunView, 'Runs, newest first')
  listRuns(@Ctx() ctx: RequestContext, @Query() query: BillingRunQueryDto): Promise<Page<BillingRunView>> {
    return this.billing.listRuns(ctx, query);
  }

  @Get('runs/:id')
  @ApiOperation({ summary: 'Get a billing run' })
  @AdminOnly()
  @ApiOkResponse({ type: BillingRunView })
  @ApiNotFoundResponse()
  getRun(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<BillingRunView> {
    return this.billing.getRun(ctx, id);
  }

  @Get('charges')
  @ApiOperation({ summary: 'List charges' })
  @TenantOrAdmin()
  @ApiPageResponse(ChargeView, 'Charges, newest period first; a tenant API key sees its own organizations’ only')
  listCharges(@Ctx() ctx: RequestContext, @Query() query: ChargeQueryDto): Promise<Page<ChargeView>> {
    return this.billing.listCharges(ctx, query);
  }
}
