import { Injectable } from '@nestjs/common';
import { LoginThrottleService, type LoginOutcome, type ThrottlePolicy } from '@portico/auth';
import {
  AppConfig,
  AuditService,
  Clock,
  CryptoService,
  DomainException,
  ErrorCode,
  Every,
  RequestContext,
  TooManyRequestsError,
  TransactionService,
} from '@portico/core';
import { TenantRef, TenantsService } from '@portico/tenants';
import { UserCredentialsService } from '@portico/users';
import { PortalDirectory } from '../directory/portal-directory';
import { portalContext, retryOnRace } from '../portal-context';
import { PortalRepository } from '../portal.repository';
import { AutologinTokenError, AutologinTokens, claimedTenantKey } from './autologin-token';
import { AutologinDto, AutologinView } from './dto/autologin.dto';
import type { AutologinSession } from './entities/autologin-session.entity';

/** How long a sign-in link may wait for its browser. */
export const AUTOLOGIN_SESSION_TTL_MS = 60_000;
const SESSION_ID = /^[A-Za-z0-9_-]{20,128}$/;
/**
 * Wrong tokens allowed per tenant before a pause (and five times as many per client address, across
 * tenants). A portal sends its token right every time; a run of wrong ones is someone guessing.
 */
export const AUTOLOGIN_THROTTLE: ThrottlePolicy = { maxFailures: 10, baseWaitSeconds: 60, maxWaitSeconds: 3600 };
const GONE = 'This sign-in link is no longer valid: it works once, within a minute. Go back to the portal and open Portico again.';

/** A refusal of the autologin request (suspended tenant, disabled user): 403, with the reason for the audit trail. */
class AutologinForbidden extends DomainException {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(ErrorCode.Forbidden, message);
  }
}

export interface AutologinRedemption {
  outcome: LoginOutcome;
  /** The tenant the link was for (its pages may be framed by its portal), when the link is known. */
  tenantId: string | null;
}

/**
 * Autologin, the portal's login method: the portal vouches for a person with its tenant's token
 * and gets a one-time link; the browser that opens it is signed in like after a password (the web
 * layer starts the session exactly as the password login does). The portal has authenticated the
 * person, so no second factor is asked.
 */
@Injectable()
export class AutologinLogin {
  private readonly sweeping = new Every(60_000);

  constructor(
    private readonly tx: TransactionService,
    private readonly repository: PortalRepository,
    private readonly audit: AuditService,
    private readonly crypto: CryptoService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly tokens: AutologinTokens,
    private readonly directory: PortalDirectory,
    private readonly tenants: TenantsService,
    private readonly credentials: UserCredentialsService,
    private readonly throttle: LoginThrottleService,
  ) {}

  /** Finds or creates the user (and organization, membership) and issues a one-time sign-in link. */
  async issue(dto: AutologinDto, ip: string | null, requestId: string | null): Promise<AutologinView> {
    const now = this.clock.now();
    let tenant: TenantRef | null = null;
    // Wrong tokens count per claimed tenant and per address, like wrong passwords; checked before the token is.
    const claimed = claimedTenantKey(dto.token, dto.tenantKey);
    const scope = claimed === null ? null : `tenant:${claimed}`;
    const slot = await this.throttle.reserve('autologin', scope, ip, AUTOLOGIN_THROTTLE);
    if (!slot.allowed) {
      await this.audit.recordSignIn('autologin', null, ip, 'auth.autologin.refused', null, {
        reason: 'throttled',
        login: dto.login,
        ...(claimed ? { tenantKey: claimed } : {}),
      });
      throw new TooManyRequestsError(
        `Too many wrong autologin tokens. Try again in ${slot.retryAfterSeconds} second${slot.retryAfterSeconds === 1 ? '' : 's'}.`,
        slot.retryAfterSeconds,
      );
    }
    let tokenChecked = false;
    try {
      const verified = await this.tokens.verify(dto.token, dto.tenantKey, now);
      tokenChecked = true;
      // A right token gives its reservation back: only wrong ones add up.
      await this.throttle.released('autologin', scope, ip);
      tenant = verified.tenant;
      if (tenant.status !== 'active')
        throw new AutologinForbidden('tenant-suspended', `Tenant "${tenant.key}" is suspended: its users cannot be signed in.`);
      if (verified.subject !== null && verified.subject.toLowerCase() !== dto.login.toLowerCase())
        throw new AutologinTokenError('jwt-sub', 'The autologin JWT’s "sub" names another user than "login".', tenant);
      const ctx = portalContext(tenant, 'autologin', ip, requestId);
      const sessionId = this.crypto.randomToken(32);
      const expiresAt = new Date(now.getTime() + AUTOLOGIN_SESSION_TTL_MS);
      await retryOnRace(() => this.tx.run(() => this.prepare(ctx, tenant!, dto, verified.method, sessionId, expiresAt)));
      await this.sweep(now);
      return { sessionId, loginUrl: `${this.config.publicUrl}/auth/session/${sessionId}`, expiresAt: expiresAt.toISOString() };
    } catch (err) {
      if (!tokenChecked) {
        if (err instanceof AutologinTokenError && !err.signed) await this.throttle.failed('autologin', scope, ip, AUTOLOGIN_THROTTLE);
        else await this.throttle.released('autologin', scope, ip);
      }
      if (err instanceof AutologinTokenError || err instanceof AutologinForbidden)
        await this.audit.recordSignIn(
          'autologin',
          err instanceof AutologinTokenError ? err.tenant : tenant,
          ip,
          'auth.autologin.refused',
          null,
          {
            reason: err.reason,
            login: dto.login,
          },
        );
      throw err;
    }
  }

