import { Injectable } from '@nestjs/common';
import { EmailVerificationService } from '@portico/accounts';
import { AuthSettingsService, LoginThrottleService } from '@portico/auth';
import {
  ConflictError,
  CryptoService,
  DomainException,
  ErrorCode,
  InvalidInputError,
  RequestContext,
  TooManyRequestsError,
  TransactionService,
} from '@portico/core';
import { IdentityMapService } from '@portico/identity-map';
import { OrganizationsService } from '@portico/organizations';
import type { TenantRef } from '@portico/tenants';
import { UserCredentialsService, UsersService } from '@portico/users';
import { RegisterDto, RegisteredView } from './dto/register.dto';

export class SignupDisabledError extends DomainException {
  constructor() {
    super(ErrorCode.Forbidden, 'Sign-up is disabled. Ask your administrator for an account.');
  }
}

/** What the sign-up page shows next: the new account, signed in, or "check your inbox" (its address to be confirmed first). */
export type SignupOutcome = { kind: 'signed-up'; userId: string; organizationId: string } | { kind: 'check-mail' };

const ORGANIZATION_TAKEN = 'That organization name is already taken. Choose another name.';

// Sign-ups per client IP before a pause: generous for an office, a wall for a script.
const SIGNUP_POLICY = { maxFailures: 20, baseWaitSeconds: 60, maxWaitSeconds: 3600 };

/** One sign-up flow for the page and the API: the organization, then its owner, in one transaction. */
@Injectable()
export class SignupService {
  constructor(
    private readonly tx: TransactionService,
    private readonly settings: AuthSettingsService,
    private readonly throttle: LoginThrottleService,
    private readonly organizations: OrganizationsService,
    private readonly users: UsersService,
    private readonly identityMap: IdentityMapService,
    private readonly verification: EmailVerificationService,
    private readonly credentials: UserCredentialsService,
    private readonly crypto: CryptoService,
  ) {}

  /**
   * The sign-up page. With emailVerification required the account waits for its address to be
   * confirmed, and an address that already has an account gets the same answer as a new one (its
   * owner is mailed instead), after the same work: a password hash either way.
   */
  async signUp(tenant: TenantRef | null, dto: RegisterDto, ip: string | null): Promise<SignupOutcome> {
    const opts = { trusted: false, ip, via: 'signup' as const };
    if (!(await this.verification.required(tenant?.id ?? null))) return { kind: 'signed-up', ...(await this.register(tenant, dto, opts)) };
    await this.admit(tenant, dto, opts);
    const existing = await this.credentials.findByLogin(tenant?.id ?? null, dto.email);
    if (!existing || existing.email.toLowerCase() !== dto.email.trim().toLowerCase()) {
      await this.create(tenant, dto, opts, true);
      return { kind: 'check-mail' };
    }
    await this.crypto.hashPassword(dto.password);
    // A taken organization name is refused as it would be for a new address.
    const ctx = new RequestContext({ kind: 'user', id: 'signup', label: 'signup', tenantId: tenant?.id ?? null }, tenant?.id ?? null, ip);
    if (await this.organizations.findByName(ctx, dto.organizationName)) throw new ConflictError(ORGANIZATION_TAKEN);
    await this.tx.run(() => this.verification.accountExists(existing, tenant));
    return { kind: 'check-mail' };
  }

  async isEnabled(tenant: TenantRef | null): Promise<boolean> {
    if (tenant && tenant.status !== 'active') return false;
    return (await this.settings.effective(tenant?.id ?? null)).signupEnabled;
  }

  /**
   * Registers a person and their organization. `trusted` is a tenant calling with its API key:
   * it may register while the public sign-up page is off.
   */
  async register(
    tenant: TenantRef | null,
    dto: RegisterDto,
    opts: { trusted: boolean; ip: string | null; via: 'signup' | 'api' },
  ): Promise<RegisteredView> {
    await this.admit(tenant, dto, opts);
    const verify = !opts.trusted && (await this.verification.required(tenant?.id ?? null));
    return this.create(tenant, dto, opts, verify);
  }

  /** Who may sign up here at all: the page open (or a trusted tenant), within the per-address limit. */
  private async admit(tenant: TenantRef | null, dto: RegisterDto, opts: { trusted: boolean; ip: string | null }): Promise<void> {
    if ((dto.userUid || dto.groupUid) && !(opts.trusted && tenant))
      throw new InvalidInputError('userUid and groupUid are the portal’s own ids: send them with the tenant’s API key');
    if (!opts.trusted && !(await this.isEnabled(tenant))) throw new SignupDisabledError();
    if (opts.ip && !opts.trusted) {
      const slot = await this.throttle.reserve('signup', opts.ip, null, SIGNUP_POLICY);
      if (!slot.allowed)
        throw new TooManyRequestsError(
          `Too many sign-ups from your network. Try again in ${slot.retryAfterSeconds} seconds.`,
          slot.retryAfterSeconds,
        );
      // Every sign-up counts against the address (a reservation is never given back): at the limit
      // this starts the pause, which ends by itself; without it the address would stay shut for good.
      await this.throttle.failed('signup', opts.ip, null, SIGNUP_POLICY);
    }
  }

  /** The organization, then its owner (unverified, with the confirmation mail, when `verify`), in one transaction. */
  private async create(
    tenant: TenantRef | null,
    dto: RegisterDto,
    opts: { trusted: boolean; ip: string | null; via: 'signup' | 'api' },
    verify: boolean,
  ): Promise<RegisteredView> {
    const ctx = RequestContext.system(`signup:${opts.via}`, tenant?.id ?? null, opts.ip);
    const password = await this.users.preparePassword(dto.password, tenant?.id ?? null);
    return this.tx.run(async () => {
      let organizationId: string;
      try {
        organizationId = (
          await this.organizations.create(ctx, { name: dto.organizationName, tenantKey: tenant?.key, externalUid: dto.groupUid })
        ).id;
        // The portal's uids go into the identity map (provider "portal"), like autologin's and its notifications'.
        if (tenant && dto.groupUid)
          await this.identityMap.link(
            { tenantId: tenant.id, provider: 'portal', entityType: 'organization' },
            organizationId,
            dto.groupUid,
          );
      } catch (err) {
        if (err instanceof ConflictError)
          throw new ConflictError(
            dto.groupUid ? 'An organization with that name or groupUid already exists in this tenant.' : ORGANIZATION_TAKEN,
          );
        throw err;
      }
      try {
        const user = await this.users.create(
          ctx,
          {
            email: dto.email,
            firstName: dto.firstName,
            lastName: dto.lastName,
            tenantKey: tenant?.key,
            organizationId,
            role: 'owner',
            externalUid: dto.userUid,
            emailVerified: !verify,
          },
          opts.via,
          password,
        );
        if (verify)
          await this.verification.send({ id: user.id, tenantId: tenant?.id ?? null, email: user.email, firstName: user.firstName }, tenant);
        if (tenant && dto.userUid)
          await this.identityMap.link({ tenantId: tenant.id, provider: 'portal', entityType: 'user' }, user.id, dto.userUid);
        return { userId: user.id, organizationId };
      } catch (err) {
        if (err instanceof ConflictError)
          throw new ConflictError(
            dto.userUid
              ? 'An account with this email or userUid already exists in this tenant.'
              : 'An account with this email already exists. Sign in instead.',
          );
        throw err;
      }
    });
  }
}
