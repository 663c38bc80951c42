import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleOnly, Ctx, IdParam, RequestContext } from '@portico/core';
import { LdapService } from '@portico/sso';
import type { Request, Response } from 'express';
import type { FormBody } from './forms';
import { LdapDirectoryPages } from './ldap-directory-pages';

/** Console: the global directories (direct users on /login), and an overview of the tenants'. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/ldap-directories')
export class ConsoleLdapDirectoriesController {
  constructor(
    private readonly pages: LdapDirectoryPages,
    private readonly ldap: LdapService,
  ) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.pages.list(req, res, await this.pages.scope(null));
  }

  @Post()
  async create(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    await this.pages.create(ctx, req, res, await this.pages.scope(null), form);
  }

  /** A tenant's directory lives on its tenant's LDAP tab: the global address sends the admin there. */
  @Get(':id')
  async detail(@Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const d = await this.ldap.get(id);
    if (d.tenantKey) return res.redirect(303, `/console/tenants/${encodeURIComponent(d.tenantKey)}/ldap/${id}`);
    await this.pages.detail(req, res, await this.pages.scope(null), d);
  }

  @Post(':id')
  async update(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    await this.pages.update(ctx, req, res, await this.pages.scope(null), id, form);
  }

  @Post(':id/test')
  async test(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    await this.pages.test(ctx, req, res, await this.pages.scope(null), id, form);
  }

  @Get(':id/delete')
  async confirmDelete(@Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const scope = await this.pages.scope(null);
    this.pages.confirmDelete(req, res, scope, await this.pages.directory(scope, id));
  }

  @Post(':id/delete')
  async delete(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    await this.pages.delete(ctx, req, res, await this.pages.scope(null), id);
  }
}