  /** Redeems a link once, within its minute: the account to start a session for, or why not. */
  async redeem(sessionId: string, ip: string | null): Promise<AutologinRedemption> {
    const gone = (tenantId: string | null): AutologinRedemption => ({ outcome: { kind: 'refused', status: 410, message: GONE }, tenantId });
    if (!SESSION_ID.test(sessionId)) return gone(null);
    const now = this.clock.now();
    const sessionHash = this.crypto.hashToken(sessionId);
    // Of two browsers opening the same link at once, exactly one wins.
    const claimed = await this.tx.run(() => this.repository.redeemSession(sessionHash, now));
    const row = await this.repository.sessionByHash(sessionHash);
    if (!row) return gone(null);
    const tenant = await this.tenants.findById(row.tenantId);
    if (!claimed) {
      await this.audit.recordSignIn('autologin', tenant, ip, 'auth.autologin.refused', row.userId, {
        reason: row.redeemedAt ? 'already-redeemed' : 'expired',
      });
      return gone(row.tenantId);
    }
    const account = await this.credentials.findById(row.userId);
    if (!tenant || tenant.status !== 'active' || !account || account.status !== 'active') {
      const suspended = !tenant || tenant.status !== 'active';
      await this.audit.recordSignIn('autologin', tenant, ip, 'auth.login.refused', row.userId, {
        method: 'autologin',
        reason: suspended ? 'tenant-suspended' : 'disabled',
      });
      const message = suspended
        ? 'This organization’s portal is suspended: signing in through it is not possible right now.'
        : 'This account is disabled. Ask your administrator to enable it.';
      return { outcome: { kind: 'refused', status: 403, message }, tenantId: row.tenantId };
    }
    await this.audit.recordSignIn('autologin', tenant, ip, 'auth.login.succeeded', account.id, { method: 'autologin', via: row.method });
    return { outcome: { kind: 'signed-in', account }, tenantId: row.tenantId };
  }

  private async prepare(
    ctx: RequestContext,
    tenant: TenantRef,
    dto: AutologinDto,
    method: AutologinSession['method'],
    sessionId: string,
    expiresAt: Date,
  ): Promise<void> {
    const { user, outcome } = await this.directory.upsertUser(
      ctx,
      tenant,
      { userUid: dto.userUid, email: dto.login, firstName: dto.firstName, lastName: dto.lastName },
      'autologin',
    );
    if (user.status !== 'active')
      throw new AutologinForbidden('disabled', 'This account is disabled. Ask your administrator to enable it.');
    let organizationId: string | null = null;
    if (dto.groupUid || dto.organizationName) {
      const { org, outcome: orgOutcome } = await this.directory.upsertOrganization(
        ctx,
        tenant,
        { groupUid: dto.groupUid, name: dto.organizationName },
        { rename: false },
      );
      // Whoever brings a new organization in owns it; later arrivals are members.
      await this.directory.ensureMembership(ctx, org.id, user.id, orgOutcome === 'created' ? 'owner' : 'member', { setRole: false });
      organizationId = org.id;
    }
    await this.repository.insertSession({
      tenantId: tenant.id,
      userId: user.id,
      sessionHash: this.crypto.hashToken(sessionId),
      method,
      expiresAt,
    });
    // Joins the transaction issue() runs this in.
    await this.tx.run(() =>
      this.audit.record(ctx, {
        action: 'auth.autologin.issued',
        targetType: 'user',
        targetId: user.id,
        tenant,
        details: { method, user: outcome, ...(organizationId ? { organizationId } : {}) },
      }),
    );
  }

  // Spent links and JWT ids past their expiry are removed now and then, on an issue, not by a timer.
  private async sweep(now: Date): Promise<void> {
    if (!this.sweeping.due(now.getTime())) return;
    await this.tx.run(() => this.repository.deleteExpiredAutologin(new Date(now.getTime() - 3_600_000), new Date(now.getTime() - 60_000)));
  }
}
