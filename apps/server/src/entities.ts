import { AuditEvent, Counter, OutboxEvent } from '@portico/core';
import { IdentityLink } from '@portico/identity-map';
import { BillingRun, Charge } from '@portico/billing';
import {
  AdminApiToken,
  AuthSettings,
  HttpSession,
  LoginThrottle,
  TenantAuthSettings,
  UserAuthenticator,
  UserRecoveryCode,
} from '@portico/auth';
import { ExternalLoginProvider, ExternalLoginSettings } from '@portico/external-login';
import {
  EntitlementClass,
  EntitlementDecision,
  EntitlementServerAccess,
  EntitlementSource,
  VirtualEntitlement,
} from '@portico/entitlements';
import { OidcClient, OidcPayload, OidcSigningKey } from '@portico/oidc';
import { Organization } from '@portico/organizations';
import { LdapAccount, LdapDirectory, SamlAssertionReplay, SamlConnection, SamlRequest, TenantOidcConnection } from '@portico/sso';
import { AutologinJwtId, AutologinSecret, AutologinSession, InboundReceipt } from '@portico/portal';
import { Tenant, TenantApiKey, TenantIntegration } from '@portico/tenants';
import { Membership, User } from '@portico/users';
import { WebhookAttempt, WebhookEndpoint, WebhookMessage } from '@portico/webhooks';
import { MailMessage } from '@portico/mail';
import { AccountToken, Invitation } from '@portico/accounts';

/** Every entity of every module: the one list the data source is built from. */
export const ALL_ENTITIES = [
  AuditEvent,
  Counter,
  OutboxEvent,
  Tenant,
  TenantApiKey,
  TenantIntegration,
  IdentityLink,
  Organization,
  User,
  Membership,
  AdminApiToken,
  HttpSession,
  AuthSettings,
  TenantAuthSettings,
  LoginThrottle,
  UserAuthenticator,
  UserRecoveryCode,
  ExternalLoginProvider,
  ExternalLoginSettings,
  EntitlementClass,
  VirtualEntitlement,
  EntitlementSource,
  EntitlementServerAccess,
  EntitlementDecision,
  LdapDirectory,
  LdapAccount,
  SamlConnection,
  SamlRequest,
  SamlAssertionReplay,
  TenantOidcConnection,
  AutologinSecret,
  AutologinSession,
  AutologinJwtId,
  InboundReceipt,
  WebhookEndpoint,
  WebhookMessage,
  WebhookAttempt,
  BillingRun,
  Charge,
  OidcClient,
  OidcSigningKey,
  OidcPayload,
  MailMessage,
  AccountToken,
  Invitation,
];
