import { Body, Controller, ForbiddenException, Get, NotFoundException, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { CreateInvitationDto, INVITATION_ROLES, InvitationsService } from '@portico/accounts';
import { Ctx, IdParam, RequestContext, SignedIn } from '@portico/core';
import { MembershipsService, UserOrganization, UsersService } from '@portico/users';
import type { Request, Response } from 'express';
import { attempt, FormBody, FormProblem, parseForm, text } from '../console/forms';
import { publicPage } from './public-page';
import { TenantFramingInterceptor } from './tenant-framing';
import { formatUtc } from '../dates';

const LABELS = { email: 'Email', role: 'Role' };
const orgPath = (id: string) => `/account/organizations/${id}`;

/** An organization's owners and admins manage its members' invitations from their own account. */
@ApiExcludeController()
@SignedIn()
@UseInterceptors(TenantFramingInterceptor)
@Controller('account/organizations')
export class AccountOrganizationsController {
  constructor(
    private readonly users: UsersService,
    private readonly memberships: MembershipsService,
    private readonly invitations: InvitationsService,
  ) {}

  @Get(':id')
  async page(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    await this.render(ctx, req, res, await this.managed(ctx, id));
  }

  @Post(':id/invitations')
  async invite(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Body() form: FormBody,
  ): Promise<void> {
    const managed = await this.managed(ctx, id);
    const parsed = await parseForm(CreateInvitationDto, { email: text(form, 'email'), role: text(form, 'role') || undefined }, LABELS);
    const me = await this.users.get(ctx, ctx.actor.id);
    const inviter = [me.firstName, me.lastName].filter(Boolean).join(' ') || me.email;
    const created = parsed.ok ? await attempt(() => this.invitations.create(ctx, id, parsed.value, inviter)) : parsed;
    if (!created.ok) return this.render(ctx, req, res, managed, created.problem, form);
    req.session.flash = { kind: 'success', message: `Invitation sent to ${created.value.email}. The link works for 7 days.` };
    res.redirect(303, orgPath(id));
  }

  @Post(':id/invitations/:invitationId/revoke')
  async revoke(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @IdParam('invitationId') invitationId: string,
  ): Promise<void> {
    const managed = await this.managed(ctx, id);
    const revoked = await attempt(() => this.invitations.revoke(ctx, id, invitationId));
    if (!revoked.ok) return this.render(ctx, req, res, managed, revoked.problem);
    req.session.flash = { kind: 'success', message: `The invitation of ${revoked.value.email} is revoked; its link no longer works.` };
    res.redirect(303, orgPath(id));
  }

  /** The organization, if the signed-in person is one of its owners or admins: 404 for others' organizations, 403 for a plain member. */
  private async managed(ctx: RequestContext, id: string): Promise<UserOrganization> {
    const mine = (await this.memberships.organizationsOf(ctx, ctx.actor.id)).find((m) => m.organization.id === id);
    if (!mine) throw new NotFoundException('You are not a member of this organization.');
    if (mine.role === 'member')
      throw new ForbiddenException(`Only the owners and admins of ${mine.organization.name} can see its members and invite people.`);
    return mine;
  }

  private async render(
    ctx: RequestContext,
    req: Request,
    res: Response,
    managed: UserOrganization,
    failure?: FormProblem,
    form: FormBody = {},
  ): Promise<void> {
    const org = managed.organization;
    const members = await this.memberships.list(ctx, org.id, { limit: 500 });
    const pending = await this.invitations.pending(ctx, org.id);
    const role = text(form, 'role') || 'member';
    res.status(failure?.status ?? 200).render(
      'pages/public/account-organization',
      publicPage(req, org.name, {
        wide: true,
        org,
        myRole: managed.role,
        members: members.items.map((m) => ({ ...m, you: m.userId === ctx.actor.id })),
        invitations: pending.map((i) => ({ ...i, expires: formatUtc(i.expiresAt) })),
        roles: INVITATION_ROLES.map((r) => ({ value: r, selected: r === role })),
        form: { email: text(form, 'email') },
        errors: failure?.errors,
      }),
    );
  }
}
