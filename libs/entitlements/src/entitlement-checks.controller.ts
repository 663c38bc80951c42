import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, ApiPageResponse, Ctx, Page, RequestContext } from '@portico/core';
import { EntitlementCheckService } from './check/entitlement-check.service';
import { DecisionLogService } from './decisions/decision-log.service';
import { ServerAccessDto, ServerAccessView } from './dto/server-access.dto';
import { DecisionQueryDto, DecisionView, VerifyEntitlementDto, VerifyResultView } from './dto/verify.dto';
import { ServerAccessService } from './server-access.service';

/** The JSON side of the check: verify, the decision log and the per-server caller allow-lists. */
@ApiTags('entitlements')
@AdminOnly()
@Controller('api/v1/entitlements')
export class EntitlementChecksController {
  constructor(
    private readonly checks: EntitlementCheckService,
    private readonly decisions: DecisionLogService,
    private readonly access: ServerAccessService,
  ) {}

  @Post('verify')
  @ApiOperation({ summary: 'Explain the decision an entitlement check would make' })
  @HttpCode(200)
  @ApiOkResponse({ type: VerifyResultView, description: 'The decision GET /entitlements/check would make, with its reason code' })
  async verify(@Ctx() ctx: RequestContext, @Body() dto: VerifyEntitlementDto): Promise<VerifyResultView> {
    const decision = await this.checks.verify(
      { server: dto.server, className: dto.class || null, key: dto.key, remoteIp: dto.remoteIp || null },
      ctx.ip,
    );
    const granted = decision.entitlement;
    return granted
      ? { valid: true, code: decision.code, key: granted.key, class: granted.className }
      : { valid: false, code: decision.code };
  }

  @Get('decisions')
  @ApiOperation({ summary: 'List recent entitlement decisions' })
  @ApiPageResponse(DecisionView, 'Recent decisions, newest first (identical decisions within a second are one row with a count)')
  decisionLog(@Query() query: DecisionQueryDto): Promise<Page<DecisionView>> {
    return this.decisions.list(query);
  }

  @Get('servers')
  @ApiOperation({ summary: 'List servers with a restricted check endpoint' })
  @ApiOkResponse({ type: [ServerAccessView], description: 'Servers whose check endpoint is restricted to listed callers' })
  servers(): Promise<ServerAccessView[]> {
    return this.access.list();
  }

  @Put('servers/:server')
  @ApiOperation({ summary: 'Set the callers allowed to check for a server' })
  @ApiOkResponse({
    type: ServerAccessView,
    description: 'Replaces the allow-list; an empty list lets anyone ask. Takes effect on the next check.',
  })
  putServer(@Ctx() ctx: RequestContext, @Param('server') server: string, @Body() dto: ServerAccessDto): Promise<ServerAccessView> {
    return this.access.put(ctx, server, dto);
  }

  @Delete('servers/:server')
  @ApiOperation({ summary: "Remove a server's caller restriction" })
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  deleteServer(@Ctx() ctx: RequestContext, @Param('server') server: string): Promise<void> {
    return this.access.delete(ctx, server);
  }
}
