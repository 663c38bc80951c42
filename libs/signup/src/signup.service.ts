import { Injectable } from '@nestjs/common';
import { AuthSettingsService, LoginThrottleService } from '@portico/auth';
import {
  ConflictError,
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
import { UsersService } from '@portico/users';
import { RegisterDto, RegisteredView } from './dto/register.dto';

export class SignupDisabledError extends DomainException {
  constructor() {
    super(ErrorCode.Forbidden, 'Sign-up is disabled. Ask your administrator for an account.');
  }
}

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
  ) {}

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
    const ctx = RequestContext.system(`signup:${opts.via}`, tenant?.id ?? null, opts.ip);
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
            dto.groupUid
              ? 'An organization with that name or groupUid already exists in this tenant.'
              : 'That organization name is already taken. Choose another name.',
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
            password: dto.password,
            tenantKey: tenant?.key,
            organizationId,
            role: 'owner',
            externalUid: dto.userUid,
          },
          opts.via,
        );
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
