import { Injectable } from '@nestjs/common';
import { AuthSettingsService, lockedMessage, lockoutPolicy, LoginService, LoginThrottleService } from '@portico/auth';
import { AuditService, CryptoService, isAllowed, RequestContext, textProblem, TransactionService } from '@portico/core';
import { OrganizationRef, OrganizationsService } from '@portico/organizations';
import { TenantRef, TenantsService } from '@portico/tenants';
import { MembershipsService } from '@portico/users';
import { ExternalLoginSettingsService } from '../settings/external-login-settings.service';

/** The contract's two answers (product.md §6), field for field. */
export type ContractReply =
  | { login_successful: false; reason: string }
  | { login_successful: true; username: string; email_address: string; is_site_administrator: boolean };

export const REASONS = {
  missing: 'Required inputs missing',
  tooLarge: 'Request too large',
  disabled: 'External login is not enabled',
  address: 'Caller address not allowed',
  token: 'Missing or invalid access token',
  unknownSite: 'Unknown site',
  suspendedSite: 'Site not available',
  invalid: 'Invalid login',
  disabledAccount: 'Account disabled',
  secondFactor: 'This account signs in with an authenticator app and cannot be checked with a password alone',
  delegatedSite: 'This site signs in through another external login provider',
} as const;

const MAX_USERNAME = 320;
const MAX_PASSWORD = 1024;

export interface CallerInfo {
  /** The caller's address (req.ip under TRUST_PROXY): what the allow-list judges and the audit trail records. */
  ip: string | null;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Portico as an external login provider: checks a site member's Portico password for another
 * system, behind the access token, the allow-list and the login page's brute-force throttle.
 */
@Injectable()
export class ExternalLoginEndpointService {
  constructor(
    private readonly settings: ExternalLoginSettingsService,
    private readonly authSettings: AuthSettingsService,
    private readonly throttle: LoginThrottleService,
    private readonly login: LoginService,
    private readonly organizations: OrganizationsService,
    private readonly memberships: MembershipsService,
    private readonly tenants: TenantsService,
    private readonly crypto: CryptoService,
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
  ) {}

  /** Whether this caller may be answered at all; a refusal is the reply to send. Checked before the body is read. */
  async admit(caller: CallerInfo): Promise<ContractReply | null> {
    const policy = await this.settings.policy();
    if (!policy.enabled) return fail(REASONS.disabled);
    if (!isAllowed(policy.allowList, caller.ip)) {
      await this.record(caller, null, 'external_login.refused', { reason: 'address', address: caller.ip });
      return fail(REASONS.address);
    }
    if (policy.accessToken) {
      const sent = caller.headers[policy.accessTokenHeader.toLowerCase()];
      if (typeof sent !== 'string' || !this.crypto.safeEqual(sent, policy.accessToken)) {
        await this.record(caller, null, 'external_login.refused', { reason: sent === undefined ? 'token-missing' : 'token-wrong' });
        return fail(REASONS.token);
      }
    }
    return null;
  }

  /** The login check proper, for a parsed JSON body (anything: it is checked here). */
  async check(caller: CallerInfo, body: unknown): Promise<ContractReply> {
    const input = inputs(body);
    if (!input) {
      await this.record(caller, null, 'external_login.failed', { reason: 'missing-inputs' });
      return fail(REASONS.missing);
    }
    const { siteId, username, password } = input;
    const ctx = RequestContext.system('external-login');
    const site = await this.organizations.findBySiteId(ctx, siteId);
    if (!site) {
      await this.record(caller, null, 'external_login.failed', { reason: 'unknown-site', siteId, username });
      return fail(REASONS.unknownSite);
    }
    const tenant = site.tenantId ? await this.tenants.findById(site.tenantId) : null;
    const audit = (action: string, userId: string | null, details: Record<string, unknown>) =>
      this.record(caller, tenant, action, { siteId, username, ...details }, userId);
    // A suspended tenant's people cannot sign in on its login page either.
    if (tenant && tenant.status !== 'active') {
      await audit('external_login.failed', null, { reason: 'tenant-suspended' });
      return fail(REASONS.suspendedSite);
    }
    if (site.authMode === 'external') {
      await audit('external_login.failed', null, { reason: 'delegated-site' });
      return fail(REASONS.delegatedSite);
    }

    // The login page's throttle, with the same account key, so guesses here and there add up. The
    // second key is the site rather than the address: every call comes from the same few systems.
    const policy = lockoutPolicy((await this.authSettings.effective(site.tenantId)).lockout, 'password');
    const named = await this.login.findAccount(tenant, username);
    const accountKey = this.throttle.accountKey(site.tenantId, username, named?.id ?? null);
    const siteKey = `site:${site.siteId}`;
    const reservation = await this.throttle.reserve('password', accountKey, siteKey, policy);
    if (!reservation.allowed) {
      await audit('external_login.locked', null, {});
      return fail(lockedMessage(reservation.retryAfterSeconds));
    }

    const account = await this.login.verifyPassword(named, password);
    // Platform admins are never vouched for to another system.
    const membership = account && !account.isPlatformAdmin ? await this.membershipIn(ctx, account.id, site) : null;
    if (!account || !membership) {
      const wait = await this.throttle.failed('password', accountKey, siteKey, policy);
      await audit(wait ? 'external_login.locked' : 'external_login.failed', account?.id ?? null, {
        reason: account ? 'not-a-member' : 'wrong-credentials',
        ...(wait ? { waitSeconds: wait } : {}),
      });
      return fail(wait ? lockedMessage(wait) : REASONS.invalid);
    }
    await this.throttle.succeeded('password', accountKey, siteKey);
    if (account.status !== 'active') {
      await audit('external_login.failed', account.id, { reason: 'disabled' });
      return fail(REASONS.disabledAccount);
    }
    // A password alone would get around the authenticator this user chose.
    if (account.authenticatorEnabled) {
      await audit('external_login.failed', account.id, { reason: 'authenticator' });
      return fail(REASONS.secondFactor);
    }
    await audit('external_login.succeeded', account.id, { role: membership.role });
    return {
      login_successful: true,
      username: account.username,
      email_address: account.email,
      is_site_administrator: membership.isSiteAdministrator,
    };
  }

  private async membershipIn(ctx: RequestContext, userId: string, site: OrganizationRef) {
    return (await this.memberships.organizationsOf(ctx, userId)).find((o) => o.organization.id === site.id) ?? null;
  }

  private async record(
    caller: CallerInfo,
    tenant: TenantRef | null,
    action: string,
    details: Record<string, unknown>,
    userId: string | null = null,
  ): Promise<void> {
    await this.audit.recordSignIn('external-login', tenant, caller.ip, action, userId, details);
  }
}

export function fail(reason: string): ContractReply {
  return { login_successful: false, reason };
}

/** The three inputs, typed as the contract says; null when one is missing or of another type. */
function inputs(body: unknown): { siteId: number; username: string; password: string } | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  if (typeof b.site_id !== 'number' || !Number.isSafeInteger(b.site_id) || b.site_id < 0) return null;
  if (typeof b.username !== 'string' || typeof b.password !== 'string') return null;
  // Username trimmed (and matched case-insensitively by the lookup); the password exactly as sent.
  const username = b.username.trim();
  if (!username || username.length > MAX_USERNAME || !b.password || b.password.length > MAX_PASSWORD) return null;
  // Control characters or a lone surrogate are no one's name or password (and PostgreSQL refuses a NUL in a lookup).
  if (textProblem(username) || textProblem(b.password)) return null;
  return { siteId: b.site_id, username, password: b.password };
}
