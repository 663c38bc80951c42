import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { Authentication1764000100000 } from './1764000100000-authentication';
import { ExternalLogin1764000200000 } from './1764000200000-external-login';
import { Entitlements1764000300000 } from './1764000300000-entitlements';
import { IdentityMapOutboxIntegrations1764000400000 } from './1764000400000-identity-map-outbox-integrations';
import { Saml1764000500000 } from './1764000500000-saml';
import { Ldap1764000600000 } from './1764000600000-ldap';
import { Portal1764000700000 } from './1764000700000-portal';
import { Webhooks1764000800000 } from './1764000800000-webhooks';
import { Billing1764000900000 } from './1764000900000-billing';
import { DirectExternalUids1764001000000 } from './1764001000000-direct-external-uids';
import { BillingUnknownCharges1764001200000 } from './1764001200000-billing-unknown-charges';
import { OutboxClaims1764001300000 } from './1764001300000-outbox-claims';
import { OidcProvider1764001400000 } from './1764001400000-oidc-provider';
import { OidcPayloadOwners1764001500000 } from './1764001500000-oidc-payload-owners';
import { OidcPayloadPartialIndexes1764001600000 } from './1764001600000-oidc-payload-partial-indexes';
import { TenantOidc1764002300000 } from './1764002300000-tenant-oidc';
import { TenantOidcClientKeys1764002300100 } from './1764002300100-tenant-oidc-client-keys';
import { AccountSecurity1764002100000 } from './1764002100000-account-security';
import { Mail1764002000000 } from './1764002000000-mail';
import { AccountTokens1764002010000 } from './1764002010000-account-tokens';
import { EmailVerification1764002020000 } from './1764002020000-email-verification';
import { Invitations1764002200000 } from './1764002200000-invitations';
import { TenantRateLimits1764002500000 } from './1764002500000-tenant-rate-limits';
import { AuditKeysetIndex1764002510000 } from './1764002510000-audit-keyset-index';
import { WebhookDeliveryDetail1764002600000 } from './1764002600000-webhook-delivery-detail';
import { AuditActionNames1764002610000 } from './1764002610000-audit-action-names';
import { AdminApiTokenLastUsed1764002730000 } from './1764002730000-admin-api-token-last-used';
import { AuditUserIndexes1764002800000 } from './1764002800000-audit-user-indexes';

/** Every migration, in order. A landed migration is never edited: add a new file. */
export const ALL_MIGRATIONS = [
  InitialSchema1764000000000,
  Authentication1764000100000,
  ExternalLogin1764000200000,
  Entitlements1764000300000,
  IdentityMapOutboxIntegrations1764000400000,
  Saml1764000500000,
  Ldap1764000600000,
  Portal1764000700000,
  Webhooks1764000800000,
  Billing1764000900000,
  DirectExternalUids1764001000000,
  BillingUnknownCharges1764001200000,
  OutboxClaims1764001300000,
  OidcProvider1764001400000,
  OidcPayloadOwners1764001500000,
  OidcPayloadPartialIndexes1764001600000,
  Mail1764002000000,
  AccountTokens1764002010000,
  EmailVerification1764002020000,
  AccountSecurity1764002100000,
  Invitations1764002200000,
  TenantOidc1764002300000,
  TenantOidcClientKeys1764002300100,
  TenantRateLimits1764002500000,
  AuditKeysetIndex1764002510000,
  WebhookDeliveryDetail1764002600000,
  AuditActionNames1764002610000,
  AdminApiTokenLastUsed1764002730000,
  AuditUserIndexes1764002800000,
];
