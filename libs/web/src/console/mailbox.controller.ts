import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleOnly, IdParam, NotFoundError } from '@portico/core';
import { MailService } from '@portico/mail';
import type { Request, Response } from 'express';
import { consolePage } from './console-page';
import { CONSOLE_PAGE_SIZE, FormBody, offsetParam, pager } from './forms';

// The HTML part of a mail is somebody else's markup: its own document, no script, no network, framed by the console only.
const MAIL_HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox";

/** Console › Mailbox: every mail Portico wrote, newest first; without SMTP_URL this is where it stays. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/mail')
export class ConsoleMailboxController {
  constructor(private readonly mail: MailService) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    const page = await this.mail.list({ limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) });
    res.render(
      'pages/console/mail',
      consolePage(req, 'Mailbox', '/console/mail', { page, pager: pager('/console/mail', {}, page), delivering: this.mail.delivering }),
    );
  }

  @Get(':id')
  async read(@Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const message = await this.mail.read(id);
    if (!message) throw new NotFoundError('Mail');
    res.render('pages/console/mail-message', consolePage(req, message.subject || 'Mail', '/console/mail', { message }));
  }

  @Get(':id/html')
  async html(@Res() res: Response, @IdParam() id: string): Promise<void> {
    const message = await this.mail.read(id);
    if (!message?.html) throw new NotFoundError('Mail');
    res.setHeader('Content-Security-Policy', MAIL_HTML_POLICY);
    res.setHeader('X-Frame-Options', 'SAMEORIGIN');
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(message.html);
  }
}
