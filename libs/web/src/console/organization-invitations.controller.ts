import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { CreateInvitationDto, InvitationsService } from '@portico/accounts';
import { ConsoleOnly, Ctx, IdParam, RequestContext } from '@portico/core';
import type { Request, Response } from 'express';
import { flash } from './console-page';
import { attempt, FormBody, parseForm, text } from './forms';

const orgPath = (id: string) => `/console/organizations/${id}`;

/** Console: a platform admin invites people into an organization, or revokes an invitation (listed on the organization's page). */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/organizations/:id/invitations')
export class ConsoleOrganizationInvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Post()
  async invite(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string, @Body() form: FormBody) {
    const parsed = await parseForm(
      CreateInvitationDto,
      { email: text(form, 'email'), role: text(form, 'role') || undefined },
      {
        email: 'Email',
        role: 'Role',
      },
    );
    const created = parsed.ok ? await attempt(() => this.invitations.create(ctx, id, parsed.value)) : parsed;
    if (created.ok) flash(req, 'success', `Invitation sent to ${created.value.email}. The link works for 7 days.`);
    else flash(req, 'error', created.problem.errors.join(' '));
    res.redirect(303, `${orgPath(id)}#invitations`);
  }

  @Post(':invitationId/revoke')
  async revoke(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @IdParam('invitationId') invitationId: string,
  ) {
    const revoked = await attempt(() => this.invitations.revoke(ctx, id, invitationId));
    if (revoked.ok) flash(req, 'success', `The invitation of ${revoked.value.email} is revoked; its link no longer works.`);
    else flash(req, 'error', revoked.problem.errors.join(' '));
    res.redirect(303, `${orgPath(id)}#invitations`);
  }
}
