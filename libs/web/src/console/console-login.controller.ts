import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { LoginService } from '@portico/auth';
import { ConsoleOnly, Public } from '@portico/core';
import { OidcSessions } from '@portico/oidc';
import type { Request, Response } from 'express';
import { csrfToken } from '../csrf';
import { field, finishPasswordStep, signOut } from '../public/public-page';
import { safeNext } from '../safe-redirect';

/** The console's sign-in: the same login mechanism as everyone's, restricted to platform admins. */
@ApiExcludeController()
@Controller('console')
export class ConsoleLoginController {
  constructor(
    private readonly login: LoginService,
    private readonly oidcSessions: OidcSessions,
  ) {}

  @Public()
  @Get('login')
  page(@Req() req: Request, @Res() res: Response, @Query('next') next?: string, @Query('expired') expired?: string): void {
    res.render('pages/console/login', {
      layout: 'layouts/public',
      title: 'Sign in to the console',
      csrf: csrfToken(req),
      next: safeNext(next, '/console'),
      // A form was sent after the session ended (see the error filter).
      expired: expired === '1',
    });
  }

  @Public()
  @Post('login')
  async submit(@Req() req: Request, @Res() res: Response, @Body() body: unknown): Promise<void> {
    const email = field(body, 'email', 320);
    const password = field(body, 'password', 256, { trim: false });
    const next = safeNext(field(body, 'next', 2000, { required: false }) || undefined, '/console');
    const outcome = await this.login.withPassword(null, email, password, req.ip ?? null, { adminOnly: true });
    await finishPasswordStep(req, res, outcome, next, (error) =>
      res.render('pages/console/login', {
        layout: 'layouts/public',
        title: 'Sign in to the console',
        csrf: csrfToken(req),
        next,
        email,
        error,
      }),
    );
  }

  @ConsoleOnly()
  @Post('logout')
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    await signOut(req, res, this.oidcSessions);
    res.redirect(303, '/console/login');
  }
}
