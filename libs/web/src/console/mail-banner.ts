import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { MailService } from '@portico/mail';

/** Tells every console page (its layout) whether mail leaves Portico, so each can say when it does not. */
@Injectable()
export class MailBanner implements OnApplicationBootstrap {
  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly mail: MailService,
  ) {}

  onApplicationBootstrap(): void {
    const app = this.adapter.httpAdapter?.getInstance() as { locals?: Record<string, unknown> } | undefined;
    if (app?.locals) app.locals.mailNotDelivered = !this.mail.delivering;
  }
}
