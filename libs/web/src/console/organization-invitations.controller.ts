import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { CreateInvitationDto, InvitationsService } from '@portico/accounts';
import { ConsoleOnly, Ctx, IdParam, RequestContext } from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import type { Request, Response } from 'express';
import { consolePage, flash } from './console-page';
import { attempt, FormBody, parseForm, text } from './forms';
import { OrganizationPages, orgPath } from './organization-page';

const invitationsOf = (id: string) => `${orgPath(id)}#invitations`;

/** Console: a platform admin invites people into an organization, or revokes an invitation (listed on the organization's page). */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/organizations/:id/invitations')
export class ConsoleOrganizationInvitationsController {
  constructor(
    private readonly invitations: InvitationsService,
    private readonly organizations: OrganizationsService,
    private readonly pages: OrganizationPages,
  ) {}

  @Post()
  async invite(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string, @Body() form: FormBody) {
    const org = await this.organizations.get(ctx, id);
    const parsed = await parseForm(
      CreateInvitationDto,
      { email: text(form, 'email'), role: text(form, 'role') || undefined },
      { email: 'Email', role: 'Role' },
    );
    const created = parsed.ok ? await attempt(() => this.invitations.create(ctx, org.id, parsed.value)) : parsed;
    if (!created.ok) return this.pages.render(ctx, req, res, org, { failure: created.problem, failed: 'invite', form });
    flash(req, 'success', `Invitation sent to ${created.value.email}. The link works for 7 days.`);
    res.redirect(303, invitationsOf(org.id));
  }

  @Get(':invitationId/revoke')
  async confirmRevoke(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @IdParam('invitationId') invitationId: string,
  ) {
    const org = await this.organizations.get(ctx, id);
    const invitation = (await this.invitations.pending(ctx, org.id)).find((i) => i.id === invitationId);
    if (!invitation) {
      flash(req, 'error', 'That invitation is no longer pending: it was accepted, revoked or has expired.');
      return res.redirect(303, invitationsOf(org.id));
    }
    res.render(
      'pages/console/confirm',
      consolePage(req, `Revoke the invitation of ${invitation.email}`, '/console/organizations', {
        heading: `Revoke the invitation of ${invitation.email}?`,
        message: `The link mailed to ${invitation.email} to join ${org.name} as ${invitation.role} stops working at once. You can invite them again later.`,
        action: `${orgPath(org.id)}/invitations/${invitation.id}/revoke`,
        confirmLabel: 'Revoke invitation',
        cancelHref: invitationsOf(org.id),
      }),
    );
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
    res.redirect(303, invitationsOf(id));
  }
}
