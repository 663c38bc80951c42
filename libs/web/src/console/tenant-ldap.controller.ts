import { Body, Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleOnly, Ctx, IdParam, RequestContext } from '@portico/core';
import type { Request, Response } from 'express';
import type { FormBody } from './forms';
import { LdapDirectoryPages } from './ldap-directory-pages';

/** Console: a tenant's LDAP tab, its directories (usually one), their test and deletion. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/tenants/:key/ldap')
export class ConsoleTenantLdapController {
  constructor(private readonly pages: LdapDirectoryPages) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response, @Param('key') key: string): Promise<void> {
    await this.pages.list(req, res, await this.pages.scope(key));
  }

  @Post()
  async create(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @Body() form: FormBody,
  ): Promise<void> {
    await this.pages.create(ctx, req, res, await this.pages.scope(key), form);
  }

  @Get(':id')
  async detail(@Req() req: Request, @Res() res: Response, @Param('key') key: string, @IdParam() id: string): Promise<void> {
    const scope = await this.pages.scope(key);
    await this.pages.detail(req, res, scope, await this.pages.directory(scope, id));
  }

  @Post(':id')
  async update(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    await this.pages.update(ctx, req, res, await this.pages.scope(key), id, form);
  }

  @Post(':id/test')
  async test(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    await this.pages.test(ctx, req, res, await this.pages.scope(key), id, form);
  }

  @Get(':id/delete')
  async confirmDelete(@Req() req: Request, @Res() res: Response, @Param('key') key: string, @IdParam() id: string): Promise<void> {
    const scope = await this.pages.scope(key);
    this.pages.confirmDelete(req, res, scope, await this.pages.directory(scope, id));
  }

  @Post(':id/delete')
  async delete(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @Param('key') key: string,
    @IdParam() id: string,
  ): Promise<void> {
    await this.pages.delete(ctx, req, res, await this.pages.scope(key), id);
  }
}
