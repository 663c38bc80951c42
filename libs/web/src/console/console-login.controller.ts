import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleAuthService } from '@portico/auth';
import { ConsoleOnly, Ctx, Public, RequestContext } from '@portico/core';
import type { Request, Response } from 'express';
import { csrfToken } from '../csrf';
import { safeNext } from '../safe-redirect';

interface LoginForm {
  email?: unknown;
  password?: unknown;
  next?: unknown;
}

@ApiExcludeController()
@Controller('console')
export class ConsoleLoginController {
  constructor(private readonly auth: ConsoleAuthService) {}

  @Public()
  @Get('login')
  page(@Req() req: Request, @Res() res: Response, @Query('next') next?: string): void {
    if (req.session.userId) return res.redirect(303, safeNext(next, '/console'));
    res.render('pages/console/login', { layout: 'layouts/public', title: 'Sign in to the console', csrf: csrfToken(req), next: safeNext(next, '/console') });
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  async login(@Req() req: Request, @Res() res: Response, @Body() form: LoginForm): Promise<void> {
    const email = typeof form.email === 'string' ? form.email.trim() : '';
    const password = typeof form.password === 'string' ? form.password : '';
    const next = safeNext(typeof form.next === 'string' ? form.next : undefined, '/console');
    const account = email && password ? await this.auth.signIn(email, password) : null;
    if (!account) {
      res.status(401).render('pages/console/login', {
        layout: 'layouts/public',
        title: 'Sign in to the console',
        csrf: csrfToken(req),
        next,
        email,
        error: 'The email or password is not right, or the account may not use the console.',
      });
      return;
    }
    // A fresh session id on sign-in, so an id planted before login is worthless after it.
    await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
    req.session.userId = account.id;
    req.session.authenticatedAt = Date.now();
    res.redirect(303, next);
  }

  @ConsoleOnly()
  @Post('logout')
  async logout(@Ctx() _ctx: RequestContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    res.clearCookie('portico.sid');
    res.redirect(303, '/console/login');
  }
}
