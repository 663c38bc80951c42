import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleOnly, Ctx, RequestContext } from '@portico/core';
import { SigningKeysService } from '@portico/oidc';
import type { Request, Response } from 'express';
import { consolePage, flash } from './console-page';

const AREA = '/console/oidc/keys';

/** Console: the OpenID Connect provider's signing keys (public parts only) and their rotation. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/oidc/keys')
export class ConsoleOidcKeysController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response): Promise<void> {
    const keys = await this.keys.list();
    res.render('pages/console/oidc/keys', consolePage(req, 'Signing keys', AREA, { keys }));
  }

  @Get('rotate')
  confirmRotate(@Req() req: Request, @Res() res: Response): void {
    res.render(
      'pages/console/confirm',
      consolePage(req, 'Rotate signing keys', AREA, {
        heading: 'Rotate the signing keys?',
        message:
          'A new RS256 and ES256 key sign every token from now on. The current keys stay in the JWKS until every token they signed has expired (about a day), so applications keep verifying them; applications that cache the JWKS must fetch it again when they meet the new key id.',
        action: `${AREA}/rotate`,
        confirmLabel: 'Rotate signing keys',
        cancelHref: AREA,
      }),
    );
  }

  @Post('rotate')
  async rotate(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    const keys = await this.keys.rotate(ctx);
    const signing = keys.filter((k) => k.signing).map((k) => `${k.alg} ${k.kid}`);
    flash(req, 'success', `New signing keys: ${signing.join(', ')}. The previous keys verify until they retire.`);
    res.redirect(303, AREA);
  }
}
