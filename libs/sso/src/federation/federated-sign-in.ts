import { Injectable } from '@nestjs/common';
import { AuthenticatorService, LoginOutcome } from '@portico/auth';
import { AuditService } from '@portico/core';
import type { TenantRef } from '@portico/tenants';
import type { FederatedIdentity } from './federated-identity';
import { FederatedProvisioning, FederationProvider, ProvisioningSettings } from './federated-provisioning';

/** A provisioning refusal is a page of its own; anything else is a sign-in outcome like a password's. */
export type FederatedSignInResult = { kind: 'refused'; status: 403; message: string } | { kind: 'outcome'; outcome: LoginOutcome };

const DISABLED = 'This account is disabled. Ask your administrator to enable it.';

/**
 * The end of a SAML or OpenID Connect sign-in once the provider's answer has been checked: the user
 * found or provisioned, a disabled account refused, the authenticator asked for when the user has
 * one, and every outcome audited under the method's name.
 */
@Injectable()
export class FederatedSignIn {
  constructor(
    private readonly provisioning: FederatedProvisioning,
    private readonly authenticators: AuthenticatorService,
    private readonly audit: AuditService,
  ) {}

  async finish(
    method: FederationProvider,
    tenant: TenantRef,
    settings: ProvisioningSettings,
    who: FederatedIdentity,
    ip: string | null,
  ): Promise<FederatedSignInResult> {
    const provisioned = await this.provisioning.provision(method, tenant, settings, who, ip);
    if (!provisioned.ok) {
      await this.audit.recordSignIn(method, tenant, ip, 'auth.login.refused', null, { method, reason: provisioned.reason });
      return { kind: 'refused', status: 403, message: provisioned.message };
    }
    const account = provisioned.account;
    if (account.status !== 'active') {
      await this.audit.recordSignIn(method, tenant, ip, 'auth.login.refused', account.id, { method, reason: 'disabled' });
      return { kind: 'outcome', outcome: { kind: 'refused', status: 403, message: DISABLED } };
    }
    if (account.authenticatorEnabled && (await this.authenticators.hasAuthenticator(account.id)))
      return { kind: 'outcome', outcome: { kind: 'second-factor', account } };
    await this.audit.recordSignIn(method, tenant, ip, 'auth.login.succeeded', account.id, {
      method,
      ...(provisioned.created ? { created: true } : {}),
    });
    return { kind: 'outcome', outcome: { kind: 'signed-in', account } };
  }
}
