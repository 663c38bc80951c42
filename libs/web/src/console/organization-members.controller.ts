import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleOnly, Ctx, IdParam, RequestContext } from '@portico/core';
import { OrganizationsService, OrganizationView } from '@portico/organizations';
import { AddMemberDto, MembershipsService, SetMemberRoleDto, UsersService, UserView } from '@portico/users';
import type { Request, Response } from 'express';
import { consolePage, flash } from './console-page';
import { attempt, FormBody, FormProblem, optionalText, parseForm, problem, text } from './forms';
import { OrganizationPages, orgPath } from './organization-page';

const LABELS = { role: 'Role', userId: 'User' };
const membersOf = (id: string) => `${orgPath(id)}#members`;
const asRole = (role: string) => `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}`;

/** Console: an organization's members, found by email or name, their roles, and removal after a confirmation. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/organizations/:id/members')
export class ConsoleOrganizationMembersController {
  constructor(
    private readonly organizations: OrganizationsService,
    private readonly memberships: MembershipsService,
    private readonly users: UsersService,
    private readonly pages: OrganizationPages,
  ) {}

  /** The member search's matches as the admin types (htmx); the page itself answers the same search without JavaScript. */
  @Get('candidates')
  async candidates(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @Query() query: FormBody,
  ): Promise<void> {
    await this.pages.renderCandidates(ctx, req, res, await this.organizations.get(ctx, id), query);
  }

  @Post()
  async add(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string, @Body() form: FormBody) {
    const org = await this.organizations.get(ctx, id);
    const parsed = await parseForm(AddMemberDto, { userId: text(form, 'userId'), role: optionalText(form, 'role') }, LABELS);
    if (!parsed.ok) return this.fail(ctx, req, res, org, parsed.problem, form);
    const { userId, role = 'member' } = parsed.value;
    const user = await this.userOfTenant(ctx, org, userId);
    const added = user.ok ? await attempt(() => this.memberships.add(ctx, org.id, userId, role)) : user;
    if (!added.ok) return this.fail(ctx, req, res, org, added.problem, form);
    flash(req, 'success', `${added.value.email} is now ${asRole(added.value.role)} of ${org.name}.`);
    res.redirect(303, membersOf(org.id));
  }

  @Post(':userId/role')
  async setRole(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @IdParam('userId') userId: string,
    @Body() form: FormBody,
  ) {
    const org = await this.organizations.get(ctx, id);
    const parsed = await parseForm(SetMemberRoleDto, { role: text(form, 'role') }, LABELS);
    const member = parsed.ok ? await this.memberOf(ctx, org, userId) : parsed;
    const updated = parsed.ok && member.ok ? await attempt(() => this.memberships.setRole(ctx, org.id, userId, parsed.value.role)) : member;
    if (!updated.ok) return this.fail(ctx, req, res, org, updated.problem, form);
    flash(req, 'success', `${updated.value.email} is now ${asRole(updated.value.role)} of ${org.name}.`);
    res.redirect(303, membersOf(org.id));
  }

  @Get(':userId/remove')
  async confirmRemove(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @IdParam('userId') userId: string,
  ) {
    const org = await this.organizations.get(ctx, id);
    const member = await this.memberOf(ctx, org, userId);
    if (!member.ok) return this.fail(ctx, req, res, org, member.problem);
    // The last owner cannot go: say so now rather than after a confirmation.
    const removable = await attempt(() => this.memberships.checkRemovable(ctx, org.id, userId));
    if (!removable.ok) return this.fail(ctx, req, res, org, removable.problem);
    this.renderConfirm(req, res, org, member.value);
  }

  @Post(':userId/remove')
  async remove(
    @Ctx() ctx: RequestContext,
    @Req() req: Request,
    @Res() res: Response,
    @IdParam() id: string,
    @IdParam('userId') userId: string,
  ) {
    const org = await this.organizations.get(ctx, id);
    const member = await this.memberOf(ctx, org, userId);
    const removed = member.ok ? await attempt(() => this.memberships.remove(ctx, org.id, userId)) : member;
    if (!removed.ok) return this.fail(ctx, req, res, org, removed.problem);
    flash(req, 'success', `${member.ok ? member.value.email : 'The user'} is no longer a member of ${org.name}; the account is kept.`);
    res.redirect(303, membersOf(org.id));
  }

  /** The user named by a picked search result, if it may join: only people of the organization's own tenant. */
  private async userOfTenant(ctx: RequestContext, org: OrganizationView, userId: string) {
    const user = await attempt(() => this.users.get(ctx, userId));
    if (user.ok && user.value.tenantKey === org.tenantKey) return user;
    return problem(
      400,
      org.tenantKey
        ? `Only users of tenant ${org.tenantKey} can join ${org.name}. Search for them by email or name.`
        : `Only users without a tenant can join ${org.name}, a direct customer. Search for them by email or name.`,
    );
  }

  /** The user and their role in the organization, or a 404 in words when they are not a member. */
  private async memberOf(ctx: RequestContext, org: OrganizationView, userId: string) {
    const joined = (await this.memberships.organizationsOf(ctx, userId)).find((o) => o.organization.id === org.id);
    const user = joined ? await this.users.get(ctx, userId) : null;
    if (!joined || !user) return problem(404, `That user is not a member of ${org.name} (any more).`);
    return { ok: true as const, value: { ...user, role: joined.role } };
  }

  private fail(ctx: RequestContext, req: Request, res: Response, org: OrganizationView, failure: FormProblem, form?: FormBody) {
    return this.pages.render(ctx, req, res, org, { failure, failed: 'members', form });
  }

  private renderConfirm(req: Request, res: Response, org: OrganizationView, member: UserView & { role: string }): void {
    const name = [member.firstName, member.lastName].filter(Boolean).join(' ');
    const who = name ? `${name} (${member.email})` : member.email;
    res.render(
      'pages/console/confirm',
      consolePage(req, `Remove ${member.email} from ${org.name}`, '/console/organizations', {
        heading: `Remove ${member.email} from “${org.name}”?`,
        message: `${who} stops being ${asRole(member.role)} of ${org.name} (site ID ${org.siteId}) and loses what that role gives there. The user account is kept; you can add them again later.`,
        action: `${orgPath(org.id)}/members/${member.id}/remove`,
        confirmLabel: 'Remove member',
        cancelHref: membersOf(org.id),
      }),
    );
  }
}
