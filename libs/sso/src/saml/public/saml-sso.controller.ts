import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { EXTERNAL_AMR, finishPasswordStep } from '@portico/auth';
import { Public } from '@portico/core';
import type { Request, Response } from 'express';
import { Refusal } from '../login/saml-login';
import { SamlService } from '../saml.service';

/** The tenant's SAML endpoints the IdP and browsers use: SP metadata, sign-in start, ACS. */
@ApiTags('saml')
@Public()
@Controller('t/:tenantKey/saml')
export class SamlSsoController {
  constructor(private readonly saml: SamlService) {}

  @Get('metadata')
  @ApiOperation({
    summary: "Get Portico's SAML SP metadata for a tenant",
    description: 'Public; available before the connection is enabled',
  })
  @ApiProduces('application/samlmetadata+xml')
  async metadata(@Param('tenantKey') key: string, @Res() res: Response): Promise<void> {
    const xml = await this.saml.spMetadata(key);
    if (!xml) {
      res.status(404).type('text/plain').send('There is no tenant with this key.');
      return;
    }
    res.type('application/samlmetadata+xml').send(xml);
  }

  @Get('init')
  @ApiOperation({
    summary: 'Start a SAML sign-in',
    description: 'Redirects to the IdP with a signed AuthnRequest; ?next=/path to come back to',
  })
  async init(@Param('tenantKey') key: string, @Query('next') next: unknown, @Res() res: Response): Promise<void> {
    const outcome = await this.saml.startLogin(key, typeof next === 'string' ? next : undefined);
    if (outcome.kind === 'refused') return refusalPage(res, outcome);
    res.redirect(302, outcome.url);
  }

  @Post('consume')
  @ApiOperation({
    summary: 'Finish a SAML sign-in (assertion consumer service)',
    description: 'HTTP-POST binding: SAMLResponse and RelayState',
  })
  async consume(@Param('tenantKey') key: string, @Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const result = await this.saml.consume(key, body, req.ip ?? null);
    if (result.kind === 'refused') return refusalPage(res, result);
    if (result.kind === 'test') {
      res.redirect(303, `/console/tenants/${encodeURIComponent(result.tenantKey)}/saml/test/${result.resultId}`);
      return;
    }
    await finishPasswordStep(
      req,
      res,
      result.outcome,
      result.next,
      (message) => refusalPage(res, { kind: 'refused', status: 403, message }),
      EXTERNAL_AMR,
    );
  }
}

function refusalPage(res: Response, refusal: Refusal): void {
  res.status(refusal.status).render('pages/error', {
    layout: 'layouts/public',
    title: 'Sign-in refused',
    error: { statusCode: refusal.status, error: 'Sign-in refused', message: refusal.message },
  });
}
