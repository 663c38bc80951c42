import { Injectable } from '@nestjs/common';
import {
  AppConfig,
  AuditService,
  Clock,
  ConflictError,
  isUniqueViolation,
  NotFoundError,
  Page,
  RequestContext,
  TransactionService,
} from '@portico/core';
import { OrganizationRef, OrganizationsService } from '@portico/organizations';
import { TenantRef, TenantsService } from '@portico/tenants';
import { MembershipsService, UserCredentialsService } from '@portico/users';
import { AccountTokensService } from '../tokens/account-tokens.service';
import { InvitationMail } from './invitation-mail';
import { CreateInvitationDto, InvitationQueryDto, InvitationView } from './dto/invitation.dto';
import { Invitation, InvitationRole } from './entities/invitation.entity';
import { InvitationsRepository } from './invitations.repository';

export const INVITATION_TTL_MS = 7 * 24 * 3_600_000;

/** Why a link does not lead to an invitation, each with its own page. */
export type InvitationProblem = 'unknown' | 'expired' | 'used' | 'revoked' | 'foreign';

/** What the link's page shows: the invitation, where it leads, and whether the address has an account there. */
export interface OpenInvitation {
  id: string;
  email: string;
  role: InvitationRole;
  invitedBy: string;
  expiresAt: Date;
  organization: OrganizationRef;
  tenant: TenantRef | null;
  /** The invited address already has an account in the organization's tenant. */
  hasAccount: boolean;
}

export type InvitationLookup = { ok: true; invitation: OpenInvitation } | { ok: false; reason: InvitationProblem };

/** The person accepting: the signed-in account, or the fields of a new one. */
export interface Joiner {
  id: string;
  email: string;
  tenantId: string | null;
}

export type JoinOutcome =
  { ok: true; organization: OrganizationRef; alreadyMember: boolean } | { ok: false; reason: InvitationProblem | 'other-account' };

