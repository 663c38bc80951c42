import { Injectable } from '@nestjs/common';
import { INVITATION_ROLES, InvitationsService } from '@portico/accounts';
import { RequestContext } from '@portico/core';
import { ExternalLoginProvidersService } from '@portico/external-login';
import { OrganizationView } from '@portico/organizations';
import { MEMBERSHIP_ROLES, MembershipsService } from '@portico/users';
import type { Request, Response } from 'express';
import { csrfToken } from '../csrf';
import { consolePage } from './console-page';
import { CONSOLE_PAGE_SIZE, filterParam, FormBody, FormProblem, offsetParam, pager, text } from './forms';
import { planAmount } from './plan-fields';

export const orgPath = (id: string) => `/console/organizations/${id}`;

/** Which form of the page a problem belongs to, so its errors show next to it and its fields keep what was typed. */
export type OrganizationForm = 'details' | 'members' | 'invite';

export interface OrganizationPageState {
  failure?: FormProblem;
  failed?: OrganizationForm;
  form?: FormBody;
  /** The page's query string: `find` (a member search) and `offset` (the members page). */
  query?: FormBody;
}

const CANDIDATES = 10;

/** The organization page (details, members, invitations), rendered by its controllers and again with a form's errors. */
@Injectable()
export class OrganizationPages {
  constructor(
    private readonly providers: ExternalLoginProvidersService,
    private readonly memberships: MembershipsService,
    private readonly invitations: InvitationsService,
  ) {}

  async render(ctx: RequestContext, req: Request, res: Response, org: OrganizationView, state: OrganizationPageState = {}): Promise<void> {
    const { failure, failed, query = {} } = state;
    const details =
      failed === 'details' && state.form
        ? state.form
        : {
            name: org.name,
            externalUid: org.externalUid ?? '',
            price: planAmount(org.plan),
            currency: org.plan?.currency ?? '',
            authMode: org.authMode,
            externalLoginProviderId: org.externalLoginProviderId ?? '',
          };
    const chosen = text(details, 'externalLoginProviderId');
    const providers = (await this.providers.choices()).map((p) => ({ ...p, selected: p.id === chosen }));
    const find = filterParam(query, 'find');
    const members = await this.memberships.list(ctx, org.id, { limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) });
    const candidates = find ? await this.memberships.candidates(ctx, org.id, find, CANDIDATES) : null;
    const errorsOf = (form: OrganizationForm) => (failed === form ? failure?.errors : undefined);
    res.status(failure?.status ?? 200).render(
      'pages/console/organizations/edit',
      consolePage(req, `Organization ${org.name}`, '/console/organizations', {
        org,
        form: details,
        errors: errorsOf('details'),
        providers,
        provider: providers.find((p) => p.id === org.externalLoginProviderId) ?? null,
        members: members.items.map((m) => ({ ...m, roles: roleChoices(m.role) })),
        membersTotal: members.total,
        membersPager: pager(orgPath(org.id), { find }, members),
        memberErrors: errorsOf('members'),
        find,
        candidates,
        moreCandidates: candidates?.length === CANDIDATES,
        roles: roleChoices('member'),
        invitations: await this.invitations.pending(ctx, org.id),
        invite: failed === 'invite' && state.form ? state.form : { role: 'member' },
        inviteErrors: errorsOf('invite'),
        invitationRoles: INVITATION_ROLES,
      }),
    );
  }

  /** The member search's matches alone, for htmx to put under the search box as the admin types. */
  async renderCandidates(ctx: RequestContext, req: Request, res: Response, org: OrganizationView, query: FormBody): Promise<void> {
    const find = filterParam(query, 'find');
    const candidates = find ? await this.memberships.candidates(ctx, org.id, find, CANDIDATES) : null;
    res.render('partials/member-candidates', {
      layout: false,
      csrf: csrfToken(req),
      org,
      find,
      candidates,
      moreCandidates: candidates?.length === CANDIDATES,
      roles: roleChoices('member'),
    });
  }
}

function roleChoices(current: string): { value: string; selected: boolean }[] {
  return MEMBERSHIP_ROLES.map((value) => ({ value, selected: value === current }));
}
