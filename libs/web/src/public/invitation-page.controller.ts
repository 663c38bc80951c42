import { Body, Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { InvitationLookup, InvitationProblem, InvitationsService, OpenInvitation } from '@portico/accounts';
import { AuthSettingsService, LoginService, PasswordPolicyService } from '@portico/auth';
import { ConflictError, InvalidInputError, Public, RequestContext } from '@portico/core';
import { OidcSessions } from '@portico/oidc';
import { UsersService } from '@portico/users';
import type { Request, Response } from 'express';
import { field, publicPage, signOut, startSession } from './public-page';
import { formatUtc } from '../dates';

// Account tokens are URL-safe random strings; anything else cannot be one.
const TOKEN = /^[A-Za-z0-9_-]{16,200}$/;

const PROBLEMS: Record<InvitationProblem | 'other-account', { status: number; title: string; message: string }> = {
  unknown: {
    status: 404,
    title: 'This invitation link does not work',
    message:
      'The link is not complete or not one Portico sent. Open it again from the mail, or ask the person who invited you for a new invitation.',
  },
  foreign: {
    status: 404,
    title: 'This invitation link does not work here',
    message: 'The link belongs to another sign-in page. Open it exactly as the mail shows it.',
  },
  expired: {
    status: 410,
    title: 'This invitation has expired',
    message: 'Invitations work for 7 days. Ask the person who invited you to send a new one.',
  },
  used: {
    status: 410,
    title: 'This invitation was used already',
    message:
      'Each invitation link works once. If you joined with it, sign in to reach the organization; otherwise ask for a new invitation.',
  },
  revoked: {
    status: 410,
    title: 'This invitation was withdrawn',
    message: 'The person who invited you, or an administrator, revoked it. Ask them for a new invitation if you still need access.',
  },
  'other-account': {
    status: 409,
    title: 'This invitation is for another account',
    message: 'Sign out, then open the link again to sign in or create the account it is meant for.',
  },
};

/**
 * An invitation's link (product.md §12): what it invites to, then join as the signed-in account,
 * sign in first, or create the account here, even while sign-up is off (the mail reached the address).
 * Nothing happens on GET: mail scanners fetch links too.
 */
@ApiExcludeController()
@Public()
@Controller('invitations')
export class InvitationPageController {
  constructor(
    private readonly invitations: InvitationsService,
    private readonly login: LoginService,
    private readonly users: UsersService,
    private readonly oidcSessions: OidcSessions,
    private readonly passwordPolicy: PasswordPolicyService,
    private readonly settings: AuthSettingsService,
  ) {}

  @Get(':token')
  async page(@Req() req: Request, @Res() res: Response, @Param('token') token: string): Promise<void> {
    const opened = await this.open(token);
    if (!opened.ok) return this.problem(req, res, opened.reason);
    await this.render(req, res, token, opened.invitation);
  }

  /** Joins as the signed-in account. */
  @Post(':token/join')
  async join(@Req() req: Request, @Res() res: Response, @Param('token') token: string): Promise<void> {
    const account = await this.login.sessionAccount(req.session.userId);
    if (!account) return res.redirect(303, `/invitations/${token}`);
    if (!TOKEN.test(token)) return this.problem(req, res, 'unknown');
    const joined = await this.invitations.accept(token, account, req.ip ?? null);
    if (!joined.ok) return this.problem(req, res, joined.reason);
    req.session.flash = {
      kind: 'success',
      message: joined.alreadyMember
        ? `You were already a member of ${joined.organization.name}.`
        : `You joined ${joined.organization.name}.`,
    };
    res.redirect(303, '/account');
  }

  /** Creates the invited address's account and joins with it. */
  @Post(':token')
  async create(@Req() req: Request, @Res() res: Response, @Param('token') token: string, @Body() body: unknown): Promise<void> {
    const opened = await this.open(token);
    if (!opened.ok) return this.problem(req, res, opened.reason);
    const invitation = opened.invitation;
    if (invitation.hasAccount || req.session.userId) return this.render(req, res, token, invitation);
    const values = { firstName: field(body, 'firstName', 100), lastName: field(body, 'lastName', 100) };
    const password = field(body, 'password', 256, { trim: false });
    const errors: string[] = [];
    const weak = await this.passwordPolicy.check(password, invitation.organization.tenantId);
    if (weak) errors.push(weak.replace(/^password/, 'The password'));
    if (password !== field(body, 'passwordConfirmation', 256, { trim: false, required: false }))
      errors.push('The two passwords do not match');
    if (errors.length) {
      res.status(400);
      return this.render(req, res, token, invitation, { values, errors });
    }
    let userId = '';
    try {
      const prepared = await this.users.preparePassword(password, invitation.organization.tenantId);
      const joined = await this.invitations.accept(token, null, req.ip ?? null, async (ctx: RequestContext, open: OpenInvitation) => {
        const user = await this.users.create(
          ctx,
          {
            email: open.email,
            firstName: values.firstName,
            lastName: values.lastName,
            tenantKey: open.tenant?.key,
            organizationId: open.organization.id,
            role: open.role,
            // The invitation reached this address.
            emailVerified: true,
          },
          'invitation',
          prepared,
        );
        userId = user.id;
        return { id: user.id, email: user.email, tenantId: open.organization.tenantId };
      });
      if (!joined.ok) return this.problem(req, res, joined.reason);
      await startSession(req, userId);
      req.session.flash = { kind: 'success', message: `Welcome! Your account is ready and you joined ${joined.organization.name}.` };
      res.redirect(303, '/account');
    } catch (err) {
      // The password policy of the invitation's tenant is checked where the account is made.
      if (err instanceof InvalidInputError) {
        res.status(400);
        return this.render(req, res, token, invitation, { values, errors: [err.message.replace(/^password/, 'The password')] });
      }
      if (!(err instanceof ConflictError)) throw err;
      res.status(409);
      return this.render(req, res, token, invitation, {
        values,
        errors: ['An account with this address exists already: sign in to join.'],
      });
    }
  }

  /** Signs out the account the invitation is not for, and comes back to the invitation. */
  @Post(':token/sign-out')
  async signOutFirst(@Req() req: Request, @Res() res: Response, @Param('token') token: string): Promise<void> {
    await signOut(req, res, this.oidcSessions);
    res.redirect(303, TOKEN.test(token) ? `/invitations/${token}` : '/login');
  }

  private open(token: string): Promise<InvitationLookup> | InvitationLookup {
    return TOKEN.test(token) ? this.invitations.open(token) : { ok: false, reason: 'unknown' };
  }

  private async render(
    req: Request,
    res: Response,
    token: string,
    invitation: OpenInvitation,
    data: Record<string, unknown> = {},
  ): Promise<void> {
    const account = await this.login.sessionAccount(req.session.userId);
    const matches =
      !!account && account.tenantId === invitation.organization.tenantId && account.email.toLowerCase() === invitation.email.toLowerCase();
    const loginPage = invitation.tenant ? `/t/${invitation.tenant.key}/login` : '/login';
    const policy = (await this.settings.effective(invitation.organization.tenantId)).passwordPolicy;
    const next = `/invitations/${token}`;
    res.render(
      'pages/public/invitation',
      publicPage(req, `Join ${invitation.organization.name}`, {
        invitation,
        token,
        expires: formatUtc(invitation.expiresAt),
        signedInAs: account?.email ?? null,
        canJoin: matches,
        otherAccount: !!account && !matches,
        signIn:
          !account && invitation.hasAccount
            ? `${loginPage}?next=${encodeURIComponent(next)}&login=${encodeURIComponent(invitation.email)}`
            : null,
        createAccount: !account && !invitation.hasAccount,
        passwordMin: Math.max(8, policy.minLength),
        disallowCommon: policy.disallowCommon,
        values: {},
        ...data,
      }),
    );
  }

  private problem(req: Request, res: Response, reason: InvitationProblem | 'other-account'): void {
    const p = PROBLEMS[reason];
    res.status(p.status).render('pages/public/link-problem', publicPage(req, p.title, { problem: p }));
  }
}