/** Invitations into organizations: made by its owners and admins, tenants and platform admins; accepted through the mailed link. */
@Injectable()
export class InvitationsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly invitations: InvitationsRepository,
    private readonly tokens: AccountTokensService,
    private readonly mail: InvitationMail,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly organizations: OrganizationsService,
    private readonly tenants: TenantsService,
    private readonly memberships: MembershipsService,
    private readonly credentials: UserCredentialsService,
  ) {}

  async list(ctx: RequestContext, organizationId: string, query: InvitationQueryDto): Promise<Page<InvitationView>> {
    const org = await this.orgOrFail(ctx, organizationId);
    const now = this.clock.now();
    return this.invitations.list(ctx, org.id, query, (rows) => rows.map((i) => toView(i, now)));
  }

  /** Pending invitations of an organization, for the pages (the caller has checked who may see them). */
  async pending(ctx: RequestContext, organizationId: string): Promise<InvitationView[]> {
    return (await this.list(ctx, organizationId, { status: 'pending', limit: 500 })).items.filter((i) => i.status === 'pending');
  }

  /**
   * Invites an address. 409 when that address already has a pending invitation to the organization,
   * or already belongs to it; `inviter` names the person when one of the organization's admins invites.
   */
  async create(ctx: RequestContext, organizationId: string, dto: CreateInvitationDto, inviter?: string): Promise<InvitationView> {
    const org = await this.orgOrFail(ctx, organizationId);
    const tenant = org.tenantId ? await this.tenants.findById(org.tenantId) : null;
    const email = dto.email.trim();
    const emailLower = email.toLowerCase();
    const account = await this.accountOf(org.tenantId, emailLower);
    if (account && (await this.isMember(org, account.id))) throw new ConflictError(`${email} is already a member of this organization`);
    const now = this.clock.now();
    const invitedBy = inviter ?? (await this.describe(ctx));
    try {
      return await this.tx.run(async () => {
        await this.invitations.expire(org.id, now);
        if (await this.invitations.findPending(org.id, emailLower)) throw pendingConflict(email);
        const invitation = await this.invitations.create({
          tenantId: org.tenantId,
          organizationId: org.id,
          email,
          emailLower,
          role: dto.role ?? 'member',
          invitedBy,
          invitedByUserId: ctx.actor.kind === 'user' ? ctx.actor.id : null,
          expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
        });
        // The link is served by the global page (/invitations/{token}, product.md §12), so the token is the
        // global pages' one; the invitation itself carries the tenant, and only its users can join.
        const raw = await this.tokens.issue({
          purpose: 'invitation',
          userId: account?.id ?? null,
          tenantId: null,
          email,
          data: { invitationId: invitation.id },
          ttlMs: INVITATION_TTL_MS,
        });
        const issued = await this.tokens.peek('invitation', raw, null);
        invitation.tokenId = issued.ok ? issued.token.id : null;
        await this.invitations.save(invitation);
        await this.audit.record(ctx, {
          action: 'invitation.created',
          targetType: 'organization',
          targetId: org.id,
          tenant,
          details: { invitationId: invitation.id, email, role: invitation.role },
        });
        await this.mail.invitation(email, tenant, {
          organizationName: org.name,
          invitedBy,
          role: invitation.role,
          link: `${this.config.publicUrl}/invitations/${raw}`,
          expiresAt: invitation.expiresAt,
        });
        return toView(invitation, now);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw pendingConflict(email);
      throw err;
    }
  }

  /** Revokes a pending invitation (its link stops working); an accepted one stays: remove the member instead. */
  async revoke(ctx: RequestContext, organizationId: string, invitationId: string): Promise<InvitationView> {
    const org = await this.orgOrFail(ctx, organizationId);
    const now = this.clock.now();
    return this.tx.run(async () => {
      const invitation = await this.invitations.find(ctx, org.id, invitationId);
      if (!invitation) throw new NotFoundError('Invitation');
      if (invitation.status === 'accepted')
        throw new ConflictError('This invitation was accepted already; remove the member from the organization instead');
      if (invitation.status === 'pending') {
        invitation.status = 'revoked';
        invitation.revokedAt = now;
        await this.invitations.save(invitation);
        await this.audit.record(ctx, {
          action: 'invitation.revoked',
          targetType: 'organization',
          targetId: org.id,
          tenant: org.tenantId ? await this.tenants.findById(org.tenantId) : null,
          details: { invitationId: invitation.id, email: invitation.email },
        });
      }
      return toView(invitation, now);
    });
  }

  /** What a link leads to, without using it up. */
  async open(raw: string): Promise<InvitationLookup> {
    const peeked = await this.tokens.peek('invitation', raw, null);
    if (!peeked.ok) return { ok: false, reason: peeked.reason };
    const invitation = await this.invitations.findById(String(peeked.token.data?.invitationId ?? ''));
    if (!invitation) return { ok: false, reason: 'unknown' };
    const problem = this.problemOf(invitation);
    if (problem) return { ok: false, reason: problem };
    const org = await this.organizations.find(RequestContext.system('invitation', invitation.tenantId), invitation.organizationId);
    if (!org) return { ok: false, reason: 'unknown' };
    const tenant = org.tenantId ? await this.tenants.findById(org.tenantId) : null;
    return {
      ok: true,
      invitation: {
        id: invitation.id,
        email: invitation.email,
        role: invitation.role,
        invitedBy: invitation.invitedBy,
        expiresAt: invitation.expiresAt,
        organization: org,
        tenant,
        hasAccount: !!(await this.accountOf(org.tenantId, invitation.emailLower)),
      },
    };
  }

  /**
   * Joins `joiner` (an account of the organization's tenant with the invited address) to the
   * organization and uses the link up. `createAccount` makes that account first, in the same transaction.
   */
  async accept(
    raw: string,
    joiner: Joiner | null,
    ip: string | null,
    createAccount?: (ctx: RequestContext, invitation: OpenInvitation) => Promise<Joiner>,
  ): Promise<JoinOutcome> {
    const opened = await this.open(raw);
    if (!opened.ok) return opened;
    const open = opened.invitation;
    const org = open.organization;
    if (joiner && (joiner.tenantId !== org.tenantId || joiner.email.toLowerCase() !== open.email.toLowerCase()))
      return { ok: false, reason: 'other-account' };
    const ctx = RequestContext.system('invitation', org.tenantId, ip);
    return this.tx.run(async () => {
      const consumed = await this.tokens.consume('invitation', raw, null);
      if (!consumed.ok) return { ok: false, reason: consumed.reason };
      const person = joiner ?? (await createAccount!(ctx, open));
      if (!(await this.invitations.markAccepted(open.id, person.id, this.clock.now()))) return { ok: false, reason: 'used' };
      const alreadyMember = await this.isMember(org, person.id);
      // A new account joins as createAccount made it (with its membership); an existing one joins here.
      if (joiner && !alreadyMember) await this.memberships.add(ctx, org.id, person.id, open.role);
      await this.audit.record(ctx, {
        action: 'invitation.accepted',
        targetType: 'user',
        targetId: person.id,
        tenant: open.tenant,
        details: { invitationId: open.id, organizationId: org.id, role: open.role, newAccount: !joiner },
      });
      return { ok: true, organization: org, alreadyMember: !!joiner && alreadyMember };
    });
  }

  private problemOf(invitation: Invitation): InvitationProblem | null {
    if (invitation.status === 'revoked') return 'revoked';
    if (invitation.status === 'accepted') return 'used';
    if (invitation.status === 'expired' || invitation.expiresAt.getTime() <= this.clock.nowMs()) return 'expired';
    return null;
  }

  private async orgOrFail(ctx: RequestContext, id: string): Promise<OrganizationRef> {
    const org = await this.organizations.find(ctx, id);
    if (!org) throw new NotFoundError('Organization');
    return org;
  }

  /** The account with exactly this address in the tenant (a username that happens to match is someone else). */
  private async accountOf(tenantId: string | null, emailLower: string) {
    const account = await this.credentials.findByLogin(tenantId, emailLower);
    return account && account.email.toLowerCase() === emailLower ? account : null;
  }

  private async isMember(org: OrganizationRef, userId: string): Promise<boolean> {
    const ctx = RequestContext.system('invitation', org.tenantId);
    return (await this.memberships.organizationsOf(ctx, userId)).some((m) => m.organization.id === org.id);
  }

  /** Who invited, as the mail and the link's page name them. */
  private async describe(ctx: RequestContext): Promise<string> {
    if (ctx.actor.kind === 'tenant') return (await this.tenants.findById(ctx.actor.tenantId))?.name ?? ctx.actor.tenantKey;
    if (ctx.actor.kind === 'platform-admin' && !ctx.actor.label.startsWith('api-token:')) return ctx.actor.label;
    return 'An administrator';
  }
}

function pendingConflict(email: string): ConflictError {
  return new ConflictError(`${email} already has a pending invitation to this organization; revoke it to invite again`);
}

function toView(i: Invitation, now: Date): InvitationView {
  const expired = i.status === 'expired' || (i.status === 'pending' && i.expiresAt.getTime() <= now.getTime());
  return {
    id: i.id,
    organizationId: i.organizationId,
    email: i.email,
    role: i.role,
    status: expired ? 'expired' : i.status,
    invitedBy: i.invitedBy,
    expiresAt: i.expiresAt,
    acceptedAt: i.acceptedAt,
    revokedAt: i.revokedAt,
    createdAt: i.createdAt,
  };
}
