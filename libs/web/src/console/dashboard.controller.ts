import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleOnly } from '@portico/core';
import type { Request, Response } from 'express';
import { CONSOLE_NAV, consolePage } from './console-page';

@ApiExcludeController()
@ConsoleOnly()
@Controller('console')
export class DashboardController {
  @Get()
  dashboard(@Req() req: Request, @Res() res: Response): void {
    res.render('pages/console/dashboard', consolePage(req, 'Dashboard', '/console', { areas: CONSOLE_NAV.slice(1) }));
  }
}
