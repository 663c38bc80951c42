import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleOnly } from '@portico/core';
import type { Request, Response } from 'express';
import { CONSOLE_NAV, consolePage } from './console-page';

const UPCOMING = CONSOLE_NAV.filter((n) => !n.ready);

@ApiExcludeController()
@ConsoleOnly()
@Controller('console')
export class DashboardController {
  @Get()
  dashboard(@Req() req: Request, @Res() res: Response): void {
    res.render('pages/console/dashboard', consolePage(req, 'Dashboard', '/console', { areas: CONSOLE_NAV.slice(1) }));
  }

  /** Areas whose module is not built yet: a page that says so, rather than a dead link. */
  @Get(UPCOMING.map((n) => n.href.slice('/console/'.length)))
  upcoming(@Req() req: Request, @Res() res: Response): void {
    const item = UPCOMING.find((n) => n.href === req.path)!;
    res.render('pages/console/upcoming', consolePage(req, item.label, item.href, { area: item }));
  }
}
